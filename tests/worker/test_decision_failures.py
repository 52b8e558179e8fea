"""Failures of workflow code end within seconds where the user looks, against the dev server:
a typed error at the call, a failed execution whose reason names the cause, or a decision
failure read through describe() and raised by handle.result()."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from structlog.testing import capture_logs

from swfasync import activity, workflow
from swfasync._wire import events as e
from swfasync.client import WaitingActivity, WorkflowHandle
from swfasync.exceptions import (
    ActivityTimeoutError,
    NondeterminismError,
    WorkflowDecisionFailedError,
    WorkflowDefinitionError,
    WorkflowFailureError,
)
from swfasync.testing import Replayer, WorkflowEnvironment

from . import elsewhere_calls

ELSEWHERE = str(Path(elsewhere_calls.__file__).resolve())
BIG = "x" * 40_000


@workflow.defn(name="Guarded", version="1", task_list="t")
async def guarded(call: str) -> Any:
    calls = {
        "random.random()": elsewhere_calls.draw,
        "uuid.uuid4()": elsewhere_calls.new_id,
        "time.time()": elsewhere_calls.wall_clock,
        "open()": lambda: elsewhere_calls.read_file(__file__ + ".data"),
        "socket": elsewhere_calls.connect,
    }
    return calls[call]()


@pytest.mark.parametrize(
    "call", ["random.random()", "uuid.uuid4()", "time.time()", "open()", "socket"]
)
async def test_a_guard_fails_the_decision_task_and_result_raises_with_the_workflows_place(
    call: str,
) -> None:
    async with WorkflowEnvironment(workflows=[guarded], task_list="t") as env:
        handle = await env.client.start_workflow(guarded, call, id=f"guarded-{call}")
        with anyio.fail_after(10):
            with pytest.raises(WorkflowDecisionFailedError) as caught:
                await handle.result()
        failure = caught.value.failure
        assert failure.error_type == "RestrictedOperationError"
        assert failure.file == ELSEWHERE
        assert "guarded" in failure.stack  # the workflow's own frame is on the stack
        assert f"{ELSEWHERE}:{failure.line}" in str(caught.value)
        description = await handle.describe()
        assert description.status == "OPEN"
        assert description.decision_failure is not None
        assert description.decision_failure.error_type == "RestrictedOperationError"


def test_a_guarded_call_in_the_workflows_own_code_is_refused_when_it_is_defined() -> None:
    with pytest.raises(WorkflowDefinitionError, match=r"random\.random"):

        @workflow.defn(name="DrawsDirectly", version="1")
        async def draws_directly() -> float:
            import random

            return random.random()


@workflow.defn(name="Approval", version="1", task_list="t")
class ApprovalV1:
    def __init__(self) -> None:
        self.approved = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.approved)
        return "approved"

    @workflow.signal
    def approve(self) -> None:
        self.approved = True


@workflow.defn(name="Approval", version="1", task_list="t")
class ApprovalV2:
    """Changed while executions are open: it now sleeps before waiting."""

    def __init__(self) -> None:
        self.approved = False

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(1)
        await workflow.wait_condition(lambda: self.approved)
        return "approved"

    @workflow.signal
    def approve(self) -> None:
        self.approved = True


async def _decided_once(handle: Any) -> None:
    with anyio.fail_after(10):
        while True:
            if any(isinstance(ev, e.DecisionTaskCompleted) for ev in await handle.history()):
                return
            await anyio.sleep(0.01)


async def test_a_code_change_is_a_recorded_nondeterminism_and_reverting_recovers() -> None:
    async with WorkflowEnvironment(workflows=[ApprovalV1], task_list="t") as env:
        assert env.worker is not None
        handle = await env.client.start_workflow(ApprovalV1, id="approval-1")
        await _decided_once(handle)
        env.worker.replace_workflows([ApprovalV2])
        await handle.signal("approve")
        with anyio.fail_after(10):
            with pytest.raises(WorkflowDecisionFailedError) as caught:
                await handle.result()
        failure = caught.value.failure
        assert failure.error_type == "NondeterminismError"
        assert "StartTimer" in failure.message
        assert failure.attempt >= 1
        env.worker.replace_workflows([ApprovalV1])  # deploy the fix
        with anyio.fail_after(20):
            assert await handle.result(raise_on_decision_failure=False) == "approved"
        assert (await handle.describe()).decision_failure is None
        history = await handle.history()
        markers = [ev for ev in history if isinstance(ev, e.MarkerRecorded)]
        assert markers
        assert all(m.attributes.marker_name == "swfasync.decision_failure" for m in markers)


async def test_chosen_exception_types_fail_the_execution_instead() -> None:
    options = {"workflow_failure_exception_types": [NondeterminismError]}
    async with WorkflowEnvironment(
        workflows=[ApprovalV1], task_list="t", worker_options=options
    ) as env:
        assert env.worker is not None
        handle = await env.client.start_workflow(ApprovalV1, id="approval-2")
        await _decided_once(handle)
        env.worker.replace_workflows([ApprovalV2])
        await handle.signal("approve")
        with anyio.fail_after(10):
            with pytest.raises(WorkflowFailureError) as caught:
                await handle.result()
        assert caught.value.close_status == "FAILED"
        assert (caught.value.reason or "").startswith("NondeterminismError: nondeterminism at")


async def test_retries_back_off_and_describe_shows_the_next_attempt() -> None:
    async with WorkflowEnvironment(
        workflows=[guarded], task_list="t", raise_on_decision_failure=False
    ) as env:
        handle = await env.client.start_workflow(guarded, "random.random()", id="backoff-1")
        with anyio.fail_after(10):
            while True:
                failure = (await handle.describe()).decision_failure
                if failure is not None and failure.attempt >= 4:
                    break
                await anyio.sleep(0.01)
        timers = [
            ev.attributes.start_to_fire_timeout
            for ev in await handle.history()
            if isinstance(ev, e.TimerStarted)
        ]
        assert timers[:4] == ["1", "2", "4", "8"]
        await handle.terminate(reason="test over")


async def test_under_time_skipping_a_broken_workflow_is_not_retried_in_a_tight_loop() -> None:
    # The dev server skips the retry timers, so the worker's own pause after repeated
    # failures is what bounds the rate: without it, hundreds of attempts a second.
    async with WorkflowEnvironment(
        workflows=[guarded], task_list="t", raise_on_decision_failure=False
    ) as env:
        handle = await env.client.start_workflow(guarded, "random.random()", id="no-spin-1")
        await anyio.sleep(2)
        failure = (await handle.describe()).decision_failure
        assert failure is not None
        assert 3 <= failure.attempt <= 10
        await handle.terminate(reason="test over")


# Each case breaks one of SWF's rules inside workflow code and lets the error go uncaught.
@workflow.defn(name="Breaks", version="1", task_list="t")
async def breaks(case: str) -> Any:
    if case == "result":
        return BIG
    if case == "activity input":
        return await workflow.execute_activity("work", BIG, version="1")
    if case == "side_effect value":
        return workflow.side_effect(lambda: BIG)
    if case == "continue_as_new input":
        workflow.continue_as_new(BIG)
    if case == "marker name":
        workflow.record_marker("m" * 257)
    if case == "sleep(-1)":
        await workflow.sleep(-1)
    if case == "sleep(2000 days)":
        await workflow.sleep(timedelta(days=2000))
    if case == "asyncio.sleep(2000 days)":
        await asyncio.sleep(timedelta(days=2000).total_seconds())
    if case == "child id":
        await workflow.execute_child_workflow(
            "Breaks", "result", version="1", workflow_id="c" * 257
        )
    if case == "activity id":
        await workflow.execute_activity("work", version="1", activity_id="a" * 257)
    return None


BREAKS = {
    "result": ("result", "40002", "32768"),
    "activity input": ("activity input", "40004", "32768"),
    "side_effect value": ("side_effect value", "40002", "32768"),
    "continue_as_new input": ("continue_as_new input", "40004", "32768"),
    "marker name": ("marker_name", "257", "256"),
    "sleep(-1)": ("workflow.sleep duration", "-1", "negative"),
    "sleep(2000 days)": ("workflow.sleep duration", "172800000", "99999999"),
    "asyncio.sleep(2000 days)": ("timer start_to_fire_timeout", "172800000", "99999999"),
    "child id": ("workflow_id", "257", "256"),
    "activity id": ("activity_id", "257", "256"),
}


async def test_every_broken_rule_fails_its_execution_naming_field_size_and_limit() -> None:
    async with WorkflowEnvironment(workflows=[breaks], task_list="t") as env:
        handles = {
            case: await env.client.start_workflow(breaks, case, id=f"breaks-{i}")
            for i, case in enumerate(BREAKS)
        }
        for case, handle in handles.items():
            with anyio.fail_after(10):
                with pytest.raises(WorkflowFailureError) as caught:
                    await handle.result()
            reason = caught.value.reason or ""
            for part in BREAKS[case]:
                assert part in reason, (case, reason)
            # SWF never refused a batch: no decision task was left to time out.
            kinds = {type(ev).__name__ for ev in await handle.history()}
            assert "DecisionTaskTimedOut" not in kinds, case


@activity.defn(name="unserved", version="1", start_to_close_timeout=timedelta(minutes=1))
async def unserved() -> str:
    return "ran"


@workflow.defn(name="Stranded", version="1", task_list="t")
async def stranded(bounded: bool) -> str:
    try:
        await workflow.execute_activity(
            unserved,
            task_list="nobody-polls-this",
            schedule_to_start_timeout=timedelta(minutes=5) if bounded else None,
        )
    except ActivityTimeoutError as error:
        return f"no worker took it: {error.timeout_type}"
    return "ran"


async def _waiting(handle: WorkflowHandle[Any]) -> tuple[WaitingActivity, ...]:
    with anyio.fail_after(10):
        while True:
            waiting = (await handle.describe()).waiting_activities
            if waiting:
                return waiting
            await anyio.sleep(0.01)


async def test_an_activity_nobody_polls_is_warned_of_seen_in_describe_and_bounded() -> None:
    async with WorkflowEnvironment(workflows=[stranded], task_list="t") as env:
        await env.client.register_activity(unserved)
        with capture_logs() as logs:
            forever = await env.client.start_workflow(stranded, False, id="stranded-1")
            waiting = await _waiting(forever)
        (activity,) = waiting
        assert (activity.activity_id, activity.activity_type) == ("a1", "unserved/1")
        assert activity.task_list == "nobody-polls-this"
        assert activity.schedule_to_start_timeout == "NONE"  # it would wait forever
        warning = next(x for x in logs if x["event"] == "activity_task_list_not_polled_here")
        assert warning["log_level"] == "warning"
        assert warning["task_list"] == "nobody-polls-this"
        assert warning["workflow_id"] == "stranded-1"
        # Bounded: SWF times it out, and the workflow decides what then.
        bounded = await env.client.start_workflow(stranded, True, id="stranded-2")
        await _waiting(bounded)
        env.server.advance_clock(301)
        with anyio.fail_after(10):
            assert await bounded.result() == "no worker took it: SCHEDULE_TO_START"
        await forever.terminate(reason="test over")


@workflow.defn(name="BadChildPolicy", version="1", task_list="t")
async def bad_child_policy() -> Any:
    # Past the type checker (the Literal says no): a value only SWF's model refuses.
    policy: Any = "ORPHAN"
    return await workflow.execute_child_workflow(guarded, "none", child_policy=policy)


async def test_a_decision_the_model_refuses_is_a_recorded_failure_naming_the_wire_field() -> None:
    """A decision that the engine's own checks let through but SWF's model refuses is not
    sent: the task is answered with a recorded decision failure naming the wire path and the
    value, visible in describe() and raised by result(), rather than left to time out."""
    async with WorkflowEnvironment(workflows=[bad_child_policy, guarded], task_list="t") as env:
        handle = await env.client.start_workflow(bad_child_policy, id="bad-child-policy")
        with anyio.fail_after(10):
            with pytest.raises(WorkflowDecisionFailedError) as caught:
                await handle.result()
        failure = caught.value.failure
        assert failure.error_type == "SwfValidationError"
        assert "startChildWorkflowExecutionDecisionAttributes.childPolicy" in failure.message
        assert "ORPHAN" in failure.message
        description = await handle.describe()
        assert description.status == "OPEN"
        assert description.decision_failure is not None
        assert description.decision_failure.error_type == "SwfValidationError"


class OutOfStock(LookupError):
    pass


@workflow.defn(name="Reserve", version="1", task_list="t")
async def reserve(item: str) -> str:
    raise OutOfStock(item)


async def test_the_replayer_given_the_workers_failure_types_replays_the_failed_execution() -> None:
    options = {"workflow_failure_exception_types": [OutOfStock]}
    async with WorkflowEnvironment(
        workflows=[reserve], task_list="t", worker_options=options
    ) as env:
        handle = await env.client.start_workflow(reserve, "anvil", id="reserve-1")
        with anyio.fail_after(10):
            with pytest.raises(WorkflowFailureError):
                await handle.result()
        history = await handle.history()
    replayed = Replayer([reserve], workflow_failure_exception_types=[OutOfStock]).replay(history)
    assert replayed.ok, replayed.error
    assert replayed.event_count == len(history)
    # Without the worker's setting, the same code fails where the worker failed the run.
    unset = Replayer([reserve]).replay(history, raise_on_error=False)
    assert unset.error is not None
    assert isinstance(unset.error.__cause__, OutOfStock)
