"""The HTTP gateway's cost: starts per second and the latency of ``GET ?wait=``.

A dev server runs in a subprocess; the worker, the gateway (on loopback) and the callers
run in this process. Both figures are ratios against the same work done directly with the
Client in the same run:

- starts: rounds of starts with 16 in flight, each ``PUT /v1/workflows/{id}`` through the
  gateway against ``Client.start_workflow(..., id_reuse_policy=IDEMPOTENT)`` (the policy
  the gateway uses); starts per second, median of the rounds, gateway / direct;
- wait: a one-activity workflow started directly, then its result awaited with
  ``GET /v1/workflows/{id}?wait=30`` (by name, and with ``&run_id=``) or with
  ``handle.result()``, in turn; seconds from before the start to the result in hand,
  median, gateway / direct.
"""

from __future__ import annotations

import functools
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import aiohttp
import anyio

from swfasync import Client, IdReusePolicy, Worker, activity, workflow
from swfasync.gateway import Gateway

from ._harness import Section, Target, percentile
from .bench_end_to_end import dev_server_process, quiet_logs

TASK_LIST = "gateway-bench"
IN_FLIGHT = 16
STARTS_TARGET = 0.5  # gateway starts/s at least half the direct rate
WAIT_TARGET = 1.5  # GET ?wait= p50 within 1.5x of handle.result()'s


@activity.defn(name="GatewayBenchEcho", start_to_close_timeout=timedelta(minutes=1))
async def echo(value: int) -> int:
    return value


@workflow.defn(name="GatewayBenchOne", task_list=TASK_LIST)
async def one_activity(value: int) -> int:
    return await workflow.execute_activity(echo, value)


async def keyed(starter: Callable[[int, str], Awaitable[None]], prefix: str, index: int) -> None:
    await starter(index, f"{prefix}-{index}")


async def in_flight(count: int, call: Callable[[int], Awaitable[None]]) -> float:
    """Seconds to run ``call(0..count-1)`` with ``IN_FLIGHT`` at a time."""
    limiter = anyio.CapacityLimiter(IN_FLIGHT)

    async def one(index: int) -> None:
        async with limiter:
            await call(index)

    began = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for index in range(count):
            tg.start_soon(one, index)
    return time.perf_counter() - began


async def run(quick: bool) -> Section:
    rounds, per_round, waits = (3, 24, 8) if quick else (7, 200, 40)
    section = Section(
        title="HTTP gateway: starts per second and GET ?wait= latency, against the Client",
        command="python -m benchmarks gateway",
        columns=["measure", "samples", "gateway", "direct", "ratio"],
    )
    with quiet_logs():
        async with dev_server_process() as server:
            domain = f"gateway-{uuid.uuid4().hex[:8]}"
            async with Client.local(server.endpoint_url, domain) as client:
                await client.register_domain()
                worker = Worker(
                    client, task_list=TASK_LIST, workflows=[one_activity], activities=[echo]
                )
                gateway = Gateway(client, workflows=[one_activity])
                async with (
                    worker,
                    gateway.serve("127.0.0.1", 0) as url,
                    aiohttp.ClientSession(
                        url, connector=aiohttp.TCPConnector(limit=IN_FLIGHT)
                    ) as http,
                ):
                    tag = uuid.uuid4().hex[:6]

                    async def through_gateway(index: int, key: str) -> None:
                        body = {"workflow": "GatewayBenchOne", "args": [index]}
                        async with http.put(f"/v1/workflows/{key}", json=body) as answer:
                            assert answer.status == 201, await answer.text()

                    async def direct(index: int, key: str) -> None:
                        handle = await client.start_workflow(
                            one_activity, index, id=key, id_reuse_policy=IdReusePolicy.IDEMPOTENT
                        )
                        assert handle.newly_started

                    starters = {"gateway": through_gateway, "direct": direct}
                    rates: dict[str, list[float]] = {"gateway": [], "direct": []}
                    for r in range(rounds + 1):  # round 0 warms up both paths
                        for label, starter in starters.items():
                            prefix = f"{tag}-{label}-{r}"
                            took = await in_flight(
                                per_round, functools.partial(keyed, starter, prefix)
                            )
                            if r:
                                rates[label].append(per_round / took)
                    gateway_rate = statistics.median(rates["gateway"])
                    direct_rate = statistics.median(rates["direct"])
                    starts_ratio = gateway_rate / direct_rate
                    section.add_row(
                        "starts/s",
                        f"{rounds}x{per_round}",
                        f"{gateway_rate:.0f}",
                        f"{direct_rate:.0f}",
                        f"{starts_ratio:.2f}x",
                    )

                    # Let the starts above drain before timing single workflows.
                    for _ in range(1200):
                        if not await client.count_workflows(status="OPEN"):
                            break
                        await anyio.sleep(0.1)
                    labels = ("by name", "by run id", "direct")
                    seen: dict[str, list[float]] = {label: [] for label in labels}
                    for index in range(waits + 2):
                        for label in labels:
                            key = f"{tag}-wait-{label.replace(' ', '-')}-{index}"
                            began = time.perf_counter()
                            handle = await client.start_workflow(one_activity, index, id=key)
                            if label == "direct":
                                assert await handle.result() == index
                            else:
                                query = {"wait": "30"}
                                if label == "by run id":
                                    query["run_id"] = handle.run_id
                                path = f"/v1/workflows/{key}"
                                async with http.get(path, params=query) as answer:
                                    assert (await answer.json())["result"] == index
                            if index >= 2:  # the first two warm up
                                seen[label].append(time.perf_counter() - began)
                    direct_wait = statistics.median(seen["direct"])
                    ratios: dict[str, float] = {}
                    for label in labels[:2]:
                        gateway_wait = statistics.median(seen[label])
                        ratios[label] = gateway_wait / direct_wait
                        section.add_row(
                            f"wait {label} p50 ms",
                            waits,
                            f"{gateway_wait * 1000:.1f}",
                            f"{direct_wait * 1000:.1f}",
                            f"{ratios[label]:.2f}x",
                        )
                        section.add_row(
                            f"wait {label} p90 ms",
                            waits,
                            f"{percentile(seen[label], 0.9) * 1000:.1f}",
                            f"{percentile(seen['direct'], 0.9) * 1000:.1f}",
                            "",
                        )
    section.targets.append(
        Target("gateway starts/s / direct starts/s", starts_ratio, STARTS_TARGET, at_most=False)
    )
    section.targets.append(
        Target("GET ?wait= (by name) p50 / handle.result() p50", ratios["by name"], WAIT_TARGET)
    )
    section.notes.append(
        f"starts: {IN_FLIGHT} in flight, every one a new id under the IDEMPOTENT policy; "
        "wait: from before StartWorkflowExecution is sent to the result in hand, one "
        "workflow at a time, the three ways in turn; by name, the gateway first lists the "
        "id's open run (one SWF call more than a handle that knows its run). Dev server in "
        "a subprocess; worker, gateway and callers share this process's event loop."
    )
    return section
