"""Time inside workflows: asyncio timers become SWF timers; clock and randomness replay."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from swfasync import workflow
from swfasync._wire import decisions as d
from swfasync.exceptions import RestrictedOperationError
from swfasync.testing import WorkflowSimulation

from .helpers import assert_replays, kinds, summary


@workflow.defn
async def sleeper() -> str:
    await asyncio.sleep(90)
    await workflow.sleep(timedelta(minutes=2))
    return workflow.now().isoformat()


def test_asyncio_sleep_and_workflow_sleep_are_durable_timers() -> None:
    sim = WorkflowSimulation(sleeper)
    first = sim.decide()
    assert first == [
        d.StartTimer(
            attributes=d.StartTimerDecisionAttributes(timer_id="t1", start_to_fire_timeout="90")
        )
    ]
    sim.builder.timer_fired("t1")
    assert summary(sim.decide()) == [("StartTimer", "t2")]
    sim.builder.timer_fired("t2")
    result = sim.decide()
    # now() is the DecisionTaskStarted timestamp: 90 s + 120 s after the start.
    expected = datetime(2026, 1, 1, 0, 3, 30, tzinfo=UTC).isoformat()
    assert summary(result) == [("CompleteWorkflowExecution", f'"{expected}"')]
    assert_replays(sim)


@workflow.defn
async def sub_second() -> None:
    await asyncio.sleep(0.2)  # SWF counts whole seconds: rounded up, never dropped
    await asyncio.sleep(0)  # a plain yield, no timer


def test_sub_second_sleep_rounds_up_and_zero_sleep_is_no_timer() -> None:
    sim = WorkflowSimulation(sub_second)
    assert sim.decide()[0].attributes.start_to_fire_timeout == "1"  # type: ignore[union-attr]
    sim.builder.timer_fired("t1")
    assert kinds(sim.decide()) == ["CompleteWorkflowExecution"]


@workflow.defn
async def waits_for_with_timeout() -> str:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(never, timeout=10)
    try:
        async with asyncio.timeout(20):
            await asyncio.sleep(3600)
    except TimeoutError:
        return "both timed out"
    return "unexpected"


def test_wait_for_and_timeout_use_timers_and_cancel_the_loser() -> None:
    sim = WorkflowSimulation(waits_for_with_timeout)
    assert summary(sim.decide()) == [("StartTimer", "t1")]
    sim.builder.timer_fired("t1")
    # timeout(20) arms t2, the sleep arms t3.
    assert summary(sim.decide()) == [("StartTimer", "t2"), ("StartTimer", "t3")]
    sim.builder.timer_fired("t2")
    # The timeout fires: the sleep is cancelled, so its timer t3 is cancelled on SWF.
    assert summary(sim.decide()) == [
        ("CancelTimer", "t3"),
        ("CompleteWorkflowExecution", '"both timed out"'),
    ]
    assert_replays(sim)


@workflow.defn
async def timer_cancelled_in_same_activation() -> str:
    task = asyncio.ensure_future(asyncio.sleep(100))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return "ok"


def test_a_timer_cancelled_before_it_was_sent_never_reaches_swf() -> None:
    sim = WorkflowSimulation(timer_cancelled_in_same_activation)
    assert kinds(sim.decide()) == ["CompleteWorkflowExecution"]
    assert_replays(sim)


@workflow.defn
async def random_things() -> list[str]:
    values = [str(workflow.random()), str(workflow.uuid4())]
    await workflow.sleep(5)
    values.append(str(workflow.random_generator().randint(0, 10**9)))
    return values


def test_random_and_uuid_are_seeded_per_run_and_replay_identically() -> None:
    sim = WorkflowSimulation(random_things, run_id="run-a")
    sim.decide()
    sim.builder.timer_fired("t1")
    result = sim.decide()[0].attributes.result  # type: ignore[union-attr]
    assert_replays(sim)  # the replayer uses another run id, so replay must not re-roll...
    other = WorkflowSimulation(random_things, run_id="run-b")
    other.decide()
    other.builder.timer_fired("t1")
    assert other.decide()[0].attributes.result != result  # type: ignore[union-attr]
    again = WorkflowSimulation(random_things, run_id="run-a")
    again.decide()
    again.builder.timer_fired("t1")
    assert again.decide()[0].attributes.result == result  # type: ignore[union-attr]


def _restricted_workflow(action: object) -> object:
    @workflow.defn(name=f"restricted-{id(action)}")
    async def body() -> None:
        action()  # type: ignore[operator]

    return body


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda: time.time(), "wall clock"),
        (lambda: socket.socket().connect(("127.0.0.1", 9)), "I/O"),
        (lambda: open("/etc/hostname").close(), "opening a file"),
        (lambda: threading.Thread(target=print).start(), "starting a thread"),
        (
            lambda: asyncio.get_running_loop().run_in_executor(None, print),
            "run_in_executor",
        ),
    ],
    ids=["time.time", "socket", "open", "thread", "executor"],
)
def test_io_threads_and_wall_clock_fail_the_decision_task_clearly(
    action: object, message: str
) -> None:
    from swfasync._engine.instance import WorkflowTaskError

    sim = WorkflowSimulation(_restricted_workflow(action))
    with pytest.raises(WorkflowTaskError) as caught:
        sim.decide()
    assert isinstance(caught.value.__cause__, RestrictedOperationError)
    assert message in str(caught.value.__cause__)
    assert "workflow" in str(caught.value.__cause__)
    # Outside workflow code nothing is restricted.
    assert time.time() > 0
