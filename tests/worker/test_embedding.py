"""A Worker (and a WorkflowEnvironment) entered and left from any task, as applications
do: a pytest fixture that yields inside ``async with``, start and stop in different tasks,
a cancelled application; each ends in a graceful shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import anyio
import pytest_asyncio

from swfasync import Client, Worker, activity, workflow
from swfasync.testing import WorkflowEnvironment

from .workflows import until

TASK_LIST = "embedding"
gate: list[asyncio.Event] = []
started: list[str] = []


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def wrap(text: str) -> str:
    started.append(text)
    if gate:
        await gate[0].wait()
    return f"[{text}]"


@workflow.defn(task_list=TASK_LIST)
async def Wraps(text: str) -> str:
    return await workflow.execute_activity(wrap, text)


@pytest_asyncio.fixture
async def environment() -> AsyncIterator[WorkflowEnvironment]:
    """Set up in one task, torn down in another (pytest-asyncio's way with fixtures)."""
    async with WorkflowEnvironment(
        workflows=[Wraps], activities=[wrap], task_list=TASK_LIST
    ) as env:
        yield env


async def test_a_fixture_yielding_inside_the_environment_tears_down_cleanly(
    environment: WorkflowEnvironment,
) -> None:
    gate.clear()
    handle = await environment.client.start_workflow(Wraps, "fixture", id="fixture-1")
    assert await handle.result() == "[fixture]"


async def test_started_in_one_task_and_stopped_in_another_with_a_graceful_drain() -> None:
    gate[:] = [asyncio.Event()]
    started.clear()
    async with WorkflowEnvironment(task_list=TASK_LIST) as env:
        worker = env.new_worker(workflows=[Wraps], activities=[wrap])
        await asyncio.create_task(worker.__aenter__())
        handle = await env.client.start_workflow(Wraps, "drained", id="drained-1")
        await until(lambda: started == ["drained"])
        stopping = asyncio.create_task(worker.__aexit__(None, None, None))
        await anyio.sleep(0.3)
        assert not stopping.done()  # the running activity gets its grace period
        gate[0].set()
        with anyio.fail_after(10):
            await stopping
        history = [type(event).__name__ for event in await handle.history()]
        assert "ActivityTaskCompleted" in history  # its answer went out before the stop


async def test_a_cancelled_application_still_drains_its_worker() -> None:
    gate[:] = [asyncio.Event()]
    started.clear()
    async with WorkflowEnvironment(task_list=TASK_LIST) as env:
        worker = env.new_worker(workflows=[Wraps], activities=[wrap])

        async def application() -> None:
            async with worker:
                await env.client.start_workflow(Wraps, "cancelled", id="cancelled-1")
                await anyio.sleep_forever()

        app = asyncio.create_task(application())
        await until(lambda: started == ["cancelled"])
        app.cancel()
        await anyio.sleep(0.3)
        assert not app.done()  # draining, shielded from the cancellation
        gate[0].set()
        with anyio.fail_after(10):
            await asyncio.wait([app])
        assert app.cancelled()
        handle = await env.client.get_workflow_handle("cancelled-1")
        history = [type(event).__name__ for event in await handle.history()]
        assert "ActivityTaskCompleted" in history


async def test_run_inside_the_applications_task_group_and_shutdown_from_elsewhere() -> None:
    gate.clear()
    async with WorkflowEnvironment(task_list=TASK_LIST) as env:
        worker = env.new_worker(workflows=[Wraps], activities=[wrap])
        async with anyio.create_task_group() as tg:
            await tg.start(worker.run)
            handle = await env.client.start_workflow(Wraps, "group", id="group-1")
            assert await handle.result() == "[group]"

            # shutdown() from a task of its own, not the one that started the worker
            async def stop() -> None:
                worker.shutdown()

            await asyncio.create_task(stop())


def test_a_worker_is_made_before_its_client_is_open() -> None:
    """As an application builds its parts before its event loop runs them."""
    client = Client.local("http://127.0.0.1:1", "unopened")
    worker = Worker(client, task_list=TASK_LIST, workflows=[Wraps], activities=[wrap])
    assert worker.task_list == TASK_LIST
