"""Time skipping's rule: the clock jumps over idle time to timers, and onto an execution's
timeout only when that execution waits on the clock (itself or through a child).

A manual clock makes every jump visible as ``clock.now()``. Each negative check follows a
request made after the state change, so the scheduler has had its turn to (wrongly) jump.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest

from swfasync.devserver import DevServer, ManualClock

from .conftest import (
    DOMAIN,
    Client,
    Helper,
    Json,
    complete,
    make_client,
    register_types,
    start_timer,
    types_of,
)

EXECUTION_TIMEOUT = 3600  # the "wf" type's default in conftest


@pytest.fixture
async def skipping(clock: ManualClock) -> AsyncIterator[DevServer]:
    async with DevServer(clock=clock, time_skipping=True, long_poll_timeout=2.0) as srv:
        yield srv


@pytest.fixture
async def swf(skipping: DevServer) -> AsyncIterator[Client]:
    async with AsyncExitStack() as stack:
        yield await stack.enter_async_context(make_client(skipping.endpoint_url))


def start_child(workflow_id: str, task_list: str) -> Json:
    return {
        "decisionType": "StartChildWorkflowExecution",
        "startChildWorkflowExecutionDecisionAttributes": {
            "workflowType": {"name": "wf", "version": "1"},
            "workflowId": workflow_id,
            "taskList": {"name": task_list},
        },
    }


async def status(swf: Client, workflow_id: str, run_id: str) -> tuple[str, str | None]:
    info: dict[str, Any] = (
        await swf.describe_workflow_execution(
            domain=DOMAIN, execution={"workflowId": workflow_id, "runId": run_id}
        )
    )["executionInfo"]
    return info["executionStatus"], info.get("closeStatus")


async def closed(h: Helper, workflow_id: str, run_id: str) -> list[Json]:
    """The history once the execution has closed (the jump happens between requests)."""
    with anyio.fail_after(5):
        while True:
            events = await h.history(workflow_id, run_id)
            if events[-1]["eventType"].startswith("WorkflowExecution"):
                return events
            await anyio.sleep(0.01)


async def test_an_execution_waiting_for_a_signal_keeps_its_timeout(
    h: Helper, swf: Client, clock: ManualClock
) -> None:
    started = clock.now()
    waiting = await h.start("waits-for-signal")
    await h.respond(await h.decide())  # no timer: only a signal can move it on
    sleeper = await h.start("sleeps")
    await h.respond(await h.decide(), start_timer("nap", 60))
    task = await h.decide()  # the clock jumped to the timer: it waits on the clock
    assert "TimerFired" in types_of(task["events"])
    await h.respond(task, complete())
    assert await status(swf, "sleeps", sleeper) == ("CLOSED", "COMPLETED")
    # idle again, and the only deadline left is the waiting execution's timeout
    assert await status(swf, "waits-for-signal", waiting) == ("OPEN", None)
    assert clock.now() - started == 60
    await swf.signal_workflow_execution(
        domain=DOMAIN, workflowId="waits-for-signal", signalName="go"
    )
    task = await h.decide()
    assert types_of(task["events"])[-3] == "WorkflowExecutionSignaled"
    await h.respond(task, complete())
    assert await status(swf, "waits-for-signal", waiting) == ("CLOSED", "COMPLETED")


async def test_a_later_timer_waits_behind_a_signal_waiters_timeout(
    h: Helper, swf: Client, clock: ManualClock
) -> None:
    started = clock.now()
    waiting = await h.start("waits-for-signal")
    await h.respond(await h.decide())
    sleeper = await h.start("sleeps-too-long")
    await h.respond(await h.decide(), start_timer("nap", 2 * EXECUTION_TIMEOUT))
    # jumping to the timer would time out the waiting execution on the way
    assert await status(swf, "waits-for-signal", waiting) == ("OPEN", None)
    assert await status(swf, "sleeps-too-long", sleeper) == ("OPEN", None)
    assert clock.now() == started


async def test_an_execution_sleeping_past_its_timeout_times_out(
    h: Helper, swf: Client, clock: ManualClock
) -> None:
    started = clock.now()
    run_id = await h.start()
    await h.respond(await h.decide(), start_timer("too-long", 2 * EXECUTION_TIMEOUT))
    events = await closed(h, "wf-1", run_id)
    assert types_of(events)[-1] == "WorkflowExecutionTimedOut"
    assert "TimerFired" not in types_of(events)
    assert clock.now() - started == EXECUTION_TIMEOUT


async def test_a_parent_waiting_on_a_sleeping_child_times_out(
    h: Helper, swf: Client, clock: ManualClock
) -> None:
    started = clock.now()
    parent = await h.start("parent", executionStartToCloseTimeout="100")
    await h.respond(await h.decide(), start_child("kid", "kids"))
    kid_task = await h.decide("kids")
    kid = kid_task["workflowExecution"]["runId"]
    # the parent has no timer, but its child sleeps: the clock decides both
    await h.respond(kid_task, start_timer("nap", 200))
    await h.respond(await h.decide())  # the parent sees ChildWorkflowExecutionStarted
    await closed(h, "parent", parent)
    assert clock.now() - started == 100
    assert await status(swf, "kid", kid) == ("CLOSED", "TERMINATED")  # child policy


async def test_a_parent_waiting_on_a_child_that_waits_for_a_signal_is_not_skipped(
    h: Helper, swf: Client, clock: ManualClock
) -> None:
    started = clock.now()
    parent = await h.start("parent", executionStartToCloseTimeout="100")
    await h.respond(await h.decide(), start_child("kid", "kids"))
    await h.respond(await h.decide("kids"))
    task = await h.decide()  # ChildWorkflowExecutionStarted
    await h.respond(task)
    assert await status(swf, "parent", parent) == ("OPEN", None)
    assert clock.now() == started


async def test_advance_clock_fires_an_execution_timeout_on_request(
    skipping: DevServer, h: Helper, swf: Client, clock: ManualClock
) -> None:
    run_id = await h.start()
    await h.respond(await h.decide())
    skipping.advance_clock(EXECUTION_TIMEOUT - 1)
    assert await status(swf, "wf-1", run_id) == ("OPEN", None)
    skipping.advance_clock(1)
    assert await status(swf, "wf-1", run_id) == ("CLOSED", "TIMED_OUT")
    with pytest.raises(ValueError, match="backwards"):
        skipping.advance_clock(-1)


async def test_advance_clock_works_without_time_skipping(clock: ManualClock) -> None:
    async with DevServer(clock=clock) as server:
        before = clock.now()
        server.advance_clock(30 * 86400)
        assert clock.now() - before == 30 * 86400


async def test_a_timer_fires_on_the_wall_clock_moved_by_advance_clock() -> None:
    """On the system clock a pending timer fires once the moved clock reaches it, not when
    the wall clock would have reached it without the move."""
    async with (
        DevServer(long_poll_timeout=5.0) as server,
        make_client(server.endpoint_url) as swf,
    ):
        await register_types(swf)
        h = Helper(swf, DOMAIN)
        run_id = await h.start()
        await h.respond(await h.decide(), start_timer("t", EXECUTION_TIMEOUT - 60))
        # a first move, and a request to give the timer loop its turn: it now sleeps
        # towards the timer, and the second move must shorten that sleep
        server.advance_clock(1)
        await swf.describe_workflow_execution(
            domain=DOMAIN, execution={"workflowId": "wf-1", "runId": run_id}
        )
        server.advance_clock(EXECUTION_TIMEOUT - 60 - 1 - 0.2)
        with anyio.fail_after(3):
            await h.decide()  # held until the timer fires, 0.2 s of real time later
        assert "TimerFired" in types_of(await h.history("wf-1", run_id))
