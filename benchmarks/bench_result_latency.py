"""Result latency: how soon a caller sees a one-activity workflow finish.

One workflow at a time runs through the SDK's worker in this process against a dev server
in a subprocess. For each run the caller times ``start_workflow`` plus ``handle.result()``
(from just before the start request leaves to the result in hand); the server records the
run's start and close times, and ``close - start`` is what the caller could at best see.
The ratio of their medians is the target (p50 of the caller's time within 1.5x of the
server-recorded time).

The same runs are also awaited the way ``result()`` used to wait (Describe polled from
20 ms on, growing 1.5x, then the close event read) for comparison.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

import anyio

from swfasync import Client, Worker, activity, workflow
from swfasync._client.handle import WorkflowHandle

from ._harness import Section, Target, percentile
from .bench_end_to_end import dev_server_process, quiet_logs

TASK_LIST = "latency"
TARGET = 1.5


@activity.defn(name="LatencyEcho", start_to_close_timeout=timedelta(minutes=1))
async def echo(value: int) -> int:
    return value


@workflow.defn(name="LatencyOneActivity", task_list=TASK_LIST)
async def one_activity(value: int) -> int:
    return await workflow.execute_activity(echo, value)


async def describe_polled(handle: WorkflowHandle[Any]) -> None:
    """The earlier ``result()``: Describe from 20 ms on (x1.5 up to 1 s), then the event."""
    interval = 0.02
    while True:
        await anyio.sleep(interval)
        if (await handle.describe()).status == "CLOSED":
            break
        interval = min(1.0, interval * 1.5)
    await handle.history()


async def sample(client: Client, index: int, *, old_way: bool) -> tuple[float, float]:
    """(caller's seconds, server-recorded seconds) for one run."""
    started = time.perf_counter()
    handle = await client.start_workflow(one_activity, index, id=f"latency-{index}")
    if old_way:
        await describe_polled(handle)
    else:
        assert await handle.result() == index
    seen = time.perf_counter() - started
    description = await handle.describe()
    assert description.close_time is not None
    return seen, (description.close_time - description.start_time).total_seconds()


async def run(quick: bool) -> Section:
    runs = 8 if quick else 60
    section = Section(
        title="Result latency: a caller sees a one-activity workflow finish",
        command="python -m benchmarks result_latency",
        columns=["wait", "runs", "caller p50 ms", "caller p90 ms", "server p50 ms", "ratio"],
    )
    with quiet_logs():
        async with dev_server_process() as server:
            domain = f"latency-{uuid.uuid4().hex[:8]}"
            async with Client.local(server.endpoint_url, domain) as client:
                await client.register_domain()
                worker = Worker(
                    client, task_list=TASK_LIST, workflows=[one_activity], activities=[echo]
                )
                async with worker:
                    for index in range(3):  # warm up: types registered, caches filled
                        await sample(client, -1 - index, old_way=False)
                    ratios: dict[str, float] = {}
                    for label, old_way in (("result()", False), ("describe from 20 ms", True)):
                        seen: list[float] = []
                        recorded: list[float] = []
                        offset = 1000 if old_way else 0
                        for index in range(runs):
                            caller, server_time = await sample(
                                client, offset + index, old_way=old_way
                            )
                            seen.append(caller)
                            recorded.append(server_time)
                        ratio = statistics.median(seen) / statistics.median(recorded)
                        ratios[label] = ratio
                        section.add_row(
                            label,
                            runs,
                            f"{statistics.median(seen) * 1000:.1f}",
                            f"{percentile(seen, 0.9) * 1000:.1f}",
                            f"{statistics.median(recorded) * 1000:.1f}",
                            f"{ratio:.2f}x",
                        )
    section.targets.append(Target("result() p50 / server-recorded p50", ratios["result()"], TARGET))
    section.notes.append(
        "caller: from before StartWorkflowExecution is sent to the result in hand; "
        "server: the run's close time minus its start time, as DescribeWorkflowExecution "
        "gives them. Runs are one at a time, worker and caller in one process."
    )
    return section
