"""Activities from workflow code: options, results, typed failures, retries, cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import timedelta

import msgspec
import pytest

from swfasync import RetryPolicy, activity, workflow
from swfasync._engine.failures import encode_failure
from swfasync._wire import decisions as d
from swfasync._wire.common import ActivityType, TaskList
from swfasync.exceptions import (
    ActivityCancelledError,
    ActivityFailedError,
    ActivityTimeoutError,
    ApplicationError,
    ScheduleActivityTaskError,
)
from swfasync.testing import WorkflowSimulation

from .helpers import assert_replays, kinds, summary


@dataclass
class Receipt:
    order: str
    cents: int


@activity.defn(version="3", start_to_close_timeout=timedelta(minutes=5))
async def charge(order: str, cents: int) -> Receipt:
    return Receipt(order, cents)


@workflow.defn
async def pays() -> str:
    receipt = await workflow.execute_activity(
        charge,
        "o-1",
        500,
        activity_id="charge-o-1",
        task_list="payments",
        priority=7,
        schedule_to_start_timeout=timedelta(seconds=30),
        schedule_to_close_timeout=timedelta(minutes=10),
        start_to_close_timeout=timedelta(minutes=5),
        heartbeat_timeout=timedelta(seconds=20),
    )
    assert isinstance(receipt, Receipt)  # decoded by the activity's return annotation
    return f"{receipt.order}:{receipt.cents}"


def test_every_option_reaches_the_schedule_decision_and_results_are_typed() -> None:
    sim = WorkflowSimulation(pays)
    assert sim.decide() == [
        d.ScheduleActivityTask(
            attributes=d.ScheduleActivityTaskDecisionAttributes(
                activity_type=ActivityType(name="charge", version="3"),
                activity_id="charge-o-1",
                input='["o-1",500]',
                task_list=TaskList(name="payments"),
                task_priority="7",
                schedule_to_start_timeout="30",
                schedule_to_close_timeout="600",
                start_to_close_timeout="300",
                heartbeat_timeout="20",
            )
        )
    ]
    sim.builder.activity_completed("charge-o-1", '{"order":"o-1","cents":500}')
    assert summary(sim.decide()) == [("CompleteWorkflowExecution", '"o-1:500"')]
    assert_replays(sim)


@workflow.defn
async def reports_failures() -> list[str]:
    seen = []
    for _ in range(3):
        try:
            await workflow.execute_activity("remote", version="1")
        except ActivityFailedError as error:
            seen.append(f"failed:{error.reason}:{error.activity_id}")
        except ActivityTimeoutError as error:
            seen.append(f"timeout:{error.timeout_type}")
        except ActivityCancelledError as error:
            seen.append(f"cancelled:{error.activity_id}")
    try:
        await workflow.execute_activity("unknown", version="9")
    except ScheduleActivityTaskError as error:
        seen.append(f"refused:{error.cause}")
    return seen


def test_failures_timeouts_cancellations_and_refusals_are_typed_errors() -> None:
    sim = WorkflowSimulation(reports_failures)
    sim.decide()
    sim.builder.activity_failed("a1", reason="ValueError: bad", details="{}")
    sim.decide()
    sim.builder.activity_started("a2")
    sim.builder.activity_timed_out("a2", "HEARTBEAT")
    sim.decide()
    sim.builder.activity_started("a3")
    sim.builder.activity_canceled("a3")
    sim.decide(refuse={0: "ACTIVITY_TYPE_DOES_NOT_EXIST"})
    result = sim.decide()
    assert msgspec.json.decode(result[0].attributes.result or "") == [  # type: ignore[union-attr]
        "failed:ValueError: bad:a1",
        "timeout:HEARTBEAT",
        "cancelled:a3",
        "refused:ACTIVITY_TYPE_DOES_NOT_EXIST",
    ]
    assert_replays(sim)


@workflow.defn
async def retries() -> str:
    policy = RetryPolicy(
        initial_interval=timedelta(seconds=10),
        backoff_coefficient=3,
        maximum_attempts=4,
        non_retryable_error_types=["CardDeclined"],
    )
    return str(await workflow.execute_activity("flaky", version="1", retry=policy))


def _failure(error: BaseException) -> tuple[str, str]:
    return encode_failure(error)


def test_retry_policy_backs_off_on_durable_timers_with_new_ids() -> None:
    sim = WorkflowSimulation(retries)
    assert summary(sim.decide()) == [("ScheduleActivityTask", "a1")]
    sim.builder.activity_failed("a1", *_failure(ValueError("flaky")))
    backoff = sim.decide()
    assert backoff == [
        d.StartTimer(
            attributes=d.StartTimerDecisionAttributes(timer_id="t1", start_to_fire_timeout="10")
        )
    ]
    sim.builder.timer_fired("t1")
    assert summary(sim.decide()) == [("ScheduleActivityTask", "a1.2")]
    sim.builder.activity_started("a1.2")
    sim.builder.activity_timed_out("a1.2")
    assert sim.decide()[0].attributes.start_to_fire_timeout == "30"  # type: ignore[union-attr]
    sim.builder.timer_fired("t2")
    assert summary(sim.decide()) == [("ScheduleActivityTask", "a1.3")]
    sim.builder.activity_completed("a1.3", '"paid"')
    assert summary(sim.decide()) == [("CompleteWorkflowExecution", '"paid"')]
    assert_replays(sim)


def test_non_retryable_errors_and_exhausted_attempts_fail_the_workflow() -> None:
    sim = WorkflowSimulation(retries)
    sim.decide()
    declined = ApplicationError("no funds", type="CardDeclined")
    sim.builder.activity_failed("a1", *_failure(declined))
    final = sim.decide()
    assert kinds(final) == ["FailWorkflowExecution"]
    reason = final[0].attributes.reason or ""  # type: ignore[union-attr]
    assert reason.startswith("ActivityFailedError: activity a1 (flaky/1) failed: no funds")

    sim = WorkflowSimulation(retries)
    sim.decide()
    for attempt, activity_id in enumerate(["a1", "a1.2", "a1.3", "a1.4"], start=1):
        sim.builder.activity_failed(activity_id, *_failure(ValueError("again")))
        decided = sim.decide()
        if attempt < 4:
            sim.builder.timer_fired(f"t{attempt}")
            assert summary(sim.decide()) == [("ScheduleActivityTask", f"a1.{attempt + 1}")]
    assert kinds(decided) == ["FailWorkflowExecution"]
    assert_replays(sim)


@workflow.defn
async def cancels_activities() -> str:
    never_sent = workflow.start_activity("slow", version="1")
    await asyncio.sleep(0)
    never_sent.cancel()
    started = workflow.start_activity("slow", version="1", heartbeat_timeout=30)
    await workflow.sleep(1)
    started.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await started
    waited = workflow.start_activity(
        "slow", version="1", cancellation=workflow.ActivityCancellation.WAIT_CANCELLATION_COMPLETED
    )
    await workflow.sleep(1)
    waited.cancel()
    try:
        await waited
    except asyncio.CancelledError:
        return "cancelled after the activity closed"
    return "unexpected"


def test_cancelling_activities_before_and_after_they_are_sent() -> None:
    sim = WorkflowSimulation(cancels_activities)
    # a1 was cancelled before its decision was sent: SWF never hears of it.
    # start_activity's command is issued when its task first runs, after the main task
    # has reached its sleep: the order is fixed by the code, so it replays identically.
    assert summary(sim.decide()) == [("StartTimer", "t1"), ("ScheduleActivityTask", "a2")]
    sim.builder.activity_started("a2")
    sim.builder.timer_fired("t1")
    assert summary(sim.decide()) == [
        ("RequestCancelActivityTask", "a2"),
        ("StartTimer", "t2"),
        ("ScheduleActivityTask", "a3"),
    ]
    sim.builder.activity_started("a3")
    sim.builder.timer_fired("t2")
    assert summary(sim.decide()) == [("RequestCancelActivityTask", "a3")]
    sim.builder.activity_canceled("a3")
    assert summary(sim.decide()) == [
        ("CompleteWorkflowExecution", '"cancelled after the activity closed"')
    ]
    assert_replays(sim)


@workflow.defn
async def cancel_outcome() -> str:
    waited = workflow.start_activity(
        "slow", version="1", cancellation=workflow.ActivityCancellation.WAIT_CANCELLATION_COMPLETED
    )
    await workflow.sleep(1)
    waited.cancel()
    try:
        await waited
    except asyncio.CancelledError:
        return "cancelled after the activity closed"
    return "unexpected"


def test_wait_cancellation_completed_waits_for_the_canceled_event() -> None:
    sim = WorkflowSimulation(cancel_outcome)
    sim.decide()
    sim.builder.activity_started("a1")
    sim.builder.timer_fired("t1")
    assert summary(sim.decide()) == [("RequestCancelActivityTask", "a1")]
    sim.builder.activity_canceled("a1")
    assert summary(sim.decide()) == [
        ("CompleteWorkflowExecution", '"cancelled after the activity closed"')
    ]
    assert_replays(sim)


def test_activity_named_by_string_needs_a_version() -> None:
    @workflow.defn(name="no-version")
    async def body() -> None:
        await workflow.execute_activity("x")

    from swfasync._engine.instance import WorkflowTaskError

    with pytest.raises(WorkflowTaskError, match="pass version"):
        WorkflowSimulation(body).decide()
