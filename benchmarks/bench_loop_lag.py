"""Loop lag: how long the host application's ready callbacks wait while a worker runs.

An application that embeds a worker shares its event loop with it. What the application
feels is the lag of its own work: a request handler whose data has arrived waits until
the loop gets round to it. A probe in this process measures exactly that, every half
millisecond: it schedules a callback with ``call_soon`` and records how long the callback
waits to run. The probe runs twice, each time for the same number of seconds:

- **idle**: the loop with nothing else to do (the reference);
- **worker under load**: a ``Worker`` in the same loop, serving a steady load: in another
  process, like the front ends of a busy service, a fixed number of callers each start a
  workflow of three sequential activities and wait for its result, over and over.

The dev server and the callers run in processes of their own, so what the probe sees is
the worker's share of the loop. The SDK's
end-to-end throughput (100 executions started at once, as ``end_to_end`` measures it) is
printed beside, from the same run, so a change that trades throughput for lag shows.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from dataclasses import dataclass

import anyio

from swfasync import Client

from ._harness import Section, Target, percentile
from .bench_end_to_end import (
    WORKLOADS,
    dev_server_process,
    measure_sdk,
    quiet_logs,
    sdk_worker,
    sequential,
)

PROBE_INTERVAL = 0.0005
IN_FLIGHT = 20
TARGET_P99_MS = 1.0


@dataclass
class Probe:
    """Schedules a callback every ``PROBE_INTERVAL`` and records how long it waited, and
    how much of that wait the loop's thread spent running (on the CPU)."""

    loop: asyncio.AbstractEventLoop
    lags: list[float]
    busy: list[float]
    _scheduled_at: float = 0.0
    _cpu_at: float = 0.0
    _stopped: bool = False

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        self._stopped = True

    def _arm(self) -> None:
        if self._stopped:
            return
        self._cpu_at = time.thread_time()
        self._scheduled_at = time.perf_counter()
        self.loop.call_soon(self._ran)

    def _ran(self) -> None:
        self.lags.append(time.perf_counter() - self._scheduled_at)
        self.busy.append(time.thread_time() - self._cpu_at)
        self.loop.call_later(PROBE_INTERVAL, self._arm)


async def probe_for(seconds: float) -> tuple[list[float], list[float]]:
    """(lags, the loop thread's CPU during each) over ``seconds``."""
    lags: list[float] = []
    busy: list[float] = []
    probe = Probe(asyncio.get_running_loop(), lags, busy)
    probe.start()
    try:
        await anyio.sleep(seconds)
    finally:
        probe.stop()
    return lags, busy


async def callers(endpoint_url: str, domain: str, seconds: float) -> float:
    """``IN_FLIGHT`` callers starting workflows and awaiting them for ``seconds``; the
    workflows completed per second."""
    completed = 0
    async with Client.local(endpoint_url, domain) as client:
        stop = anyio.Event()

        async def caller(index: int) -> None:
            nonlocal completed
            run = 0
            while not stop.is_set():
                handle = await client.start_workflow(sequential, 1, id=f"lag-{index}-{run}")
                await handle.result()
                completed += 1
                run += 1

        async with anyio.create_task_group() as tg:
            for index in range(IN_FLIGHT):
                tg.start_soon(caller, index)
            began = time.perf_counter()
            await anyio.sleep(seconds)
            stop.set()
        return completed / (time.perf_counter() - began)


async def under_load(
    endpoint_url: str, seconds: float
) -> tuple[tuple[list[float], list[float]], float]:
    """Probe while the worker serves callers in another process; (probe, workflows/s)."""
    domain = f"lag-{uuid.uuid4().hex[:8]}"
    warm_up = min(1.0, seconds / 4)
    async with Client.local(endpoint_url, domain) as client:
        await client.register_domain()
        async with sdk_worker(client):
            load = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.bench_loop_lag",
                endpoint_url,
                domain,
                str(2 + warm_up + seconds),  # its start-up, then past the probe
                stdout=asyncio.subprocess.PIPE,
            )
            await anyio.sleep(2 + warm_up)  # its start-up, then a steady state
            lags = await probe_for(seconds)
            out, _ = await load.communicate()
    return lags, float(out.decode().split()[-1])


async def run(quick: bool) -> Section:
    seconds = 1.0 if quick else 8.0
    section = Section(
        title="Loop lag: the host's ready callbacks while a worker runs in its loop",
        command=".venv/bin/python -m benchmarks loop_lag",
        columns=[
            "loop",
            "samples",
            "lag p50 ms",
            "lag p99 ms",
            "lag max ms",
            "loop CPU in lag p99 ms",
            "workflows/s while probed",
            "end to end workflows/s (same run)",
        ],
    )
    with quiet_logs():
        async with dev_server_process() as server:
            idle = await probe_for(seconds)
            loaded, loaded_rate = await under_load(server.endpoint_url, seconds)
            count = 10 if quick else 100
            end_to_end = await measure_sdk(server, WORKLOADS[0], count)
            load_average = os.getloadavg()[0]
    throughput = f"{count / end_to_end.seconds:.4g}"
    for name, (lags, busy), rate in (
        ("idle (reference)", idle, ""),
        (f"worker, {IN_FLIGHT} callers", loaded, f"{loaded_rate:.4g}"),
    ):
        section.add_row(
            name,
            len(lags),
            1000 * percentile(lags, 0.5),
            1000 * percentile(lags, 0.99),
            1000 * max(lags),
            1000 * percentile(busy, 0.99),
            rate,
            throughput,
        )
    lags, busy = loaded
    p99_ms = 1000 * percentile(lags, 0.99)
    section.targets.append(
        Target(f"worker loop lag p99 / {TARGET_P99_MS:g} ms", p99_ms / TARGET_P99_MS, 1.0)
    )
    long_waits = [(lag, cpu) for lag, cpu in zip(lags, busy, strict=True) if lag > 0.001]
    on_cpu = sum(cpu for _, cpu in long_waits) / max(1e-9, sum(lag for lag, _ in long_waits))
    section.notes.extend(
        [
            f"Lag: how long a callback scheduled with call_soon waited to run, probed every "
            f"{1000 * PROBE_INTERVAL:g} ms for {seconds:g} s. Under load, {IN_FLIGHT} callers "
            f"in another process each start a workflow of three sequential activities and "
            f"await its result, again and again; the dev server runs in its own process. "
            f"The last column is the end_to_end benchmark's SDK measure ({count} executions "
            f"started at once), taken in the same run.",
            f"Loop CPU: the loop thread's own CPU time during each wait, the part of a lag "
            f"spent running other callbacks (the worker's work). Of the waits over 1 ms "
            f"({len(long_waits)} of {len(lags)}), the loop thread was on the CPU for "
            f"{100 * on_cpu:.0f}% of the time; the rest it was waiting to be scheduled "
            f"(1-minute load average {load_average:.2f} on {os.cpu_count()} cores).",
        ]
    )
    return section


if __name__ == "__main__":  # the load: callers in a process of their own
    with quiet_logs():
        print(asyncio.run(callers(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
