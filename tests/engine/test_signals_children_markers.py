"""Signals, conditions, child workflows, other executions, markers and versioning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import msgspec
import pytest

from swfasync import workflow
from swfasync._wire import decisions as d
from swfasync.exceptions import (
    ChildWorkflowFailedError,
    ExternalWorkflowError,
    NondeterminismError,
    StartChildWorkflowError,
)
from swfasync.testing import Replayer, WorkflowSimulation

from .helpers import assert_replays, kinds, summary


@workflow.defn(name="Approval")
class Approval:
    def __init__(self) -> None:
        self.approvals: list[str] = []

    @workflow.run
    async def run(self, needed: int) -> list[str]:
        met = await workflow.wait_condition(
            lambda: len(self.approvals) >= needed, timeout=timedelta(hours=1)
        )
        late: list[str] = []
        workflow.set_signal_handler("late", lambda who: late.append(who))
        await asyncio.sleep(0)  # buffered signals are delivered as tasks: let them run
        return [*self.approvals, str(met), *late]

    @workflow.signal
    async def approve(self, who: str) -> None:
        await asyncio.sleep(0)
        self.approvals.append(who)


def test_signals_before_run_handlers_conditions_and_buffering() -> None:
    sim = WorkflowSimulation(Approval, 2)
    # A signal in the first batch reaches its handler before the run method starts.
    sim.builder.signal("approve", '["ann"]')
    sim.builder.signal("late", '["zed"]')  # no handler yet: buffered
    assert summary(sim.decide()) == [("StartTimer", "t1")]  # the condition's timeout
    sim.builder.signal("approve", '["bob"]')
    result = sim.decide()
    assert summary(result) == [
        ("CancelTimer", "t1"),
        ("CompleteWorkflowExecution", '["ann","bob","True","zed"]'),
    ]
    assert_replays(sim)


def test_wait_condition_timeout_returns_false() -> None:
    sim = WorkflowSimulation(Approval, 5)
    sim.decide()
    sim.builder.timer_fired("t1")
    assert summary(sim.decide()) == [("CompleteWorkflowExecution", '["False"]')]
    assert_replays(sim)


@workflow.defn(name="Child", version="2")
async def child(n: int) -> int:
    return n * 2


@workflow.defn(name="Parent")
async def parent() -> list[object]:
    out: list[object] = [await workflow.execute_child_workflow(child, 21, child_policy="ABANDON")]
    handle = await workflow.start_child_workflow(child, 1, workflow_id="kid-2")
    await handle.signal("poke", "x")
    try:
        await handle
    except ChildWorkflowFailedError as error:
        out.append(f"child failed: {error.reason}")
    try:
        await workflow.execute_child_workflow("Other", version="1", workflow_id="kid-3")
    except StartChildWorkflowError as error:
        out.append(f"not started: {error.cause}")
    try:
        await workflow.request_cancel_external("ghost")
    except ExternalWorkflowError as error:
        out.append(f"cancel refused: {error.cause}")
    return out


def test_child_workflows_and_external_executions() -> None:
    sim = WorkflowSimulation(parent, workflow_id="p")
    first = sim.decide()
    assert first == [
        d.StartChildWorkflowExecution(
            attributes=d.StartChildWorkflowExecutionDecisionAttributes(
                workflow_type=first[0].attributes.workflow_type,  # type: ignore[union-attr]
                workflow_id="p#1",
                input="[21]",
                child_policy="ABANDON",
            )
        )
    ]
    assert first[0].attributes.workflow_type.name == "Child"  # type: ignore[union-attr]
    sim.builder.child_started("p#1")
    assert sim.decide() == []
    sim.builder.child_completed("p#1", "42")
    assert summary(sim.decide()) == [("StartChildWorkflowExecution", "kid-2")]
    sim.builder.child_started("kid-2", run_id="r2")
    assert summary(sim.decide()) == [("SignalExternalWorkflowExecution", "kid-2")]
    sim.builder.external_signaled(sim.builder.pending_external()[0])
    sim.decide()
    sim.builder.child_failed("kid-2", reason="Boom: it broke")
    assert summary(sim.decide()) == [("StartChildWorkflowExecution", "kid-3")]
    sim.builder.child_start_failed("kid-3", "WORKFLOW_TYPE_DOES_NOT_EXIST")
    assert summary(sim.decide()) == [("RequestCancelExternalWorkflowExecution", "ghost")]
    from swfasync._wire import events as e

    sim.builder._append(
        e.RequestCancelExternalWorkflowExecutionFailed,
        e.RequestCancelExternalWorkflowExecutionFailedEventAttributes(
            workflow_id="ghost",
            cause="UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            initiated_event_id=sim.builder.pending_external()[0],
            decision_task_completed_event_id=0,
        ),
    )
    result = sim.decide()
    assert msgspec.json.decode(result[0].attributes.result or "") == [  # type: ignore[union-attr]
        42,
        "child failed: Boom: it broke",
        "not started: WORKFLOW_TYPE_DOES_NOT_EXIST",
        "cancel refused: UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
    ]
    assert_replays(sim, child)


@workflow.defn(name="Looper")
async def looper(count: int) -> None:
    await workflow.sleep(60)
    workflow.continue_as_new(count + 1, task_list="elsewhere")


def test_continue_as_new_carries_options_over() -> None:
    sim = WorkflowSimulation(looper, 1)
    sim.decide()
    sim.builder.timer_fired("t1")
    (decision,) = sim.decide()
    assert isinstance(decision, d.ContinueAsNewWorkflowExecution)
    assert decision.attributes.input == "[2]"
    assert decision.attributes.task_list is not None
    assert decision.attributes.task_list.name == "elsewhere"
    assert decision.attributes.execution_start_to_close_timeout == "3600"
    assert decision.attributes.child_policy == "TERMINATE"
    assert_replays(sim)


@workflow.defn(name="Effects")
async def effects() -> list[str]:
    token = workflow.side_effect(lambda: __import__("uuid").uuid4().hex)
    await workflow.sleep(1)
    return [token, token]


def test_side_effect_is_recorded_once_and_read_back_on_replay() -> None:
    sim = WorkflowSimulation(effects)
    first = sim.decide()
    assert kinds(first) == ["RecordMarker", "StartTimer"]
    recorded = first[0].attributes.details  # type: ignore[union-attr]
    sim.builder.timer_fired("t1")
    result = sim.decide()
    token = msgspec.json.decode(recorded or "")
    assert result[0].attributes.result == f'["{token}","{token}"]'  # type: ignore[union-attr]
    # A replay must not call the function again: the value comes from the marker.
    assert_replays(sim)


# -- the Flow Framework's versioning scenario ("Making Changes to Decider Code") --------------


@workflow.defn(name="Foo.sample", version="1")
async def foo_v1() -> None:
    await asyncio.gather(workflow.sleep(5), workflow.sleep(5))


@workflow.defn(name="Foo.sample", version="1")
async def foo_modified() -> None:
    await workflow.sleep(5)


@workflow.defn(name="Foo.sample", version="1")
async def foo_patched() -> None:
    if workflow.patched("one-timer"):
        await workflow.sleep(5)
    else:
        await asyncio.gather(workflow.sleep(5), workflow.sleep(5))


@workflow.defn(name="Foo.sample", version="1")
async def foo_patch_retired() -> None:
    workflow.deprecate_patch("one-timer")
    await workflow.sleep(5)


def _old_histories() -> list[bytes]:
    """Executions started by the initial decider: one open, one finished."""
    open_run = WorkflowSimulation(foo_v1)
    open_run.decide()
    open_run.builder.timer_fired("t1")
    open_run.builder.decision_task()  # the migrated worker must answer this one
    done = WorkflowSimulation(foo_v1)
    done.decide()
    done.builder.timer_fired("t1")
    done.builder.timer_fired("t2")
    done.decide()
    return [open_run.builder.to_json(), done.builder.to_json()]


def test_backwards_incompatible_change_is_caught_on_replay() -> None:
    for history in _old_histories():
        with pytest.raises(NondeterminismError) as caught:
            Replayer([foo_modified]).replay(history)
        error = caught.value
        # History holds two TimerStarted events; the modified code started only one.
        assert (error.event_id, error.expected, error.actual) == (6, "StartTimer id=t2", "nothing")
        assert str(error) == (
            "nondeterminism at event 6: history has StartTimer id=t2, the workflow code did nothing"
        )


def test_patched_replays_old_executions_and_runs_new_ones() -> None:
    for history in _old_histories():
        result = Replayer([foo_patched]).replay(history)
        assert result.ok
    new = WorkflowSimulation(foo_patched)
    assert summary(new.decide()) == [("RecordMarker", "swfasync.patch"), ("StartTimer", "t1")]
    new.builder.timer_fired("t1")
    assert kinds(new.decide()) == ["CompleteWorkflowExecution"]
    assert Replayer([foo_patched]).replay(new.builder.to_json()).ok
    # ... and the unpatched code cannot replay the new execution.
    with pytest.raises(NondeterminismError):
        Replayer([foo_v1]).replay(new.builder.to_json())


def test_deprecated_patch_replays_patched_runs_and_records_nothing_new() -> None:
    patched_run = WorkflowSimulation(foo_patched)
    patched_run.decide()
    patched_run.builder.timer_fired("t1")
    patched_run.decide()
    # A run that recorded the patch's marker replays under the retired code...
    assert Replayer([foo_patch_retired]).replay(patched_run.builder.to_json()).ok
    # ... new runs record no marker ...
    new = WorkflowSimulation(foo_patch_retired)
    assert summary(new.decide()) == [("StartTimer", "t1")]
    new.builder.timer_fired("t1")
    assert kinds(new.decide()) == ["CompleteWorkflowExecution"]
    assert Replayer([foo_patch_retired]).replay(new.builder.to_json()).ok
    # ... and a run that took the old path is exactly what must be gone before retiring.
    open_old_run = _old_histories()[0]
    with pytest.raises(NondeterminismError):
        Replayer([foo_patch_retired]).replay(open_old_run)


def test_default_child_ids_follow_swf_id_rules() -> None:
    from swfasync._engine.api_children import default_child_id

    assert default_child_id("order-42", 3) == "order-42#3"
    long_parent = "p" * 256
    first, second = default_child_id(long_parent, 1), default_child_id(long_parent, 2)
    assert len(first) == len(second) == 256
    assert first != second
    assert default_child_id("q" * 256, 1) != first
    emoji_parent = "\N{GRINNING FACE}" * 130  # 260 UTF-16 code units
    child = default_child_id(emoji_parent, 7)
    assert len(child.encode("utf-16-le")) // 2 <= 256
    assert child.endswith("#7")
    for forbidden in (":", "/", "|"):
        assert forbidden not in default_child_id("plain", 1)
