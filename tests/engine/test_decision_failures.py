"""Failed decision tasks recorded in the history: replayed as never decided, never a
non-determinism; the record names the workflow's file and line; chosen types fail the run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swfasync import workflow
from swfasync._engine import task_failures
from swfasync._engine.instance import ActivationResult, WorkflowInstance
from swfasync._wire import decisions as d
from swfasync._wire import events as e
from swfasync._wire.codec import AnyEvent
from swfasync.exceptions import NondeterminismError
from swfasync.testing import HistoryBuilder, Replayer, WorkflowSimulation
from swfasync.worker import DecisionTask, DecisionTaskHandler

from . import elsewhere
from .helpers import kinds, summary
from .test_replay_property import Program, _close_everything, _respond, programs

THIS_FILE = str(Path(__file__).resolve())


@workflow.defn(name="Draws", version="1")
class DrawsBroken:
    @workflow.run
    async def run(self) -> float:
        await workflow.sleep(10)
        return elsewhere.draw()  # the guard refuses the call inside


@workflow.defn(name="Draws", version="1")
class DrawsFixed:
    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.run
    async def run(self) -> Any:
        await workflow.sleep(10)
        return [workflow.random(), self.signals]

    @workflow.signal
    def poke(self, value: str) -> None:
        self.signals.append(value)


@workflow.defn(name="Diverges", version="1")
class DivergesV1:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(5)
        await workflow.sleep(5)


@workflow.defn(name="Diverges", version="1")
class DivergesV2:
    @workflow.run
    async def run(self) -> None:
        workflow.record_marker("changed")  # a command the recorded run did not issue
        await workflow.wait_condition(lambda: False, timeout=7)


def task_for(builder: HistoryBuilder, name: str) -> DecisionTask:
    events: list[AnyEvent] = list(builder.events)
    return DecisionTask(
        task_token="token",
        workflow_id="wf-1",
        run_id="run-1",
        workflow_type=name,
        workflow_version="1",
        started_event_id=events[-1].event_id,
        previous_started_event_id=0,
        events=events,
    )


def decide(workflows: list[Any], builder: HistoryBuilder, **options: Any) -> ActivationResult:
    builder.decision_task()
    handler = DecisionTaskHandler(workflows, domain="d", max_cached=0, **options)
    name = builder.events[0].attributes.workflow_type.name  # type: ignore[union-attr]
    result = handler.decide(task_for(builder, name))
    builder.complete_decision_task(result.decisions, execution_context=result.execution_context)
    return result


def test_a_failing_activation_is_answered_with_its_record_and_a_retry_timer() -> None:
    b = HistoryBuilder("Draws", "1")
    decide([DrawsBroken], b)
    b.timer_fired("t1")
    result = decide([DrawsBroken], b)
    failure = result.failure
    assert failure is not None
    assert kinds(result.decisions) == ["RecordMarker", "StartTimer"]
    marker, timer = result.decisions
    assert isinstance(marker, d.RecordMarker)
    assert marker.attributes.marker_name == task_failures.FAILURE_MARKER
    assert isinstance(timer, d.StartTimer)
    assert timer.attributes.timer_id == f"swfasync.retry.{failure.started_event_id}"
    assert timer.attributes.start_to_fire_timeout == "1"
    assert failure.error_type == "RestrictedOperationError"
    assert "random" in failure.message
    # The innermost frame outside swfasync and the standard library: the helper's line.
    assert failure.file == str(Path(elsewhere.__file__).resolve())
    assert failure.line is not None
    source = Path(elsewhere.__file__).read_text().splitlines()
    assert "random.random()" in source[failure.line - 1]
    assert "elsewhere.draw()" in failure.stack  # the workflow's own frame, outermost
    assert failure.attempt == 1
    recorded = msgspec.json.decode(
        marker.attributes.details or "", type=task_failures.DecisionFailure
    )
    assert recorded == failure


def test_consecutive_failures_back_off_doubling_up_to_the_maximum() -> None:
    b = HistoryBuilder("Draws", "1")
    decide([DrawsBroken], b)
    b.timer_fired("t1")
    delays = []
    for _ in range(5):
        result = decide([DrawsBroken], b, decision_retry_initial=2, decision_retry_maximum=10)
        timer = result.decisions[1]
        assert isinstance(timer, d.StartTimer)
        delays.append(timer.attributes.start_to_fire_timeout)
        assert result.failure is not None
        b.timer_fired(timer.attributes.timer_id)
    assert delays == ["2", "4", "8", "10", "10"]
    assert task_failures.consecutive_failures(b.events) == 5


def test_fixed_code_recovers_and_replays_as_if_the_failures_never_decided() -> None:
    b = HistoryBuilder("Draws", "1")
    decide([DrawsBroken], b)
    b.timer_fired("t1")
    decide([DrawsBroken], b)
    b.signal("poke", '["during the failure"]')  # seen by no activation yet
    retry = b.pending_timers()[-1]
    b.timer_fired(retry)
    fixed = decide([DrawsFixed], b)
    assert fixed.failure is None
    assert summary(fixed.decisions)[0][0] == "CompleteWorkflowExecution"
    result = fixed.decisions[0].attributes.result  # type: ignore[union-attr]
    assert "during the failure" in (result or "")
    # The whole history, failures included, replays without a non-determinism.
    replay = Replayer([DrawsFixed]).replay(b.to_json(), workflow_id="wf-1", run_id="run-1")
    assert replay.ok, replay.error


def test_a_nondeterminism_is_recorded_with_where_the_workflow_waits() -> None:
    b = HistoryBuilder("Diverges", "1")
    decide([DivergesV1], b)
    b.timer_fired("t1")
    result = decide([DivergesV2], b)
    failure = result.failure
    assert failure is not None
    assert failure.error_type == "NondeterminismError"
    assert "StartTimer" in failure.message
    assert failure.file == THIS_FILE
    assert "wait_condition" in failure.stack
    assert "workflow-main" in failure.stack


def test_chosen_exception_types_fail_the_execution_instead() -> None:
    b = HistoryBuilder("Diverges", "1")
    decide([DivergesV1], b)
    b.timer_fired("t1")
    result = decide([DivergesV2], b, failure_exception_types=[NondeterminismError])
    assert result.failure is None
    assert kinds(result.decisions) == ["FailWorkflowExecution"]
    reason = result.decisions[0].attributes.reason  # type: ignore[union-attr]
    assert reason is not None
    assert reason.startswith("NondeterminismError: nondeterminism at event")


@workflow.defn(name="RaisesKeyError", version="1")
async def raises_key_error() -> None:
    empty: dict[str, int] = {}
    empty["missing"]


def test_an_exception_type_raised_by_workflow_code_fails_the_execution_and_replays() -> None:
    b = HistoryBuilder("RaisesKeyError", "1")
    result = decide([raises_key_error], b, failure_exception_types=[KeyError])
    assert kinds(result.decisions) == ["FailWorkflowExecution"]
    assert result.decisions[0].attributes.reason == "KeyError: 'missing'"  # type: ignore[union-attr]
    unchosen = decide([raises_key_error], HistoryBuilder("RaisesKeyError", "1"))
    assert unchosen.failure is not None
    assert unchosen.failure.error_type == "KeyError"


def test_the_current_failure_is_read_from_the_tail_of_the_history() -> None:
    b = HistoryBuilder("Draws", "1")
    decide([DrawsBroken], b)
    b.timer_fired("t1")
    decide([DrawsBroken], b)
    found = task_failures.current_failure(list(reversed(b.events)))
    assert found is not None
    assert found.error_type == "RestrictedOperationError"
    assert found.event_id is not None
    b.timer_fired(b.pending_timers()[-1])
    decide([DrawsFixed], b)
    assert task_failures.current_failure(list(reversed(b.events))) is None


def test_workflow_code_cannot_write_the_failure_marker_itself() -> None:
    @workflow.defn(name="Forges", version="1")
    async def forges() -> None:
        workflow.record_marker(task_failures.FAILURE_MARKER, {"error_type": "x"})

    result = decide([forges], HistoryBuilder("Forges", "1"))
    assert result.failure is not None
    assert result.failure.error_type == "WorkflowDefinitionError"


def _fail_a_decision_task(sim: WorkflowSimulation, data: st.DataObject) -> None:
    """A decision task whose code failed: its record and retry timer, maybe a signal while
    it was out, then the timer firing. The worker then drops its cached instance."""
    b = sim.builder
    started = b.decision_task()
    failure = task_failures.DecisionFailure(
        error_type="RuntimeError", message="transient", started_event_id=started
    )
    if data.draw(st.booleans()):
        b.signal("poke")
    b.complete_decision_task(task_failures.failure_decisions(failure, 1))
    b.timer_fired(task_failures.retry_timer_id(started))
    sim.instance = WorkflowInstance(sim.definition, workflow_id="prop", run_id="prop-run")
    sim._fed = 0  # the next decision replays the whole history, as after an eviction


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, data=st.data())
def test_failed_decision_tasks_anywhere_never_change_a_decision(
    program: list[Any], data: st.DataObject
) -> None:
    sim = WorkflowSimulation(Program, program, workflow_id="prop", run_id="prop-run")
    rounds = 0
    while not sim.closed:
        if data.draw(st.integers(0, 3)) == 0:
            _fail_a_decision_task(sim, data)
        sim.decide()
        rounds += 1
        if sim.closed:
            break
        if rounds > 40:
            _close_everything(sim)
        else:
            _respond(sim, data)
        assert rounds < 200
    replayer = Replayer([Program])
    events = sim.builder.events
    answered = {
        ev.attributes.started_event_id
        for ev in events
        if isinstance(ev, e.DecisionTaskCompleted)
        and not any(
            isinstance(m, e.MarkerRecorded)
            and m.attributes.decision_task_completed_event_id == ev.event_id
            for m in events
        )
    }
    started_ids = sorted(answered)
    assert len(started_ids) == len(sim.activations)
    for started_id, live in zip(started_ids, sim.activations, strict=True):
        replayed = replayer.replay(events[:started_id], workflow_id="prop", run_id="prop-run")
        assert replayed.decisions == live
    assert replayer.replay(events, workflow_id="prop", run_id="prop-run").ok


@workflow.defn(name="PublishesTooMuch", version="1")
class PublishesTooMuch:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(60)

    @workflow.state
    def status(self) -> str:
        return "s" * 40_000


def test_published_state_past_the_limit_is_a_recorded_failure_naming_it() -> None:
    result = decide([PublishesTooMuch], HistoryBuilder("PublishesTooMuch", "1"))
    assert result.failure is not None
    assert result.failure.error_type == "PayloadTooLargeError"
    assert result.failure.message == (
        "execution_context is 40002 characters long; SWF accepts at most 32768"
    )
    assert result.execution_context is None


def test_a_task_of_a_type_this_worker_lacks_is_a_recorded_failure() -> None:
    result = decide([DrawsFixed], HistoryBuilder("Unknown", "1"))
    assert result.failure is not None
    assert result.failure.error_type == "UnknownTypeError"
    assert "Unknown/1" in result.failure.message
