"""Outages are waited out: the dev server (``--db``) is killed and restarted under a waiting
``handle.result()`` and a call that keeps retrying, and both carry on when it is back."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

from swfasync import Client, IdReusePolicy, WorkflowHandle, workflow
from tests.client.test_errors import unused_port

DOMAIN = "outage"


@workflow.defn(task_list="outage")
async def Decided(value: str) -> str:
    return value


@asynccontextmanager
async def dev_server(port: int, db: Path) -> AsyncIterator[Process]:
    """``swfasync dev-server --db`` on ``port``, in a subprocess; killed if left running."""
    command = [sys.executable, "-m", "swfasync.cli", "dev-server", "--port", str(port)]
    process = await anyio.open_process([*command, "--db", str(db)])
    try:
        assert process.stdout is not None
        with anyio.fail_after(30):
            line = await process.stdout.receive()
        assert line.decode().startswith("http://127.0.0.1:")
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_result_and_calls_wait_through_a_dev_server_restart(tmp_path: Path) -> None:
    port = unused_port()
    db = tmp_path / "swf.sqlite"
    async with (
        Client.local(f"http://127.0.0.1:{port}", DOMAIN) as client,
        dev_server(port, db) as first,
    ):
        await client.register_domain()
        await client.register_workflow(Decided)
        handle = await client.start_workflow(Decided, "ok", id="through-an-outage")
        results: list[Any] = []
        counts: list[int] = []
        started: list[WorkflowHandle[Any]] = []
        async with anyio.create_task_group() as waiting:

            async def wait_for_result() -> None:
                results.append(await handle.result())

            waiting.start_soon(wait_for_result)
            await anyio.sleep(0.2)  # result() is polling
            first.send_signal(signal.SIGKILL)
            await first.wait()

            async def count_during_the_outage() -> None:
                counts.append(await client.count_workflows())

            async def start_during_the_outage() -> None:
                started.append(
                    await client.start_workflow(
                        Decided,
                        "again",
                        id="started-in-an-outage",
                        id_reuse_policy=IdReusePolicy.IDEMPOTENT,
                    )
                )

            waiting.start_soon(count_during_the_outage)
            waiting.start_soon(start_during_the_outage)
            await anyio.sleep(1.5)  # both keep failing to connect, and retry
            assert not results
            assert not counts
            async with dev_server(port, db):
                with anyio.fail_after(30):
                    # The call made during the outage gets its answer.
                    while not counts:  # noqa: ASYNC110 - it retries on its own schedule
                        await anyio.sleep(0.05)
                assert counts in ([1], [2])  # the start may land first
                with anyio.fail_after(30):
                    while not started:  # noqa: ASYNC110 - it retries on its own schedule
                        await anyio.sleep(0.05)
                assert started[0].newly_started
                assert await client.count_workflows(workflow_id="started-in-an-outage") == 1
                # Decide the run by hand: the result the waiting caller gets.
                task = await client.raw.poll_for_decision_task(
                    domain=DOMAIN, taskList={"name": "outage"}
                )
                if task["workflowExecution"]["workflowId"] != "through-an-outage":
                    task = await client.raw.poll_for_decision_task(
                        domain=DOMAIN, taskList={"name": "outage"}
                    )
                await client.raw.respond_decision_task_completed(
                    taskToken=task["taskToken"],
                    decisions=[
                        {
                            "decisionType": "CompleteWorkflowExecution",
                            "completeWorkflowExecutionDecisionAttributes": {
                                "result": '"after the outage"'
                            },
                        }
                    ],
                )
                with anyio.fail_after(30):
                    while not results:  # noqa: ASYNC110 - result() polls on its own
                        await anyio.sleep(0.05)
    assert results == ["after the outage"]
