"""swfasync side by side with simpleflow on one dev server, the same workflows.

simpleflow (boto3, a process forked per decision and per activity task) runs unmodified
from its own virtual environment, ``.venv-simpleflow``, because its botocore pin differs
from aiobotocore's; it reaches the dev server through boto3's standard
``AWS_ENDPOINT_URL_SWF`` variable. The full run creates that environment when it is
missing, from ``benchmarks/simpleflow.lock`` (``make lock`` regenerates it from
``benchmarks/simpleflow.in``); ``--quick`` never installs and skips with a note instead.

Each side runs as its own processes, started by this benchmark with their usual commands
and default concurrency:

- swfasync: one ``swfasync worker benchmarks.bench_end_to_end`` process (2 decision and 2
  activity pollers, plus its sticky-task-list pollers);
- simpleflow: two ``simpleflow decider.start --nb-processes 1`` and one ``simpleflow
  worker.start --nb-processes 2``: 2 decision and 2 activity pollers (its default is one
  per CPU, 2 here; ``simpleflow_commands`` says why the deciders are split), each forking
  a process per task. Its workflows live in ``benchmarks/simpleflow_side``.

The dev server (``swfasync dev-server``) runs in a subprocess; this process starts the
executions and watches them close over plain aiobotocore. For each side and workload the
run first closes one warm-up execution (process start, type registration), then starts
``count`` executions at once and times until all are closed. CPU is user + system time of
the side's whole process tree (reaped children included), read from /proc, so the
figures need Linux; the server's CPU is reported on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from ._harness import Section, Target
from .bench_end_to_end import (
    SEQUENTIAL_REQUESTS,
    TASK_LIST,
    DevServerProcess,
    dev_server_process,
    killed_with_this_process,
    main_thread_cpu_seconds,
    plain_swf_client,
    process_cpu_seconds,
    profile_sdk,
    register_domain,
    start_all,
)
from .bench_end_to_end import WORKLOADS as END_TO_END_WORKLOADS

REPO = Path(__file__).resolve().parent.parent
SIMPLEFLOW_VENV = REPO / ".venv-simpleflow"
SIMPLEFLOW_LOCK = REPO / "benchmarks" / "simpleflow.lock"
SIMPLEFLOW_REQUIREMENT = (REPO / "benchmarks" / "simpleflow.in").read_text().strip()
COMMAND = ".venv/bin/python -m benchmarks simpleflow"
# Decision and activity pollers on each side: the swfasync worker's defaults, and
# simpleflow's own default (one per CPU) on the 2-core machines the figures come from.
SIMPLEFLOW_POLLERS = 2


# -- simpleflow's environment -------------------------------------------------------------


def simpleflow_executable() -> Path:
    return SIMPLEFLOW_VENV / "bin" / "simpleflow"


def simpleflow_version() -> str:
    found = sorted(SIMPLEFLOW_VENV.glob("lib/python*/site-packages/simpleflow-*.dist-info"))
    return found[0].name.removeprefix("simpleflow-").removesuffix(".dist-info") if found else "?"


async def _check_call(*argv: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}: {stderr.decode()}")


async def install_simpleflow() -> None:
    """Create ``.venv-simpleflow`` with the versions ``benchmarks/simpleflow.lock`` pins."""
    uv = str(Path(sys.executable).parent / "uv")
    await _check_call(uv, "venv", "--quiet", "--python", sys.executable, str(SIMPLEFLOW_VENV))
    await _check_call(
        uv,
        "pip",
        "sync",
        "--quiet",
        "--python",
        str(SIMPLEFLOW_VENV / "bin" / "python"),
        str(SIMPLEFLOW_LOCK),
    )


# -- process trees ----------------------------------------------------------------------------


def _parent_pids() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except OSError:
            continue  # ended while being listed
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def tree_cpu_seconds(root: int) -> float:
    """CPU of ``root`` and every live descendant, each with its reaped children's CPU.

    A child reaped between two readings moves into its parent's ``cutime``: it is counted
    once either way, give or take the moment of the race.
    """
    parents = _parent_pids()
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        tree.update(children)
        frontier.extend(children)
    total = 0.0
    for pid in tree:
        # A process that ended since the listing has its CPU in its parent's cutime now.
        with contextlib.suppress(OSError):
            total += process_cpu_seconds(pid)
    return total


@dataclass
class SideProcesses:
    pids: list[int] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        return sum(tree_cpu_seconds(pid) for pid in self.pids)

    def log_tails(self) -> str:
        return "\n---\n".join(
            log.read_text(errors="replace")[-2000:] for log in self.logs if log.exists()
        )


@asynccontextmanager
async def side_processes(
    commands: list[list[str]], env: dict[str, str]
) -> AsyncIterator[SideProcesses]:
    """Run ``commands`` (each in its own session); SIGTERM them at the end, SIGKILL if slow."""
    side = SideProcesses()
    processes: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryDirectory(prefix="bench-side-") as logs:
        for index, argv in enumerate(commands):
            log = Path(logs) / f"{index}.log"
            fd = os.open(log, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                process = await asyncio.create_subprocess_exec(
                    *killed_with_this_process(argv),
                    cwd=REPO,
                    env=env,
                    stdout=fd,
                    stderr=fd,
                    start_new_session=True,
                )
            finally:
                os.close(fd)  # the child has its own copy
            processes.append(process)
            side.pids.append(process.pid)
            side.logs.append(log)
        try:
            yield side
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
            # simpleflow's pollers finish their current long poll before they exit; there
            # is nothing left to measure, so each session is killed after a short grace.
            with anyio.move_on_after(0.5):
                for process in processes:
                    await process.wait()
            for process in processes:
                if process.returncode is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()


# -- the two sides --------------------------------------------------------------------------


def swfasync_commands(url: str, domain: str, task_list: str) -> list[list[str]]:
    return [
        [
            sys.executable,
            "-m",
            "swfasync.cli",
            "worker",
            "--endpoint-url",
            url,
            "--domain",
            domain,
            "--task-list",
            task_list,
            "benchmarks.bench_end_to_end",
        ]
    ]


def simpleflow_commands(url: str, domain: str, task_list: str) -> list[list[str]]:
    """Two deciders of one poller each, and one activity worker of two pollers.

    ``decider.start`` makes a request (DescribeDomain) before it forks its pollers, so
    with ``-N 2`` both pollers inherit and share that keep-alive connection: over plain
    HTTP a decision's answer then queues behind the other poller's long poll, for up to
    its 60 seconds. Two one-poller deciders have the same concurrency without the shared
    socket. ``worker.start`` forks before its first request, so ``-N 2`` is safe there.
    simpleflow finds the endpoint in the environment (``side_env``), not in argv.
    """
    simpleflow = str(simpleflow_executable())
    workflows = "benchmarks.simpleflow_side.workflows"
    decider = [
        simpleflow,
        "decider.start",
        "--domain",
        domain,
        "--task-list",
        task_list,
        "--nb-processes",
        "1",
        f"{workflows}.Sequential",
        f"{workflows}.Parallel",
    ]
    worker = [
        simpleflow,
        "worker.start",
        "--domain",
        domain,
        "--task-list",
        task_list,
        "--nb-processes",
        str(SIMPLEFLOW_POLLERS),
    ]
    return [decider] * SIMPLEFLOW_POLLERS + [worker]


def side_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AWS_ENDPOINT_URL_SWF": url,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "PYTHONPATH": str(REPO),
            # simpleflow logs every task at INFO; neither side prints per task here.
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass(frozen=True)
class Side:
    label: str
    task_list: str
    workflow_types: tuple[str, str]  # sequential, parallel
    input: str
    commands: Callable[[str, str, str], list[list[str]]]
    # simpleflow's ``workflow.start`` registers the workflow type just before it starts an
    # execution; the swfasync worker registers its types itself when it starts.
    register_workflow_types: bool


SWFASYNC = Side(
    "swfasync",
    TASK_LIST,
    ("BenchSequential", "BenchParallel"),
    "[1]",
    swfasync_commands,
    register_workflow_types=False,
)
SIMPLEFLOW = Side(
    "simpleflow",
    "bench-simpleflow",
    ("SimpleflowSequential", "SimpleflowParallel"),
    '{"args": [1], "kwargs": {}}',
    simpleflow_commands,
    register_workflow_types=True,
)
WORKLOADS = ("3 sequential activities", "4 parallel activities")


@dataclass(frozen=True)
class Measurement:
    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float
    # swfasync only: the worker's main thread, where its event loop (and so all of its
    # SWF requests) runs; the rest of its CPU is workflow activations in threads.
    event_loop_cpu_seconds: float = 0.0

    def per_workflow_ms(self, count: int) -> Measurement:
        scale = 1000 / count
        return Measurement(
            self.seconds * scale,
            self.cpu_seconds * scale,
            self.server_cpu_seconds * scale,
            self.event_loop_cpu_seconds * scale,
        )


class Driver:
    """Starts executions of one side in one domain and waits for them to close."""

    def __init__(self, swf: Any, domain: str, side: Side) -> None:
        self.swf = swf
        self.domain = domain
        self.side = side
        self.processes = SideProcesses()

    async def register(self) -> None:
        await register_domain(self.swf, self.domain)
        if not self.side.register_workflow_types:
            return
        for name in self.side.workflow_types:
            await self.swf.register_workflow_type(
                domain=self.domain,
                name=name,
                version="1",
                defaultTaskList={"name": self.side.task_list},
                defaultChildPolicy="TERMINATE",
                defaultExecutionStartToCloseTimeout="3600",
                defaultTaskStartToCloseTimeout="30",
            )

    async def start(self, type_name: str, tag: str) -> None:
        await self.swf.start_workflow_execution(
            domain=self.domain,
            workflowId=uuid.uuid4().hex,
            workflowType={"name": type_name, "version": "1"},
            input=self.side.input,
            tagList=[tag],
        )

    async def wait_closed(self, tag: str, count: int) -> None:
        try:
            with anyio.fail_after(300):
                while True:
                    response = await self.swf.count_closed_workflow_executions(
                        domain=self.domain,
                        startTimeFilter={"oldestDate": datetime(2000, 1, 1, tzinfo=UTC)},
                        tagFilter={"tag": tag},
                    )
                    closed = int(response["count"])
                    if closed >= count:
                        return
                    await anyio.sleep(0.005 if closed >= 0.9 * count else 0.05)
        except TimeoutError:
            raise RuntimeError(
                f"{self.side.label}: executions tagged {tag} did not close; its logs:\n"
                + self.processes.log_tails()
            ) from None

    async def warm_up(self, type_name: str) -> None:
        """One execution through, retried while the worker has not registered its type."""
        tag = f"warm-{uuid.uuid4().hex[:8]}"
        with anyio.fail_after(60):
            while True:
                try:
                    await self.start(type_name, tag)
                    break
                except Exception as error:  # the type is not registered yet
                    if "UnknownResource" not in repr(error):
                        raise
                    await anyio.sleep(0.1)
        await self.wait_closed(tag, 1)

    def _event_loop_cpu(self) -> float:
        if self.side is not SWFASYNC:
            return 0.0
        return main_thread_cpu_seconds(self.processes.pids[0])

    async def measure(self, type_name: str, count: int, server: DevServerProcess) -> Measurement:
        tag = f"batch-{uuid.uuid4().hex[:8]}"
        cpu, server_cpu = self.processes.cpu_seconds(), process_cpu_seconds(server.pid)
        loop_cpu = self._event_loop_cpu()
        started = time.perf_counter()
        await start_all(lambda _: self.start(type_name, tag), count)
        await self.wait_closed(tag, count)
        return Measurement(
            time.perf_counter() - started,
            self.processes.cpu_seconds() - cpu,
            process_cpu_seconds(server.pid) - server_cpu,
            self._event_loop_cpu() - loop_cpu,
        )


async def measure_side(server: DevServerProcess, side: Side, count: int) -> dict[str, Measurement]:
    domain = f"{side.label}-{uuid.uuid4().hex[:8]}"
    results = {}
    commands = side.commands(server.endpoint_url, domain, side.task_list)
    async with plain_swf_client(server.endpoint_url) as swf:
        driver = Driver(swf, domain, side)
        await driver.register()  # before the processes start: simpleflow's would race it
        async with side_processes(commands, side_env(server.endpoint_url)) as processes:
            driver.processes = processes
            for workload, type_name in zip(WORKLOADS, side.workflow_types, strict=True):
                await driver.warm_up(type_name)
                results[workload] = await driver.measure(type_name, count, server)
    return results


async def run(quick: bool) -> Section:
    section = Section(
        title="swfasync vs simpleflow on the dev server",
        command=COMMAND,
        columns=[
            "workload",
            "side",
            "workflows/s",
            "ms/workflow",
            "CPU ms/workflow (side's processes)",
            "CPU ms/workflow (dev server)",
        ],
    )
    if not simpleflow_executable().exists():
        if quick:
            section.notes.append(
                f"skipped: {SIMPLEFLOW_VENV.name} is absent (the full run `{COMMAND}` "
                f"creates it with {SIMPLEFLOW_REQUIREMENT})."
            )
            return section
        await install_simpleflow()
    if not sys.platform.startswith("linux"):
        section.notes.append("skipped: CPU is read from /proc, which this system lacks.")
        return section
    count, rounds = (2, 1) if quick else (50, 3)
    results: dict[tuple[str, str], list[Measurement]] = {}
    for round_index in range(rounds):
        async with dev_server_process() as server:
            order = [SWFASYNC, SIMPLEFLOW] if round_index % 2 == 0 else [SIMPLEFLOW, SWFASYNC]
            for side in order:
                for workload, measured in (await measure_side(server, side, count)).items():
                    results.setdefault((workload, side.label), []).append(measured)
    ours_by_workload = {}
    for workload in WORKLOADS:
        ours, theirs = (
            _median(results[(workload, side.label)]).per_workflow_ms(count)
            for side in (SWFASYNC, SIMPLEFLOW)
        )
        for side, figures in ((SWFASYNC, ours), (SIMPLEFLOW, theirs)):
            section.add_row(
                workload,
                side.label,
                1000 / figures.seconds,
                figures.seconds,
                figures.cpu_seconds,
                figures.server_cpu_seconds,
            )
        throughput = Target(
            f"{workload}: swfasync / simpleflow workflows per second",
            theirs.seconds / ours.seconds,
            10.0,
            at_most=False,
        )
        cpu = Target(
            f"{workload}: swfasync / simpleflow CPU per workflow",
            ours.cpu_seconds / theirs.cpu_seconds,
            0.1,
        )
        ours_by_workload[workload] = ours
        section.targets.extend([throughput, cpu])
        if not quick and not (throughput.met and cpu.met):
            section.notes.append(_gap_note(workload, ours, theirs))
    section.notes.append(
        f"simpleflow {simpleflow_version()}; {count} executions started at once per side and "
        f"workload after one warm-up execution; medians of {rounds} rounds, a fresh dev "
        "server subprocess per round, the sides' order alternating. Per-workflow CPU counts "
        "every process of the side (simpleflow's forks included); the dev server's is apart."
    )
    if quick:
        section.notes.append("(--quick: too few executions for the gap analysis and profile.)")
    elif not all(target.met for target in section.targets):
        async with dev_server_process() as server:
            profile = await profile_sdk(server, END_TO_END_WORKLOADS[0], 100)
        section.notes.append(_closing_note(profile, ours_by_workload[WORKLOADS[0]]))
    return section


def _median(runs: list[Measurement]) -> Measurement:
    return Measurement(
        statistics.median(m.seconds for m in runs),
        statistics.median(m.cpu_seconds for m in runs),
        statistics.median(m.server_cpu_seconds for m in runs),
        statistics.median(m.event_loop_cpu_seconds for m in runs),
    )


def _gap_note(workload: str, ours: Measurement, theirs: Measurement) -> str:
    """By how much the targets are missed and what bounds swfasync here (ms per workflow)."""
    needed_ms = theirs.seconds / 10
    cores = os.cpu_count() or 1
    return (
        f"{workload}: 10x simpleflow's throughput needs a workflow every {needed_ms:.1f} ms; "
        f"swfasync takes {ours.seconds:.1f} ms ({theirs.seconds / ours.seconds:.1f}x) and "
        f"{ours.cpu_seconds:.1f} ms of CPU against the {theirs.cpu_seconds / 10:.1f} ms that "
        f"1/10 of simpleflow's allows. Its one worker process is on CPU "
        f"{ours.cpu_seconds / ours.seconds:.0%} of the time: "
        f"{ours.event_loop_cpu_seconds:.1f} ms on the event-loop thread (every SWF request), "
        f"{ours.cpu_seconds - ours.event_loop_cpu_seconds:.1f} ms in workflow activations; "
        f"with the dev server's {ours.server_cpu_seconds:.1f} ms, even one worker per core "
        f"would top out near {cores * 1000 / (ours.cpu_seconds + ours.server_cpu_seconds):.0f}"
        f" workflows/s on these {cores} cores."
    )


# The swfasync worker's requests per sequential workflow (the start is this process's).
WORKER_REQUESTS = SEQUENTIAL_REQUESTS - 1


def _closing_note(profile: str, sequential: Measurement) -> str:
    per_request_ms = sequential.event_loop_cpu_seconds / WORKER_REQUESTS
    return (
        "Where the swfasync worker's event-loop CPU goes (cProfile on the thread-CPU clock, "
        "the same worker in-process, 100 sequential workflows; builtin and stdlib calls "
        f"billed to their callers): {profile}. The worker's polls, answers and heartbeats "
        "go through its fast transport (its own HTTP/1.1 connections, msgspec bodies, a "
        "cached SigV4 key); the botocore and aiobotocore shares are the in-process "
        "driver's starts and completion checks. The worker makes "
        f"{WORKER_REQUESTS} requests a sequential workflow at {per_request_ms:.2f} ms of "
        "event-loop CPU each, most of it the HTTP exchange and the event loop (asyncio, "
        "anyio) rather than the SDK. Where throughput still misses, the worker and "
        "the dev server are sharing too few cores: the dev server's per-request cost, or "
        "more cores, is what is left to close it."
    )
