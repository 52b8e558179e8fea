"""Closing a run: completion, failure, cancellation, bugs; published state; decision batches."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from swfasync import ApplicationError, workflow
from swfasync._engine.instance import WorkflowTaskError
from swfasync._wire import decisions as d
from swfasync._wire import events as e
from swfasync.exceptions import NondeterminismError
from swfasync.testing import HistoryBuilder, Replayer, WorkflowSimulation

from .helpers import assert_replays, kinds, summary


@workflow.defn(name="Cancellable")
class Cancellable:
    def __init__(self) -> None:
        self.stage = "starting"

    @workflow.run
    async def run(self, clean_up: bool) -> str:
        self.stage = "waiting"
        try:
            await workflow.sleep(3600)
        except asyncio.CancelledError:
            if not clean_up:
                raise
            self.stage = "cleaned up"
            return "cleaned up"
        return "slept"

    @workflow.state
    def status(self) -> dict[str, str]:
        return {"stage": self.stage}


def test_cancel_request_cancels_the_run_and_published_state_is_the_execution_context() -> None:
    sim = WorkflowSimulation(Cancellable, False)
    sim.builder.decision_task()
    first = sim.feed()
    assert first is not None
    assert first.execution_context == '{"stage":"waiting"}'
    sim.builder.complete_decision_task(first.decisions)
    sim.builder.cancel_requested()
    assert summary(sim.decide()) == [("CancelTimer", "t1"), ("CancelWorkflowExecution", None)]
    assert_replays(sim)


def test_a_run_may_handle_its_cancellation_and_complete() -> None:
    sim = WorkflowSimulation(Cancellable, True)
    sim.decide()
    sim.builder.cancel_requested()
    assert summary(sim.decide()) == [
        ("CancelTimer", "t1"),
        ("CompleteWorkflowExecution", '"cleaned up"'),
    ]


@workflow.defn(name="Fails")
async def fails(kind: str) -> None:
    await workflow.sleep(1)
    if kind == "app":
        raise ApplicationError("x" * 1000, {"order": 7}, type="OrderRejected")
    raise KeyError("a bug")


def test_application_errors_fail_the_workflow_within_swf_limits() -> None:
    sim = WorkflowSimulation(fails, "app")
    sim.decide()
    sim.builder.timer_fired("t1")
    (decision,) = sim.decide()
    assert isinstance(decision, d.FailWorkflowExecution)
    reason = decision.attributes.reason or ""
    assert reason.startswith("OrderRejected: xxx")
    assert len(reason) == 256
    details = msgspec.json.decode(decision.attributes.details or "")
    assert details["type"] == "OrderRejected"
    assert details["details"] == [{"order": 7}]
    assert "Traceback" in details["stack"]


def test_bugs_fail_only_the_decision_task_and_a_fix_recovers() -> None:
    sim = WorkflowSimulation(fails, "bug")
    sim.decide()
    sim.builder.timer_fired("t1")
    sim.builder.decision_task()
    with pytest.raises(WorkflowTaskError, match="KeyError"):
        sim.feed()
    sim.builder.decision_task_timed_out()  # SWF retries the task after its timeout

    @workflow.defn(name="Fails")
    async def fixed(kind: str) -> str:
        await workflow.sleep(1)
        return "fixed"

    sim.builder.decision_task()
    # A new worker (fresh instance) with the fixed code replays and completes the run.
    result = Replayer([fixed]).replay(sim.builder.to_json())
    assert summary(result.decisions) == [("CompleteWorkflowExecution", '"fixed"')]


@workflow.defn(name="Batches")
class Batches:
    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        seen = []
        for _ in range(2):
            await workflow.wait_condition(lambda: bool(self.signals))
            seen.append(",".join(self.signals))
            self.signals.clear()
        return seen

    @workflow.signal
    def ping(self, value: str) -> None:
        self.signals.append(value)


def test_events_during_a_started_decision_task_belong_to_the_next_batch() -> None:
    builder = HistoryBuilder("Batches", input="[]")
    builder.decision_task()
    builder.signal("ping", '["late"]')  # arrives while the first decision is being made
    builder.complete_decision_task([])
    builder.signal("ping", '["later"]')
    builder.decision_task()
    builder.complete_decision_task([])
    builder.signal("ping", '["last"]')
    builder.decision_task()
    # Had "late" been given to the first activation, it would have been consumed there
    # and the run would now complete with ["late", "later,last"]... instead the first
    # activation saw nothing, the second saw "late" and "later" together.
    result = Replayer([Batches]).replay(builder.to_json())
    assert summary(result.decisions) == [("CompleteWorkflowExecution", '["late,later","last"]')]


def test_timed_out_decision_tasks_are_not_activations() -> None:
    builder = HistoryBuilder("Batches", input="[]")
    builder.decision_task()
    builder.decision_task_timed_out()
    builder.signal("ping", '["a"]')
    builder.decision_task()
    builder.complete_decision_task([])
    builder.signal("ping", '["b"]')
    builder.decision_task()
    result = Replayer([Batches]).replay(builder.to_json())
    assert summary(result.decisions) == [("CompleteWorkflowExecution", '["a","b"]')]


@workflow.defn(name="Shape", version="1")
async def shape_v1() -> None:
    await workflow.execute_activity("step", version="1")


@workflow.defn(name="Shape", version="1")
async def shape_v2() -> None:
    await workflow.execute_activity("other-step", version="1")


def test_nondeterminism_names_event_history_and_code() -> None:
    sim = WorkflowSimulation(shape_v1)
    sim.decide()
    sim.builder.activity_completed("a1")
    sim.decide()
    with pytest.raises(NondeterminismError) as caught:
        Replayer([shape_v2]).replay(sim.builder.to_json())
    assert caught.value.event_id == 5
    assert caught.value.expected == "ScheduleActivityTask id=a1 type=step/1"
    assert caught.value.actual == "ScheduleActivityTask id=a1 type=other-step/1"
    report = Replayer([shape_v2]).replay(sim.builder.to_json(), raise_on_error=False)
    assert not report.ok
    assert isinstance(report.error, NondeterminismError)


def test_close_decision_refused_is_decided_again() -> None:
    sim = WorkflowSimulation(shape_v1)
    sim.decide()
    sim.builder.activity_completed("a1")
    sim.decide(refuse={0: "UNHANDLED_DECISION"})
    assert isinstance(sim.builder.events[-1], e.CompleteWorkflowExecutionFailed)
    sim.builder.signal("unrelated")
    assert kinds(sim.decide()) == ["CompleteWorkflowExecution"]
    assert_replays(sim)
