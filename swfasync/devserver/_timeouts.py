"""What happens when a deadline passes: timers fire, tasks and executions time out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._state import Execution

if TYPE_CHECKING:
    from ._backend import Backend


def fire(b: Backend, ex: Execution, kind: str, ident: str) -> None:
    if kind == "execution":
        b.close(
            ex,
            "TIMED_OUT",
            "WorkflowExecutionTimedOut",
            {"timeoutType": "START_TO_CLOSE", "childPolicy": ex.child_policy},
        )
    elif kind == "timer":
        timer = ex.timers.pop(ident, None)
        if timer is not None:
            b.add_event(
                ex,
                "TimerFired",
                {"timerId": timer.timer_id, "startedEventId": timer.started_event_id},
            )
    elif kind.startswith("decision_"):
        _decision_timeout(b, ex, kind)
    elif kind.startswith("activity_"):
        _activity_timeout(b, ex, kind.removeprefix("activity_"), ident)
    elif kind == "lambda":
        call = ex.lambdas.pop(ident, None)
        if call is not None:
            b.add_event(
                ex,
                "LambdaFunctionTimedOut",
                {
                    "scheduledEventId": call.scheduled_event_id,
                    "startedEventId": call.started_event_id,
                    "timeoutType": "START_TO_CLOSE",
                },
            )


def _decision_timeout(b: Backend, ex: Execution, kind: str) -> None:
    task = ex.decision
    if task is None:
        return
    timeout_type = "SCHEDULE_TO_START" if kind == "decision_schedule_to_start" else "START_TO_CLOSE"
    if timeout_type == "SCHEDULE_TO_START":
        # Only a temporary task-list override has a schedule-to-start timeout; SWF reverts
        # it, so the decision task rescheduled below goes to the execution's own list.
        ex.sticky_task_list = ex.sticky_timeout = None
    b.finish_decision(ex)
    b.add_event(
        ex,
        "DecisionTaskTimedOut",
        {
            "timeoutType": timeout_type,
            "scheduledEventId": task.scheduled_event_id,
            "startedEventId": task.started_event_id,
        },
    )


def _activity_timeout(b: Backend, ex: Execution, timeout_type: str, activity_id: str) -> None:
    act = ex.activities.pop(activity_id, None)
    if act is None:
        return
    b.add_event(
        ex,
        "ActivityTaskTimedOut",
        {
            "timeoutType": timeout_type,
            "scheduledEventId": act.scheduled_event_id,
            "startedEventId": act.started_event_id,
            "details": act.heartbeat_details if timeout_type == "HEARTBEAT" else None,
        },
    )
