"""Long-poll wake latency on the dev server, against a trivial request's round trip.

The dev server runs in a subprocess (``swfasync dev-server``); the poller and the caller
that schedules work share one SDK client (``Client.local(...).raw``) in this process, so
one clock times both. Each sample:

1. a poll (PollForDecisionTask, or PollForActivityTask) is sent and given a few
   milliseconds to be parked on the server with nothing to hand out;
2. ``t0`` is read, then the scheduling call is sent: StartWorkflowExecution (which
   schedules a decision task) or RespondDecisionTaskCompleted with a ScheduleActivityTask
   decision; ``t1`` is read when that call has returned;
3. the poller reads ``t2`` the moment its call returns with the task.

The wake latency is ``t2 - t0``: from just before the scheduling request leaves to the
poller holding the task, so it includes the scheduling request's own trip. ``t2 - t1``
(the poll's return measured from the scheduling call's return) is printed too; it would
be negative where the poller's answer arrived before the scheduler's.
The reference is DescribeDomain's round trip on the same client and server.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from swfasync import Client

from ._harness import Section, Target, percentile
from .bench_end_to_end import dev_server_process, quiet_logs

TASK_LIST = "wake"
# Time for a poll to reach the server and park before work is scheduled for it.
SETTLE_SECONDS = 0.005
BUDGET_MS = 10.0


async def _timed_poll(poll: Callable[[], Awaitable[dict[str, Any]]], out: list[Any]) -> None:
    task = await poll()
    out.extend([time.perf_counter(), task])


async def wake_sample(
    poll: Callable[[], Awaitable[dict[str, Any]]],
    schedule: Callable[[], Awaitable[object]],
) -> tuple[float, float, dict[str, Any]]:
    """(``t2 - t0``, ``t2 - t1``, the polled task) for one parked poll and one schedule."""
    polled: list[Any] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(_timed_poll, poll, polled)
        await anyio.sleep(SETTLE_SECONDS)
        t0 = time.perf_counter()
        await schedule()
        t1 = time.perf_counter()
    t2, task = polled
    if not task.get("taskToken"):
        raise RuntimeError("the long poll returned empty: the scheduled task never reached it")
    return t2 - t0, t2 - t1, task


class WakeBench:
    def __init__(self, swf: Any, domain: str) -> None:
        self.swf = swf
        self.domain = domain

    async def poll_decision(self) -> dict[str, Any]:
        task: dict[str, Any] = await self.swf.poll_for_decision_task(
            domain=self.domain, taskList={"name": TASK_LIST}, identity="wake-bench"
        )
        return task

    async def poll_activity(self) -> dict[str, Any]:
        task: dict[str, Any] = await self.swf.poll_for_activity_task(
            domain=self.domain, taskList={"name": TASK_LIST}, identity="wake-bench"
        )
        return task

    async def start(self) -> None:
        await self.swf.start_workflow_execution(
            domain=self.domain,
            workflowId=uuid.uuid4().hex,
            workflowType={"name": "Wake", "version": "1"},
        )

    async def respond(self, token: str, *decisions: dict[str, Any]) -> None:
        await self.swf.respond_decision_task_completed(taskToken=token, decisions=list(decisions))

    async def register(self) -> None:
        await self.swf.register_domain(name=self.domain, workflowExecutionRetentionPeriodInDays="1")
        await self.swf.register_workflow_type(
            domain=self.domain,
            name="Wake",
            version="1",
            defaultTaskList={"name": TASK_LIST},
            defaultChildPolicy="TERMINATE",
            defaultExecutionStartToCloseTimeout="3600",
            defaultTaskStartToCloseTimeout="60",
        )
        await self.swf.register_activity_type(
            domain=self.domain,
            name="Nothing",
            version="1",
            defaultTaskList={"name": TASK_LIST},
            defaultTaskScheduleToStartTimeout="60",
            defaultTaskStartToCloseTimeout="60",
            defaultTaskScheduleToCloseTimeout="120",
            defaultTaskHeartbeatTimeout="60",
        )

    async def decision_wake(self) -> tuple[float, float]:
        """StartWorkflowExecution -> PollForDecisionTask; the execution is then completed."""
        before, after, task = await wake_sample(self.poll_decision, self.start)
        await self.respond(task["taskToken"], COMPLETE)
        return before, after

    async def activity_wake(self) -> tuple[float, float]:
        """RespondDecisionTaskCompleted(ScheduleActivityTask) -> PollForActivityTask."""
        await self.start()
        decision = await self.poll_decision()
        before, after, task = await wake_sample(
            self.poll_activity, lambda: self.respond(decision["taskToken"], SCHEDULE)
        )
        await self.swf.respond_activity_task_completed(taskToken=task["taskToken"])
        follow_up = await self.poll_decision()
        await self.respond(follow_up["taskToken"], COMPLETE)
        return before, after

    async def round_trip(self) -> float:
        started = time.perf_counter()
        await self.swf.describe_domain(name=self.domain)
        return time.perf_counter() - started


COMPLETE = {
    "decisionType": "CompleteWorkflowExecution",
    "completeWorkflowExecutionDecisionAttributes": {},
}
SCHEDULE = {
    "decisionType": "ScheduleActivityTask",
    "scheduleActivityTaskDecisionAttributes": {
        "activityType": {"name": "Nothing", "version": "1"},
        "activityId": "nothing",
    },
}


def _ms(seconds: float) -> float:
    return 1000 * seconds


async def run(quick: bool) -> Section:
    samples = 20 if quick else 300
    section = Section(
        title="Long-poll wake latency on the dev server",
        command=".venv/bin/python -m benchmarks long_poll",
        columns=[
            "measure",
            "samples",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p50 / round trip p50",
            "p50 ms from the schedule call's return",
        ],
    )
    with quiet_logs():
        async with (
            dev_server_process() as server,
            Client.local(server.endpoint_url, "wake") as client,
        ):
            bench = WakeBench(client.raw, client.domain)
            await bench.register()
            for _ in range(5):  # warm the connections and the server's code paths
                await bench.decision_wake()
                await bench.round_trip()
            round_trips = [await bench.round_trip() for _ in range(samples)]
            decision = [await bench.decision_wake() for _ in range(samples)]
            activity = [await bench.activity_wake() for _ in range(samples)]
    reference = statistics.median(round_trips)
    section.add_row(
        "DescribeDomain round trip (reference)",
        samples,
        _ms(reference),
        _ms(percentile(round_trips, 0.99)),
        _ms(max(round_trips)),
        1.0,
        "",
    )
    worst_p99 = 0.0
    for label, pairs in (
        ("StartWorkflowExecution -> PollForDecisionTask", decision),
        ("RespondDecisionTaskCompleted -> PollForActivityTask", activity),
    ):
        before = [b for b, _ in pairs]
        after = [a for _, a in pairs]
        p99 = percentile(before, 0.99)
        worst_p99 = max(worst_p99, p99)
        section.add_row(
            label,
            samples,
            _ms(statistics.median(before)),
            _ms(p99),
            _ms(max(before)),
            statistics.median(before) / reference,
            _ms(statistics.median(after)),
        )
    section.targets.append(
        Target(f"worst wake p99 / {BUDGET_MS:g} ms budget", _ms(worst_p99) / BUDGET_MS, 1.0)
    )
    section.notes.extend(
        [
            "Wake latency runs from just before the scheduling request is sent to the "
            "moment the poller's call returns with the task, so it contains the scheduling "
            "request's trip to the server as well as the poll response's trip back; the "
            "last column measures the same return from the scheduling call's own return.",
            f"Each poll is given {SETTLE_SECONDS * 1000:g} ms to park on the server before "
            "the work is scheduled; a poll that had not yet arrived would be answered at "
            "once and show as a smaller latency, not a larger one.",
            "One SDK client (aiobotocore with the SDK's parser) in this process; the dev "
            "server in its own process, its state in memory (no --db); loopback HTTP.",
        ]
    )
    return section
