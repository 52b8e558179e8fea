"""Outages are waited out: the dev server (``--db``) killed and restarted under a worker.

A worker started while SWF is unreachable starts working when it comes back; a running
worker whose activity finishes during an outage delivers the result once SWF is back,
so nothing is lost and nothing runs twice.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from structlog.testing import capture_logs

from swfasync import Client, Worker, activity, workflow

from .workflows import until

TASK_LIST = "outages"
OUTAGE = 62.0  # seconds the dev server stays down under a running worker
gate: list[asyncio.Event] = []
started: list[str] = []


@activity.defn(start_to_close_timeout=timedelta(minutes=5))
async def double_when_let(value: int) -> int:
    started.append(activity.info().activity_id)
    if gate:
        await gate[0].wait()
    return 2 * value


@workflow.defn(task_list=TASK_LIST, task_start_to_close_timeout=timedelta(minutes=2))
async def Doubles(value: int) -> int:
    return await workflow.execute_activity(double_when_let, value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def dev_server(port: int, db: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``swfasync dev-server --db`` on ``port``; killed (SIGKILL) at the end if alive."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "swfasync.cli",
        "dev-server",
        "--port",
        str(port),
        "--db",
        str(db),
        "--long-poll-timeout",
        "5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().strip() == f"http://127.0.0.1:{port}", line
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()


def events(logs: list[MutableMapping[str, Any]], name: str) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


@pytest.mark.timeout(90)
async def test_a_worker_started_during_an_outage_starts_working_when_swf_returns(
    tmp_path: Path,
) -> None:
    gate.clear()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with capture_logs() as logs:
        async with Client.local(url, "outage-start") as client:
            worker = Worker(
                client, task_list=TASK_LIST, workflows=[Doubles], activities=[double_when_let]
            )
            entering = asyncio.create_task(worker.__aenter__())
            await anyio.sleep(2)  # SWF is unreachable: the worker keeps trying
            assert not entering.done()
            unreachable = [
                e for e in logs if e.get("endpoint") == url and e["log_level"] == "warning"
            ]
            assert unreachable, "a warning names the endpoint"
            assert len(events(logs, "swf_unreachable")) <= 1
            async with dev_server(port, tmp_path / "swf.db"):
                with anyio.fail_after(30):
                    await entering
                try:
                    handle = await client.start_workflow(Doubles, 21, id="after-outage")
                    assert await handle.result() == 42
                finally:
                    await worker.__aexit__(None, None, None)


@pytest.mark.timeout(180)
async def test_a_result_finished_during_a_minute_long_outage_is_delivered_when_swf_returns(
    tmp_path: Path,
) -> None:
    gate[:] = [asyncio.Event()]
    started.clear()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db = tmp_path / "swf.db"
    with capture_logs() as logs:
        async with Client.local(url, "outage-run") as client, dev_server(port, db) as server:
            await client.register_domain()
            worker = Worker(
                client, task_list=TASK_LIST, workflows=[Doubles], activities=[double_when_let]
            )
            await worker.__aenter__()
            try:
                handle = await client.start_workflow(Doubles, 5, id="through-outage")
                await until(lambda: bool(started))
                server.send_signal(signal.SIGKILL)
                await server.wait()
                down_at = anyio.current_time()
                gate[0].set()  # the activity finishes while SWF is down
                # The transport's own retries come first; then the worker's, for as long
                # as it takes, naming the task.
                await until(lambda: bool(events(logs, "activity_answer_retrying")), 90)
                # A minute and more without SWF: polls and the answer keep trying.
                await anyio.sleep(max(0.0, down_at + OUTAGE - anyio.current_time()))
                async with dev_server(port, db):
                    with anyio.fail_after(60):
                        assert await handle.result() == 10
                    history = [type(event).__name__ for event in await handle.history()]
            finally:
                await worker.__aexit__(None, None, None)
    [retrying] = events(logs, "activity_answer_retrying")
    assert retrying["workflow_id"] == "through-outage"
    assert retrying["activity_id"] == started[0]
    assert retrying["endpoint"] == url
    assert events(logs, "swf_reachable_again")
    # Answered once, by the attempt that ran: no timeout, no second attempt.
    assert started == [started[0]]
    assert history.count("ActivityTaskScheduled") == 1
    assert history.count("ActivityTaskCompleted") == 1
    assert "ActivityTaskTimedOut" not in history
