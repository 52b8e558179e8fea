"""Build SWF histories by hand, event by event, the way SWF would record them.

``HistoryBuilder`` writes the bookkeeping a real history has (decision task scheduled/
started/completed, the command event each decision becomes, event ids and timestamps), so a
test states only what happened::

    b = HistoryBuilder("Order", "1", input='["o-1", 5]')
    b.decision_task()
    b.complete_decision_task([...decisions the code made...])
    b.activity_completed("a1", result='"receipt"')
    b.decision_task()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from .._wire import decisions as d
from .._wire import events as e
from .._wire.codec import AnyEvent
from .._wire.common import TaskList, WorkflowExecution, WorkflowType

START_TIME = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class HistoryBuilder:
    """An SWF history under construction; ``events`` is the history so far."""

    def __init__(
        self,
        workflow_type: str,
        version: str = "1",
        *,
        input: str | None = None,
        task_list: str = "default",
        start_time: float = START_TIME,
        child_policy: str = "TERMINATE",
        execution_start_to_close_timeout: str = "3600",
        task_start_to_close_timeout: str = "60",
        parent: tuple[str, str] | None = None,
        tag_list: Sequence[str] | None = None,
    ) -> None:
        self.events: list[AnyEvent] = []
        self.now = start_time
        self.task_list = task_list
        self._scheduled_decision: int | None = None
        self._started_decision: int | None = None
        self._activities: dict[str, tuple[int, int]] = {}  # activity id -> (scheduled, started)
        self._timers: dict[str, tuple[int, float]] = {}  # timer id -> (started id, fire time)
        self._children: dict[str, tuple[int, WorkflowType, str | None]] = {}
        self._signals: dict[int, str] = {}
        self._lambdas: dict[str, int] = {}
        self._append(
            e.WorkflowExecutionStarted,
            e.WorkflowExecutionStartedEventAttributes(
                workflow_type=WorkflowType(name=workflow_type, version=version),
                task_list=TaskList(name=task_list),
                child_policy=child_policy,  # type: ignore[arg-type]
                input=input,
                execution_start_to_close_timeout=execution_start_to_close_timeout,
                task_start_to_close_timeout=task_start_to_close_timeout,
                tag_list=list(tag_list) if tag_list else None,
                parent_workflow_execution=(
                    WorkflowExecution(workflow_id=parent[0], run_id=parent[1]) if parent else None
                ),
                parent_initiated_event_id=0,
            ),
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _append(self, cls: type[Any], attributes: Any) -> int:
        event_id = len(self.events) + 1
        self.events.append(cls(event_id=event_id, event_timestamp=self.now, attributes=attributes))
        return event_id

    def advance(self, seconds: float) -> HistoryBuilder:
        """Move the clock on (later events get later timestamps)."""
        self.now += seconds
        return self

    def to_json(self) -> bytes:
        """The history as a GetWorkflowExecutionHistory response body."""
        return msgspec.json.encode({"events": self.events})

    @property
    def last_event_id(self) -> int:
        return len(self.events)

    # -- decision tasks --------------------------------------------------------------------------

    def decision_task(self) -> int:
        """Schedule (if needed) and start a decision task; returns the started event id."""
        if self._scheduled_decision is None:
            self._scheduled_decision = self._append(
                e.DecisionTaskScheduled,
                e.DecisionTaskScheduledEventAttributes(
                    task_list=TaskList(name=self.task_list), start_to_close_timeout="60"
                ),
            )
        self._started_decision = self._append(
            e.DecisionTaskStarted,
            e.DecisionTaskStartedEventAttributes(
                scheduled_event_id=self._scheduled_decision, identity="builder"
            ),
        )
        return self._started_decision

    def decision_task_timed_out(self) -> None:
        """The started decision task timed out (its decider never answered)."""
        if self._scheduled_decision is None or self._started_decision is None:
            raise RuntimeError("no decision task is started: call decision_task() first")
        self._append(
            e.DecisionTaskTimedOut,
            e.DecisionTaskTimedOutEventAttributes(
                timeout_type="START_TO_CLOSE",
                scheduled_event_id=self._scheduled_decision,
                started_event_id=self._started_decision,
            ),
        )
        self._scheduled_decision = self._started_decision = None

    def complete_decision_task(
        self,
        decisions: Sequence[d.Decision],
        *,
        execution_context: str | None = None,
        refuse: dict[int, str] | None = None,
    ) -> int:
        """Record the decider's answer and the command event of every decision.

        Args:
            refuse: decision index -> SWF cause, to record a ``*Failed`` event instead.
        """
        if self._scheduled_decision is None or self._started_decision is None:
            raise RuntimeError("no decision task is started: call decision_task() first")
        completed = self._append(
            e.DecisionTaskCompleted,
            e.DecisionTaskCompletedEventAttributes(
                scheduled_event_id=self._scheduled_decision,
                started_event_id=self._started_decision,
                execution_context=execution_context,
            ),
        )
        self._scheduled_decision = self._started_decision = None
        for index, decision in enumerate(decisions):
            cause = (refuse or {}).get(index)
            self._record(decision, completed, cause)
        return completed

    def _record(self, decision: d.Decision, completed: int, cause: str | None) -> None:
        match decision:
            case d.ScheduleActivityTask(attributes=a):
                if cause:
                    self._append(
                        e.ScheduleActivityTaskFailed,
                        e.ScheduleActivityTaskFailedEventAttributes(
                            activity_type=a.activity_type,
                            activity_id=a.activity_id,
                            cause=cause,  # type: ignore[arg-type]
                            decision_task_completed_event_id=completed,
                        ),
                    )
                    return
                scheduled = self._append(
                    e.ActivityTaskScheduled,
                    e.ActivityTaskScheduledEventAttributes(
                        activity_type=a.activity_type,
                        activity_id=a.activity_id,
                        input=a.input,
                        task_list=a.task_list or TaskList(name=self.task_list),
                        decision_task_completed_event_id=completed,
                        schedule_to_start_timeout=a.schedule_to_start_timeout,
                        schedule_to_close_timeout=a.schedule_to_close_timeout,
                        start_to_close_timeout=a.start_to_close_timeout,
                        heartbeat_timeout=a.heartbeat_timeout,
                        task_priority=a.task_priority,
                    ),
                )
                self._activities[a.activity_id] = (scheduled, 0)
            case d.RequestCancelActivityTask(attributes=a):
                requested = self._append(
                    e.ActivityTaskCancelRequested,
                    e.ActivityTaskCancelRequestedEventAttributes(
                        decision_task_completed_event_id=completed, activity_id=a.activity_id
                    ),
                )
                scheduled, started = self._activities.get(a.activity_id, (0, 0))
                if scheduled and not started:  # SWF cancels a task nobody picked up at once
                    self._append(
                        e.ActivityTaskCanceled,
                        e.ActivityTaskCanceledEventAttributes(
                            scheduled_event_id=scheduled,
                            started_event_id=0,
                            latest_cancel_requested_event_id=requested,
                        ),
                    )
                    del self._activities[a.activity_id]
            case d.StartTimer(attributes=a):
                if cause:
                    self._append(
                        e.StartTimerFailed,
                        e.StartTimerFailedEventAttributes(
                            timer_id=a.timer_id,
                            cause=cause,  # type: ignore[arg-type]
                            decision_task_completed_event_id=completed,
                        ),
                    )
                    return
                started_id = self._append(
                    e.TimerStarted,
                    e.TimerStartedEventAttributes(
                        timer_id=a.timer_id,
                        start_to_fire_timeout=a.start_to_fire_timeout,
                        decision_task_completed_event_id=completed,
                        control=a.control,
                    ),
                )
                self._timers[a.timer_id] = (started_id, self.now + float(a.start_to_fire_timeout))
            case d.CancelTimer(attributes=a):
                if a.timer_id not in self._timers:
                    self._append(
                        e.CancelTimerFailed,
                        e.CancelTimerFailedEventAttributes(
                            timer_id=a.timer_id,
                            cause="TIMER_ID_UNKNOWN",
                            decision_task_completed_event_id=completed,
                        ),
                    )
                    return
                started_id, _ = self._timers.pop(a.timer_id)
                self._append(
                    e.TimerCanceled,
                    e.TimerCanceledEventAttributes(
                        timer_id=a.timer_id,
                        started_event_id=started_id,
                        decision_task_completed_event_id=completed,
                    ),
                )
            case d.RecordMarker(attributes=a):
                self._append(
                    e.MarkerRecorded,
                    e.MarkerRecordedEventAttributes(
                        marker_name=a.marker_name,
                        details=a.details,
                        decision_task_completed_event_id=completed,
                    ),
                )
            case d.StartChildWorkflowExecution(attributes=a):
                if cause:
                    self._append(
                        e.StartChildWorkflowExecutionFailed,
                        e.StartChildWorkflowExecutionFailedEventAttributes(
                            workflow_type=a.workflow_type,
                            cause=cause,  # type: ignore[arg-type]
                            workflow_id=a.workflow_id,
                            initiated_event_id=0,
                            decision_task_completed_event_id=completed,
                            control=a.control,
                        ),
                    )
                    return
                initiated = self._append(
                    e.StartChildWorkflowExecutionInitiated,
                    e.StartChildWorkflowExecutionInitiatedEventAttributes(
                        workflow_id=a.workflow_id,
                        workflow_type=a.workflow_type,
                        task_list=a.task_list or TaskList(name=self.task_list),
                        decision_task_completed_event_id=completed,
                        child_policy=a.child_policy or "TERMINATE",
                        input=a.input,
                        control=a.control,
                        execution_start_to_close_timeout=a.execution_start_to_close_timeout,
                        task_start_to_close_timeout=a.task_start_to_close_timeout,
                        tag_list=a.tag_list,
                    ),
                )
                self._children[a.workflow_id] = (initiated, a.workflow_type, None)
            case d.SignalExternalWorkflowExecution(attributes=a):
                initiated = self._append(
                    e.SignalExternalWorkflowExecutionInitiated,
                    e.SignalExternalWorkflowExecutionInitiatedEventAttributes(
                        workflow_id=a.workflow_id,
                        run_id=a.run_id,
                        signal_name=a.signal_name,
                        input=a.input,
                        decision_task_completed_event_id=completed,
                        control=a.control,
                    ),
                )
                self._signals[initiated] = a.workflow_id
            case d.RequestCancelExternalWorkflowExecution(attributes=a):
                initiated = self._append(
                    e.RequestCancelExternalWorkflowExecutionInitiated,
                    e.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes(
                        workflow_id=a.workflow_id,
                        run_id=a.run_id,
                        decision_task_completed_event_id=completed,
                        control=a.control,
                    ),
                )
                self._signals[initiated] = a.workflow_id
            case d.ScheduleLambdaFunction(attributes=a):
                self._lambdas[a.id] = self._append(
                    e.LambdaFunctionScheduled,
                    e.LambdaFunctionScheduledEventAttributes(
                        id=a.id,
                        name=a.name,
                        input=a.input,
                        start_to_close_timeout=a.start_to_close_timeout,
                        decision_task_completed_event_id=completed,
                    ),
                )
            case d.CompleteWorkflowExecution(attributes=a):
                if cause:
                    self._append(
                        e.CompleteWorkflowExecutionFailed,
                        e.CompleteWorkflowExecutionFailedEventAttributes(
                            cause=cause,  # type: ignore[arg-type]
                            decision_task_completed_event_id=completed,
                        ),
                    )
                    return
                self._append(
                    e.WorkflowExecutionCompleted,
                    e.WorkflowExecutionCompletedEventAttributes(
                        result=a.result, decision_task_completed_event_id=completed
                    ),
                )
            case d.FailWorkflowExecution(attributes=a):
                self._append(
                    e.WorkflowExecutionFailed,
                    e.WorkflowExecutionFailedEventAttributes(
                        reason=a.reason,
                        details=a.details,
                        decision_task_completed_event_id=completed,
                    ),
                )
            case d.CancelWorkflowExecution(attributes=a):
                self._append(
                    e.WorkflowExecutionCanceled,
                    e.WorkflowExecutionCanceledEventAttributes(
                        details=a.details, decision_task_completed_event_id=completed
                    ),
                )
            case d.ContinueAsNewWorkflowExecution(attributes=a):
                self._append(
                    e.WorkflowExecutionContinuedAsNew,
                    e.WorkflowExecutionContinuedAsNewEventAttributes(
                        input=a.input,
                        decision_task_completed_event_id=completed,
                        new_execution_run_id="continued-run",
                        execution_start_to_close_timeout=a.execution_start_to_close_timeout,
                        task_list=a.task_list or TaskList(name=self.task_list),
                        task_start_to_close_timeout=a.task_start_to_close_timeout,
                        child_policy=a.child_policy or "TERMINATE",
                        tag_list=a.tag_list,
                        workflow_type=WorkflowType(
                            name=self._workflow_type().name,
                            version=a.workflow_type_version or self._workflow_type().version,
                        ),
                    ),
                )

    def _workflow_type(self) -> WorkflowType:
        first = self.events[0]
        assert isinstance(first, e.WorkflowExecutionStarted)
        return first.attributes.workflow_type

    # -- what happens outside the decider ----------------------------------------------------------

    def activity_started(self, activity_id: str) -> int:
        scheduled, _ = self._activities[activity_id]
        started = self._append(
            e.ActivityTaskStarted,
            e.ActivityTaskStartedEventAttributes(scheduled_event_id=scheduled, identity="worker"),
        )
        self._activities[activity_id] = (scheduled, started)
        return started

    def _activity_ids(self, activity_id: str) -> tuple[int, int]:
        scheduled, started = self._activities[activity_id]
        if not started:
            started = self.activity_started(activity_id)
        del self._activities[activity_id]
        return scheduled, started

    def activity_completed(self, activity_id: str, result: str | None = None) -> int:
        scheduled, started = self._activity_ids(activity_id)
        return self._append(
            e.ActivityTaskCompleted,
            e.ActivityTaskCompletedEventAttributes(
                scheduled_event_id=scheduled, started_event_id=started, result=result
            ),
        )

    def activity_failed(
        self, activity_id: str, reason: str | None = None, details: str | None = None
    ) -> int:
        scheduled, started = self._activity_ids(activity_id)
        return self._append(
            e.ActivityTaskFailed,
            e.ActivityTaskFailedEventAttributes(
                scheduled_event_id=scheduled,
                started_event_id=started,
                reason=reason,
                details=details,
            ),
        )

    def activity_timed_out(self, activity_id: str, timeout_type: str = "START_TO_CLOSE") -> int:
        scheduled, started = self._activities.pop(activity_id)
        return self._append(
            e.ActivityTaskTimedOut,
            e.ActivityTaskTimedOutEventAttributes(
                timeout_type=timeout_type,  # type: ignore[arg-type]
                scheduled_event_id=scheduled,
                started_event_id=started,
            ),
        )

    def activity_canceled(self, activity_id: str) -> int:
        scheduled, started = self._activities.pop(activity_id)
        return self._append(
            e.ActivityTaskCanceled,
            e.ActivityTaskCanceledEventAttributes(
                scheduled_event_id=scheduled, started_event_id=started
            ),
        )

    def timer_fired(self, timer_id: str) -> int:
        started_id, fire_at = self._timers.pop(timer_id)
        self.now = max(self.now, fire_at)
        return self._append(
            e.TimerFired,
            e.TimerFiredEventAttributes(timer_id=timer_id, started_event_id=started_id),
        )

    def pending_timers(self) -> list[str]:
        return list(self._timers)

    def pending_activities(self) -> list[str]:
        return list(self._activities)

    def signal(self, signal_name: str, input: str | None = None) -> int:
        return self._append(
            e.WorkflowExecutionSignaled,
            e.WorkflowExecutionSignaledEventAttributes(signal_name=signal_name, input=input),
        )

    def cancel_requested(self) -> int:
        return self._append(
            e.WorkflowExecutionCancelRequested, e.WorkflowExecutionCancelRequestedEventAttributes()
        )

    def child_started(self, workflow_id: str, run_id: str = "child-run") -> int:
        initiated, kind, _ = self._children[workflow_id]
        self._children[workflow_id] = (initiated, kind, run_id)
        return self._append(
            e.ChildWorkflowExecutionStarted,
            e.ChildWorkflowExecutionStartedEventAttributes(
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
                workflow_type=kind,
                initiated_event_id=initiated,
            ),
        )

    def _child_close(self, workflow_id: str) -> tuple[WorkflowExecution, WorkflowType, int, int]:
        initiated, kind, run_id = self._children.pop(workflow_id)
        started = next(
            ev.event_id
            for ev in self.events
            if isinstance(ev, e.ChildWorkflowExecutionStarted)
            and ev.attributes.initiated_event_id == initiated
        )
        return (
            WorkflowExecution(workflow_id=workflow_id, run_id=run_id or ""),
            kind,
            initiated,
            started,
        )

    def child_completed(self, workflow_id: str, result: str | None = None) -> int:
        execution, kind, initiated, started = self._child_close(workflow_id)
        return self._append(
            e.ChildWorkflowExecutionCompleted,
            e.ChildWorkflowExecutionCompletedEventAttributes(
                workflow_execution=execution,
                workflow_type=kind,
                result=result,
                initiated_event_id=initiated,
                started_event_id=started,
            ),
        )

    def child_failed(
        self, workflow_id: str, reason: str | None = None, details: str | None = None
    ) -> int:
        execution, kind, initiated, started = self._child_close(workflow_id)
        return self._append(
            e.ChildWorkflowExecutionFailed,
            e.ChildWorkflowExecutionFailedEventAttributes(
                workflow_execution=execution,
                workflow_type=kind,
                reason=reason,
                details=details,
                initiated_event_id=initiated,
                started_event_id=started,
            ),
        )

    def child_start_failed(self, workflow_id: str, cause: str = "WORKFLOW_ALREADY_RUNNING") -> int:
        initiated, kind, _ = self._children.pop(workflow_id)
        return self._append(
            e.StartChildWorkflowExecutionFailed,
            e.StartChildWorkflowExecutionFailedEventAttributes(
                workflow_type=kind,
                cause=cause,  # type: ignore[arg-type]
                workflow_id=workflow_id,
                initiated_event_id=initiated,
                decision_task_completed_event_id=0,
            ),
        )

    def pending_children(self) -> list[str]:
        return [wid for wid, (_, _, run_id) in self._children.items() if run_id is None]

    def running_children(self) -> list[str]:
        return [wid for wid, (_, _, run_id) in self._children.items() if run_id is not None]

    def external_signaled(self, initiated_event_id: int) -> int:
        workflow_id = self._signals.pop(initiated_event_id)
        return self._append(
            e.ExternalWorkflowExecutionSignaled,
            e.ExternalWorkflowExecutionSignaledEventAttributes(
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id="ext-run"),
                initiated_event_id=initiated_event_id,
            ),
        )

    def external_cancel_requested(self, initiated_event_id: int) -> int:
        workflow_id = self._signals.pop(initiated_event_id)
        return self._append(
            e.ExternalWorkflowExecutionCancelRequested,
            e.ExternalWorkflowExecutionCancelRequestedEventAttributes(
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id="ext-run"),
                initiated_event_id=initiated_event_id,
            ),
        )

    def pending_external(self) -> list[int]:
        return list(self._signals)

    def lambda_completed(self, lambda_id: str, result: str | None = None) -> int:
        scheduled = self._lambdas.pop(lambda_id)
        started = self._append(
            e.LambdaFunctionStarted,
            e.LambdaFunctionStartedEventAttributes(scheduled_event_id=scheduled),
        )
        return self._append(
            e.LambdaFunctionCompleted,
            e.LambdaFunctionCompletedEventAttributes(
                scheduled_event_id=scheduled, started_event_id=started, result=result
            ),
        )
