"""End to end: workflows per second through the SDK's worker, against a null decider.

Both sides run in this process against one dev server in a subprocess (``swfasync
dev-server``), so the server's own work never shares an event loop with the side being
measured and both sides see exactly the same server. For each workload the run starts
``count`` executions at once (all of them in flight) and times from the first start to the
moment every one of them is closed.

- **SDK**: ``Client.start_workflow`` and a ``Worker`` running the workflow code below.
- **null decider**: a hand-written loop with the same number of pollers and the same
  concurrency limits. It makes the same calls (StartWorkflowExecution, PollForDecisionTask,
  RespondDecisionTaskCompleted, PollForActivityTask, RespondActivityTaskCompleted) with
  decisions precomputed from a count of history events, and no workflow code at all. Its
  starts, polls and answers go through the transport the SDK's client and worker use for
  them (``FastSwfTransport``), as wire Structs; a second null decider sends them through
  the aiobotocore transport (botocore's request pipeline and parser, the SDK's connection
  settings), for the cost of that path.

The ratio SDK time / null time (same transport) is the SDK's overhead over the transport.
Completion checks (CountClosedWorkflowExecutions every few milliseconds) go through
aiobotocore on every side, and logging is filtered to warnings on every side.

The workflows and the activity are module level so ``swfasync worker
benchmarks.bench_end_to_end`` can serve them too (``bench_simpleflow`` does that).
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import os
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import anyio.abc
import structlog

from swfasync import Client, Worker, activity, workflow
from swfasync._client.connection import create_swf_client, make_config
from swfasync._client.fast_transport import FastSwfTransport
from swfasync._client.transport import AiobotocoreTransport, SwfTransport
from swfasync._wire import api
from swfasync._wire import decisions as d
from swfasync._wire import events as e
from swfasync._wire.common import ActivityType, TaskList, WorkflowType

from ._harness import Section, Target

TASK_LIST = "bench"
SEQUENTIAL_STEPS = 3
PARALLEL_WIDTH = 4
ACTIVITY_TIMEOUT = timedelta(minutes=1)


@activity.defn(
    name="BenchIncrement",
    schedule_to_start_timeout=ACTIVITY_TIMEOUT,
    start_to_close_timeout=ACTIVITY_TIMEOUT,
    schedule_to_close_timeout=2 * ACTIVITY_TIMEOUT,
    heartbeat_timeout=ACTIVITY_TIMEOUT,
)
async def increment(value: int) -> int:
    return value + 1


@workflow.defn(
    name="BenchSequential",
    task_list=TASK_LIST,
    execution_start_to_close_timeout=timedelta(hours=1),
    task_start_to_close_timeout=timedelta(seconds=30),
)
async def sequential(value: int) -> int:
    for _ in range(SEQUENTIAL_STEPS):
        value = await workflow.execute_activity(increment, value)
    return value


@workflow.defn(
    name="BenchParallel",
    task_list=TASK_LIST,
    execution_start_to_close_timeout=timedelta(hours=1),
    task_start_to_close_timeout=timedelta(seconds=30),
)
async def parallel(value: int) -> int:
    results = await asyncio.gather(
        *(workflow.execute_activity(increment, value + i) for i in range(PARALLEL_WIDTH))
    )
    return sum(results)


# -- the dev server in its own process -------------------------------------------------------


@dataclass(frozen=True)
class DevServerProcess:
    endpoint_url: str
    pid: int


# Run as ``python -c _KILLED_WITH_PARENT <parent pid> <argv...>``: the program it execs is
# killed with SIGKILL when this benchmark process dies, even by SIGKILL, so an interrupted
# run (a test timeout, a Ctrl-C) leaves no server or worker behind.
_KILLED_WITH_PARENT = """
import ctypes, os, sys
ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
if os.getppid() != int(sys.argv[1]):
    sys.exit("the benchmark process is gone")
os.execvp(sys.argv[2], sys.argv[2:])
"""


def killed_with_this_process(argv: list[str]) -> list[str]:
    """``argv`` wrapped so its process dies with this one (Linux; elsewhere unchanged)."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-I", "-c", _KILLED_WITH_PARENT, str(os.getpid()), *argv]


@asynccontextmanager
async def dev_server_process(*extra_args: str) -> AsyncIterator[DevServerProcess]:
    """``swfasync dev-server`` in a subprocess (state in memory, no --db); stopped with SIGTERM."""
    argv = [sys.executable, "-m", "swfasync.cli", "dev-server", "--port", "0", *extra_args]
    process = await asyncio.create_subprocess_exec(
        *killed_with_this_process(argv),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        with anyio.fail_after(30):
            line = await process.stdout.readline()
        url = line.decode().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"swfasync dev-server printed {line!r} instead of its URL")
        yield DevServerProcess(url, process.pid)
    finally:
        if process.returncode is None:
            process.terminate()
        with anyio.move_on_after(10) as scope:
            await process.wait()
        if scope.cancelled_caught:
            process.kill()
            await process.wait()


def plain_swf_client(endpoint_url: str) -> Any:
    """A plain aiobotocore SWF client (no SDK parser) with the SDK's connection settings,
    made as the SDK makes its clients, so the fast transport can send as it would."""
    return create_swf_client(
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=make_config(),
        sdk_parser=False,
    )


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Filter structlog to warnings for the block: a benchmark is not about printing."""
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**previous)


def _stat_ticks(path: str) -> list[int]:
    """utime, stime, cutime, cstime (clock ticks) of a /proc ``stat`` file."""
    with open(path, encoding="ascii") as stat:
        # The command name (field 2) may hold spaces; the fields after it do not.
        fields = stat.read().rsplit(")", 1)[1].split()
    return [int(f) for f in fields[11:15]]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process and its reaped children, from /proc (Linux)."""
    return sum(_stat_ticks(f"/proc/{pid}/stat")) / os.sysconf("SC_CLK_TCK")


def main_thread_cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process's main thread (its event loop, for a worker)."""
    utime, stime, _, _ = _stat_ticks(f"/proc/{pid}/task/{pid}/stat")
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


async def wait_until_closed(swf: Any, domain: str, count: int, since: datetime) -> None:
    """Return once ``count`` executions started after ``since`` are closed (2 min at most).

    Checks are sparse until the end is near, so they cost both sides little, then dense,
    so the end is seen within a few milliseconds.
    """
    with anyio.fail_after(120):
        while True:
            response = await swf.count_closed_workflow_executions(
                domain=domain, startTimeFilter={"oldestDate": since}
            )
            closed = int(response["count"])
            if closed >= count:
                return
            await anyio.sleep(0.005 if closed >= 0.9 * count else 0.05)


async def register_domain(swf: Any, domain: str) -> None:
    await swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")


async def start_all(start: Callable[[int], Awaitable[object]], count: int) -> None:
    """Start ``count`` executions, a few requests at a time (as a busy front end would)."""
    limiter = anyio.CapacityLimiter(8)

    async def one(index: int) -> None:
        async with limiter:
            await start(index)

    async with anyio.create_task_group() as tg:
        for index in range(count):
            tg.start_soon(one, index)


# -- the null decider -----------------------------------------------------------------------


def _schedule(activity_id: str, value: int) -> d.Decision:
    # The same attributes the SDK sends for ``increment`` (explicit task list and timeouts).
    timeout = str(int(ACTIVITY_TIMEOUT.total_seconds()))
    return d.ScheduleActivityTask(
        attributes=d.ScheduleActivityTaskDecisionAttributes(
            activity_type=ActivityType(name="BenchIncrement", version="1"),
            activity_id=activity_id,
            task_list=TaskList(name=TASK_LIST),
            input=f"[{value}]",
            schedule_to_start_timeout=timeout,
            start_to_close_timeout=timeout,
            schedule_to_close_timeout=str(2 * int(ACTIVITY_TIMEOUT.total_seconds())),
            heartbeat_timeout=timeout,
        )
    )


def _complete(result: int) -> d.Decision:
    return d.CompleteWorkflowExecution(
        attributes=d.CompleteWorkflowExecutionDecisionAttributes(result=str(result))
    )


SEQUENTIAL_DECISIONS = [[_schedule(f"a{i + 1}", i + 1)] for i in range(SEQUENTIAL_STEPS)]
SEQUENTIAL_DECISIONS.append([_complete(SEQUENTIAL_STEPS + 1)])
PARALLEL_START = [_schedule(f"a{i + 1}", i + 1) for i in range(PARALLEL_WIDTH)]
PARALLEL_DONE = [_complete(sum(range(2, PARALLEL_WIDTH + 2)))]


def _count(events: list[Any], event_type: type) -> int:
    return sum(1 for event in events if type(event) is event_type)


def decide_sequential(events: list[Any]) -> list[d.Decision]:
    return SEQUENTIAL_DECISIONS[_count(events, e.ActivityTaskCompleted)]


def decide_parallel(events: list[Any]) -> list[d.Decision]:
    if _count(events, e.ActivityTaskCompleted) == PARALLEL_WIDTH:
        return PARALLEL_DONE
    if _count(events, e.ActivityTaskScheduled) == 0:
        return PARALLEL_START
    return []


@dataclass(frozen=True)
class NullWorkerShape:
    """What the null worker copies from the SDK's worker: pollers and concurrency."""

    decision_pollers: int
    activity_pollers: int
    max_concurrent_decisions: int
    max_concurrent_activities: int


async def null_worker(
    swf: SwfTransport,
    domain: str,
    decide: Callable[[list[Any]], list[d.Decision]],
    shape: NullWorkerShape,
    *,
    task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Poll and answer until cancelled; every answer is precomputed."""
    identity = f"null:{os.getpid()}"
    decision_slots = anyio.Semaphore(shape.max_concurrent_decisions)
    activity_slots = anyio.Semaphore(shape.max_concurrent_activities)
    task_list = TaskList(name=TASK_LIST)

    async def answer_decision(task: api.DecisionTask) -> None:
        try:
            await swf.send(
                api.RespondDecisionTaskCompletedInput(
                    task_token=task.task_token, decisions=decide(task.events)
                )
            )
        finally:
            decision_slots.release()

    async def answer_activity(task: api.ActivityTask) -> None:
        try:
            await swf.send(
                api.RespondActivityTaskCompletedInput(task_token=task.task_token, result="2")
            )
        finally:
            activity_slots.release()

    async def poll_decisions(tasks: anyio.abc.TaskGroup) -> None:
        while True:
            await decision_slots.acquire()
            task = await swf.send(
                api.PollForDecisionTaskInput(
                    domain=domain, task_list=task_list, identity=identity, maximum_page_size=1000
                )
            )
            if task is not None:
                tasks.start_soon(answer_decision, task)
            else:
                decision_slots.release()

    async def poll_activities(tasks: anyio.abc.TaskGroup) -> None:
        while True:
            await activity_slots.acquire()
            task = await swf.send(
                api.PollForActivityTaskInput(domain=domain, task_list=task_list, identity=identity)
            )
            if task is not None:
                tasks.start_soon(answer_activity, task)
            else:
                activity_slots.release()

    async with anyio.create_task_group() as tasks:
        for _ in range(shape.decision_pollers):
            tasks.start_soon(poll_decisions, tasks)
        for _ in range(shape.activity_pollers):
            tasks.start_soon(poll_activities, tasks)
        task_status.started()


async def register_null_types(swf: Any, domain: str) -> None:
    for name in ("BenchSequential", "BenchParallel"):
        await swf.register_workflow_type(
            domain=domain,
            name=name,
            version="1",
            defaultTaskList={"name": TASK_LIST},
            defaultChildPolicy="TERMINATE",
            defaultExecutionStartToCloseTimeout="3600",
            defaultTaskStartToCloseTimeout="30",
        )
    await swf.register_activity_type(domain=domain, name="BenchIncrement", version="1")


# -- one measured run per side ----------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    title: str
    sdk_workflow: Any
    type_name: str
    null_decide: Callable[[list[Any]], list[d.Decision]]


WORKLOADS = (
    Workload(
        f"{SEQUENTIAL_STEPS} sequential activities",
        sequential,
        "BenchSequential",
        decide_sequential,
    ),
    Workload(f"{PARALLEL_WIDTH} parallel activities", parallel, "BenchParallel", decide_parallel),
)


@dataclass(frozen=True)
class Measurement:
    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float
    # This process's CPU off its main thread (the SDK's workflow activations), to the
    # resolution of /proc's clock ticks.
    off_loop_cpu_seconds: float


@asynccontextmanager
async def measuring(server: DevServerProcess) -> AsyncIterator[list[Measurement]]:
    """Time the block: wall clock, this process's CPU (and its main thread's), the server
    process's CPU."""
    out: list[Measurement] = []
    server_cpu = process_cpu_seconds(server.pid)
    main_cpu = main_thread_cpu_seconds(os.getpid())
    cpu, wall = time.process_time(), time.perf_counter()
    yield out
    elapsed_cpu = time.process_time() - cpu
    out.append(
        Measurement(
            time.perf_counter() - wall,
            elapsed_cpu,
            process_cpu_seconds(server.pid) - server_cpu,
            max(0.0, elapsed_cpu - (main_thread_cpu_seconds(os.getpid()) - main_cpu)),
        )
    )


# A sequential workflow's requests: its start, and 4 decision tasks and 3 activity tasks,
# each polled and answered.
SEQUENTIAL_REQUESTS = 1 + 2 * (SEQUENTIAL_STEPS + 1) + 2 * SEQUENTIAL_STEPS

# The SDK worker's defaults, spelled out so the null worker can copy them.
DECISION_POLLERS = 2
ACTIVITY_POLLERS = 2
MAX_CONCURRENT_DECISIONS = 10
MAX_CONCURRENT_ACTIVITIES = 100


def sdk_worker(client: Client) -> Worker:
    return Worker(
        client,
        task_list=TASK_LIST,
        workflows=[sequential, parallel],
        activities=[increment],
        decision_pollers=DECISION_POLLERS,
        activity_pollers=ACTIVITY_POLLERS,
        max_concurrent_decisions=MAX_CONCURRENT_DECISIONS,
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
    )


def null_shape() -> NullWorkerShape:
    # The SDK also polls its sticky task list, with as many pollers again: the null
    # worker gets the same number of decision long polls in all.
    worker = sdk_worker(Client.local("http://127.0.0.1:1", "unused"))
    sticky = 2 if worker.sticky_task_list is not None else 1
    return NullWorkerShape(
        decision_pollers=DECISION_POLLERS * sticky,
        activity_pollers=ACTIVITY_POLLERS,
        max_concurrent_decisions=MAX_CONCURRENT_DECISIONS,
        max_concurrent_activities=MAX_CONCURRENT_ACTIVITIES,
    )


async def measure_sdk(server: DevServerProcess, workload: Workload, count: int) -> Measurement:
    domain = f"sdk-{uuid.uuid4().hex[:8]}"
    async with Client.local(server.endpoint_url, domain) as client:
        await client.register_domain()
        async with sdk_worker(client):
            since = datetime.now(UTC) - timedelta(seconds=1)
            async with measuring(server) as measured:
                await start_all(
                    lambda i: client.start_workflow(workload.sdk_workflow, 1, id=f"wf-{i}"),
                    count,
                )
                await wait_until_closed(client.raw, domain, count, since)
    return measured[0]


@asynccontextmanager
async def hot_calls(swf: Any, *, fast: bool) -> AsyncIterator[SwfTransport]:
    """Where the null worker sends its polls and answers: the SDK worker's fast transport,
    or the aiobotocore one over ``swf``."""
    if not fast:
        yield AiobotocoreTransport(swf)
        return
    async with FastSwfTransport(swf) as transport:
        yield transport


async def measure_null(
    server: DevServerProcess,
    workload: Workload,
    count: int,
    shape: NullWorkerShape,
    *,
    fast: bool,
) -> Measurement:
    domain = f"null-{uuid.uuid4().hex[:8]}"
    async with (
        plain_swf_client(server.endpoint_url) as swf,
        hot_calls(swf, fast=fast) as worker_swf,
    ):
        await register_domain(swf, domain)
        await register_null_types(swf, domain)
        async with anyio.create_task_group() as tg:
            await tg.start(null_worker, worker_swf, domain, workload.null_decide, shape)
            since = datetime.now(UTC) - timedelta(seconds=1)
            async with measuring(server) as measured:
                workflow_type = WorkflowType(name=workload.type_name, version="1")
                await start_all(
                    lambda i: worker_swf.send(
                        api.StartWorkflowExecutionInput(
                            domain=domain,
                            workflow_id=f"wf-{i}",
                            workflow_type=workflow_type,
                            input="[1]",
                        )
                    ),
                    count,
                )
                await wait_until_closed(swf, domain, count, since)
            tg.cancel_scope.cancel()
    return measured[0]


def _package(filename: str) -> str | None:
    """The package a profiled function belongs to; None for builtins and the stdlib."""
    for marker in ("site-packages/", "/swfasync/"):
        if marker in filename:
            top = filename.split(marker, 1)[1].split("/", 1)[0]
            return "swfasync" if marker == "/swfasync/" else top.removesuffix(".py")
    if "/asyncio/" in filename:
        return "asyncio"  # the event loop's own work, not a caller's
    if "/benchmarks/" in filename:
        return "benchmark driver"
    return None


def _shares_by_package(stats: dict[Any, Any]) -> dict[str, float]:
    """Own CPU per package; a builtin or stdlib function's goes to the packages calling it
    (in proportion to the time spent under each call site), so hashing for a signature
    counts as botocore's and JSON encoding of a decision as the caller's."""
    owners: dict[Any, dict[str, float]] = {}

    def owner(function: Any, seen: frozenset[Any]) -> dict[str, float]:
        if function in owners:
            return owners[function]
        package = _package(function[0])
        _, _, _, _, callers = stats[function]
        if package is not None or not callers or function in seen:
            result = {package or "python itself": 1.0}
        else:
            total = sum(edge[3] for edge in callers.values()) or 1.0
            result = {}
            for caller, edge in callers.items():
                for name, part in owner(caller, seen | {function}).items():
                    result[name] = result.get(name, 0.0) + part * edge[3] / total
        owners[function] = result
        return result

    shares: dict[str, float] = {}
    for function, (_, _, own_seconds, _, _) in stats.items():
        for name, part in owner(function, frozenset()).items():
            shares[name] = shares.get(name, 0.0) + own_seconds * part
    return shares


async def profile_sdk(server: DevServerProcess, workload: Workload, count: int) -> str:
    """Where the SDK side's event-loop thread spends its CPU, by package, as one line.

    cProfile with a thread-CPU clock over one in-process ``measure_sdk`` run: waiting is
    not counted, and workflow activations (worker threads) are not seen.
    """
    profile = cProfile.Profile(time.thread_time)
    with quiet_logs():
        profile.enable()
        try:
            await measure_sdk(server, workload, count)
        finally:
            profile.disable()
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    shares = _shares_by_package(stats)
    total = sum(shares.values()) or 1.0
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return ", ".join(f"{name} {100 * seconds / total:.0f}%" for name, seconds in ranked[:8])


SIDES = {
    "null": "null decider, fast transport",
    "null-aiobotocore": "null decider, aiobotocore transport",
    "sdk": "SDK",
}


async def measure(
    side: str, server: DevServerProcess, workload: Workload, count: int, shape: NullWorkerShape
) -> Measurement:
    if side == "sdk":
        return await measure_sdk(server, workload, count)
    return await measure_null(server, workload, count, shape, fast=side == "null")


async def run(quick: bool) -> Section:
    count, repeat = (10, 1) if quick else (100, 5)
    section = Section(
        title="End to end: SDK worker vs a null decider",
        command=".venv/bin/python -m benchmarks end_to_end",
        columns=[
            "workload",
            "side",
            "workflows/s",
            "ms/workflow",
            "CPU ms/workflow, worker process",
            "CPU ms/workflow, dev server",
        ],
    )
    results: dict[tuple[str, str], list[Measurement]] = {}
    shape = null_shape()
    with quiet_logs():
        for round_index in range(repeat):
            async with dev_server_process() as server:
                for workload in WORKLOADS:
                    # Rotate which side goes first so a warming server favours none.
                    sides = list(SIDES)
                    shift = round_index % len(sides)
                    for side in sides[shift:] + sides[:shift]:
                        measured = await measure(side, server, workload, count, shape)
                        results.setdefault((workload.title, side), []).append(measured)
    per_request_ms: dict[str, float] = {}
    for workload in WORKLOADS:
        medians: dict[str, Measurement] = {}
        for side, label in SIDES.items():
            runs = results[(workload.title, side)]
            median = Measurement(
                statistics.median(m.seconds for m in runs),
                statistics.median(m.cpu_seconds for m in runs),
                statistics.median(m.server_cpu_seconds for m in runs),
                statistics.median(m.off_loop_cpu_seconds for m in runs),
            )
            medians[side] = median
            section.add_row(
                workload.title,
                label,
                count / median.seconds,
                1000 * median.seconds / count,
                1000 * median.cpu_seconds / count,
                1000 * median.server_cpu_seconds / count,
            )
        sdk, null, plain = medians["sdk"], medians["null"], medians["null-aiobotocore"]
        if workload is WORKLOADS[0]:
            for side in ("null", "null-aiobotocore"):
                cpu_ms = 1000 * medians[side].cpu_seconds / count
                per_request_ms[side] = cpu_ms / SEQUENTIAL_REQUESTS
        section.targets.append(
            Target(f"{workload.title}: SDK time / null time", sdk.seconds / null.seconds, 1.3)
        )
        section.notes.append(
            f"{workload.title}: worker-process CPU per workflow, SDK / null = "
            f"{sdk.cpu_seconds / null.cpu_seconds:.2f}x; null through the fast transport / "
            f"through the aiobotocore transport = {null.cpu_seconds / plain.cpu_seconds:.2f}x CPU, "
            f"{null.seconds / plain.seconds:.2f}x time."
        )
    section.notes.extend(
        [
            f"{count} executions started at once per run (8 start requests at a time), medians "
            f"of {repeat} runs, a fresh dev server subprocess per round. Every side: "
            f"{shape.decision_pollers} decision long polls, {shape.activity_pollers} activity "
            f"long polls, at most {shape.max_concurrent_decisions} decisions and "
            f"{shape.max_concurrent_activities} activities at once.",
            "The worker process runs the starts, the completion checks and the worker. Its "
            "CPU is mostly per-request work, the same for the SDK and the null decider on "
            "one transport: over the "
            f"{SEQUENTIAL_REQUESTS} requests of a sequential workflow the null decider spends "
            f"{per_request_ms['null']:.2f} ms a request with the fast transport and "
            f"{per_request_ms['null-aiobotocore']:.2f} ms through the aiobotocore transport "
            "(both count the completion checks, which go through aiobotocore). "
            "The SDK's "
            "own share is the difference between its row and the fast null decider's.",
        ]
    )
    if not quick and not all(target.met for target in section.targets):

        def per_workflow_ms(title: str, side: str, measure: str) -> float:
            values: list[float] = [getattr(m, measure) for m in results[(title, side)]]
            return 1000 * statistics.median(values) / count

        titles = [workload.title for workload in WORKLOADS]
        wall_share_ms = {
            t: per_workflow_ms(t, "sdk", "seconds") - per_workflow_ms(t, "null", "seconds")
            for t in titles
        }
        sdk_share_ms = {
            t: per_workflow_ms(t, "sdk", "cpu_seconds") - per_workflow_ms(t, "null", "cpu_seconds")
            for t in titles
        }
        off_loop_ms = {t: per_workflow_ms(t, "sdk", "off_loop_cpu_seconds") for t in titles}
        async with dev_server_process() as server:
            shares = await profile_sdk(server, WORKLOADS[0], count)
        section.notes.append(
            "Where the SDK's extra time goes: per workflow it takes "
            + ", ".join(f"{ms:.2f} ms ({title})" for title, ms in wall_share_ms.items())
            + " longer than the fast null decider and spends "
            + ", ".join(f"{ms:.2f} ms ({title})" for title, ms in sdk_share_ms.items())
            + " more CPU; of that CPU, the workflow activations on their threads (off the "
            "event loop, under the deadlock timeout) take "
            + ", ".join(f"{ms:.2f} ms ({title})" for title, ms in off_loop_ms.items())
            + ". The rest of the CPU is the worker's own work per task on the event loop: "
            "the decision task's bookkeeping (the run cache, building the answer) and each "
            "activity's task object and payload decoding, none of which the null decider "
            "does; both sides spawn an anyio task per task alike. Time beyond CPU is the "
            "event loop waiting for an activation's thread to wake up, which on a busy "
            "2-CPU machine sometimes takes hundreds of microseconds. The event-loop thread "
            f"of a sequential run, by package: {shares}."
        )
    return section
