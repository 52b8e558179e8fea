"""Turning result events into resolved futures (or typed errors) for the commands awaiting them.

Results refer to the command event that recorded their command (``scheduledEventId``,
``initiatedEventId``), which the non-determinism check bound to the command. A result for
a command the code no longer waits on (it was cancelled, or abandoned) is dropped: the
future is already done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._wire import events as e
from .._wire.common import WorkflowExecution
from ..exceptions import (
    ActivityCancelledError,
    ActivityError,
    ActivityFailedError,
    ActivityTimeoutError,
    ChildWorkflowCancelledError,
    ChildWorkflowError,
    ChildWorkflowFailedError,
    ChildWorkflowTerminatedError,
    ChildWorkflowTimeoutError,
    DecisionFailedError,
    ExternalWorkflowError,
    LambdaFunctionError,
    ScheduleActivityTaskError,
    StartChildWorkflowError,
)
from .commands import (
    ActivityCommand,
    CancelExternalCommand,
    ChildWorkflowCommand,
    LambdaCommand,
    SignalExternalCommand,
)
from .failures import decode_failure

if TYPE_CHECKING:
    from .instance import WorkflowInstance


def _settle(
    future: asyncio.Future[Any], value: Any = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
        # Awaiting it still raises; this only stops asyncio from logging, at some garbage
        # collection, a failure the workflow chose not to await (e.g. a cancelled call).
        future.exception()
    else:
        future.set_result(value)


def _activity_label(command: ActivityCommand) -> str:
    kind = command.attributes.activity_type
    return f"{kind.name}/{kind.version}"


def _activity(instance: WorkflowInstance, scheduled_event_id: int) -> ActivityCommand | None:
    found = instance.command_for_event(scheduled_event_id)
    return found if isinstance(found, ActivityCommand) else None


def _child(instance: WorkflowInstance, initiated_event_id: int) -> ChildWorkflowCommand | None:
    found = instance.command_for_event(initiated_event_id)
    return found if isinstance(found, ChildWorkflowCommand) else None


def _failure_message(what: str, reason: str | None) -> str:
    return f"{what} failed: {decode_failure(reason, None).message}" if reason else f"{what} failed"


# -- effects of command events beyond their match (a refused decision surfaces here) --------


def _schedule_activity_failed(
    instance: WorkflowInstance, event: e.ScheduleActivityTaskFailed
) -> None:
    command = instance.command_for_event(event.event_id)
    if isinstance(command, ActivityCommand):
        a = event.attributes
        _settle(
            command.future,
            error=ScheduleActivityTaskError(
                f"SWF refused to schedule activity {a.activity_id}: {a.cause}",
                cause=a.cause,
                event_id=event.event_id,
                activity_id=a.activity_id,
                activity_type=_activity_label(command),
            ),
        )


def _start_timer_failed(instance: WorkflowInstance, event: e.StartTimerFailed) -> None:
    instance.timer_refused(event.attributes.timer_id, event.attributes.cause, event.event_id)


def _start_child_refused(
    instance: WorkflowInstance, event: e.StartChildWorkflowExecutionFailed
) -> None:
    command = instance.command_for_event(event.event_id)
    if isinstance(command, ChildWorkflowCommand):
        _child_start_failed(command, event.attributes, event.event_id)


def _signal_external_refused(
    instance: WorkflowInstance, event: e.SignalExternalWorkflowExecutionFailed
) -> None:
    command = instance.command_for_event(event.event_id)
    if isinstance(command, SignalExternalCommand):
        a = event.attributes
        _settle(command.future, error=_external_error("signal", a.workflow_id, a.cause, event))


def _cancel_external_refused(
    instance: WorkflowInstance, event: e.RequestCancelExternalWorkflowExecutionFailed
) -> None:
    command = instance.command_for_event(event.event_id)
    if isinstance(command, CancelExternalCommand):
        a = event.attributes
        _settle(command.future, error=_external_error("cancel", a.workflow_id, a.cause, event))


def _schedule_lambda_failed(
    instance: WorkflowInstance, event: e.ScheduleLambdaFunctionFailed
) -> None:
    command = instance.command_for_event(event.event_id)
    if isinstance(command, LambdaCommand):
        a = event.attributes
        _settle(
            command.future,
            error=LambdaFunctionError(
                f"SWF refused to schedule Lambda function {a.name}: {a.cause}",
                cause=a.cause,
                event_id=event.event_id,
            ),
        )


def _close_refused(instance: WorkflowInstance, event: Any) -> None:
    instance.log.warning("close_decision_refused", cause=event.attributes.cause)
    instance.close_refused()


def _closed(instance: WorkflowInstance, event: Any) -> None:
    instance.mark_closed()


def _record_marker_failed(instance: WorkflowInstance, event: e.RecordMarkerFailed) -> None:
    a = event.attributes
    raise DecisionFailedError(
        f"SWF refused to record marker {a.marker_name}: {a.cause}",
        cause=a.cause,
        event_id=event.event_id,
    )


# Looked up by type for every command event of a replay; command events of other kinds
# (ActivityTaskScheduled, TimerStarted, MarkerRecorded ...) have no effect beyond the match.
COMMAND_EVENT_EFFECTS: dict[type, Callable[[WorkflowInstance, Any], None]] = {
    e.ScheduleActivityTaskFailed: _schedule_activity_failed,
    e.StartTimerFailed: _start_timer_failed,
    e.StartChildWorkflowExecutionFailed: _start_child_refused,
    e.SignalExternalWorkflowExecutionFailed: _signal_external_refused,
    e.RequestCancelExternalWorkflowExecutionFailed: _cancel_external_refused,
    e.ScheduleLambdaFunctionFailed: _schedule_lambda_failed,
    e.CompleteWorkflowExecutionFailed: _close_refused,
    e.FailWorkflowExecutionFailed: _close_refused,
    e.CancelWorkflowExecutionFailed: _close_refused,
    e.ContinueAsNewWorkflowExecutionFailed: _close_refused,
    e.WorkflowExecutionCompleted: _closed,
    e.WorkflowExecutionFailed: _closed,
    e.WorkflowExecutionCanceled: _closed,
    e.WorkflowExecutionContinuedAsNew: _closed,
    e.RecordMarkerFailed: _record_marker_failed,
}


def _external_error(what: str, workflow_id: str, cause: str, event: Any) -> ExternalWorkflowError:
    return ExternalWorkflowError(
        f"SWF could not {what} workflow {workflow_id}: {cause}",
        cause=cause,
        event_id=event.event_id,
    )


def _child_start_failed(
    command: ChildWorkflowCommand,
    a: e.StartChildWorkflowExecutionFailedEventAttributes,
    event_id: int,
) -> None:
    error = StartChildWorkflowError(
        f"SWF could not start child workflow {a.workflow_id}: {a.cause}",
        cause=a.cause,
        event_id=event_id,
        workflow_id=a.workflow_id,
    )
    _settle(command.started, error=error)
    _settle(command.result, error=error)
    # Whoever awaits only one of the two must not leave the other "never retrieved".
    for future in (command.started, command.result):
        future.exception()


def _child_closed(
    instance: WorkflowInstance,
    initiated_event_id: int,
    execution: WorkflowExecution,
    error_type: type[ChildWorkflowError],
    message: str,
    **fields: Any,
) -> None:
    """A child closed other than COMPLETED: its awaiting code gets ``error_type``."""
    if (child := _child(instance, initiated_event_id)) is not None:
        error = error_type(
            message, workflow_id=execution.workflow_id, run_id=execution.run_id, **fields
        )
        _settle(child.result, error=error)


# -- result events: resolve the command they report on --------------------------------------


def _activity_started(instance: WorkflowInstance, event: e.ActivityTaskStarted) -> None:
    if (command := _activity(instance, event.attributes.scheduled_event_id)) is not None:
        command.started = True


def _activity_completed(instance: WorkflowInstance, event: e.ActivityTaskCompleted) -> None:
    if (command := _activity(instance, event.attributes.scheduled_event_id)) is not None:
        _settle(command.future, event.attributes.result)


def _activity_ended_without_result(
    instance: WorkflowInstance,
    event: Any,
    error_type: type[ActivityError],
    message: Callable[[str, str], str],
    **fields: Any,
) -> None:
    """The activity failed, timed out or was cancelled: its awaiting code gets
    ``error_type``, with ``message(activity_id, type_label)``."""
    if (command := _activity(instance, event.attributes.scheduled_event_id)) is not None:
        activity_id, label = command.attributes.activity_id, _activity_label(command)
        _settle(
            command.future,
            error=error_type(
                message(activity_id, label),
                event_id=event.event_id,
                activity_id=activity_id,
                activity_type=label,
                **fields,
            ),
        )


def _activity_failed(instance: WorkflowInstance, event: e.ActivityTaskFailed) -> None:
    a = event.attributes
    _activity_ended_without_result(
        instance,
        event,
        ActivityFailedError,
        lambda activity_id, label: _failure_message(f"activity {activity_id} ({label})", a.reason),
        reason=a.reason,
        details=a.details,
    )


def _activity_timed_out(instance: WorkflowInstance, event: e.ActivityTaskTimedOut) -> None:
    a = event.attributes
    _activity_ended_without_result(
        instance,
        event,
        ActivityTimeoutError,
        lambda activity_id, _: f"activity {activity_id} timed out ({a.timeout_type})",
        timeout_type=a.timeout_type,
        details=a.details,
    )


def _activity_canceled(instance: WorkflowInstance, event: e.ActivityTaskCanceled) -> None:
    _activity_ended_without_result(
        instance,
        event,
        ActivityCancelledError,
        lambda activity_id, _: f"activity {activity_id} was cancelled",
        details=event.attributes.details,
    )


def _child_started(instance: WorkflowInstance, event: e.ChildWorkflowExecutionStarted) -> None:
    a = event.attributes
    if (child := _child(instance, a.initiated_event_id)) is not None:
        _settle(child.started, a.workflow_execution.run_id)


def _child_completed(instance: WorkflowInstance, event: e.ChildWorkflowExecutionCompleted) -> None:
    a = event.attributes
    if (child := _child(instance, a.initiated_event_id)) is not None:
        _settle(child.result, a.result)


def _child_failed(instance: WorkflowInstance, event: e.ChildWorkflowExecutionFailed) -> None:
    a = event.attributes
    _child_closed(
        instance,
        a.initiated_event_id,
        a.workflow_execution,
        ChildWorkflowFailedError,
        _failure_message(f"child workflow {a.workflow_execution.workflow_id}", a.reason),
        reason=a.reason,
        details=a.details,
        event_id=event.event_id,
    )


def _child_timed_out(instance: WorkflowInstance, event: e.ChildWorkflowExecutionTimedOut) -> None:
    a = event.attributes
    _child_closed(
        instance,
        a.initiated_event_id,
        a.workflow_execution,
        ChildWorkflowTimeoutError,
        f"child workflow {a.workflow_execution.workflow_id} timed out ({a.timeout_type})",
        event_id=event.event_id,
    )


def _child_canceled(instance: WorkflowInstance, event: e.ChildWorkflowExecutionCanceled) -> None:
    a = event.attributes
    _child_closed(
        instance,
        a.initiated_event_id,
        a.workflow_execution,
        ChildWorkflowCancelledError,
        f"child workflow {a.workflow_execution.workflow_id} was cancelled",
        details=a.details,
        event_id=event.event_id,
    )


def _child_terminated(
    instance: WorkflowInstance, event: e.ChildWorkflowExecutionTerminated
) -> None:
    a = event.attributes
    _child_closed(
        instance,
        a.initiated_event_id,
        a.workflow_execution,
        ChildWorkflowTerminatedError,
        f"child workflow {a.workflow_execution.workflow_id} was terminated",
        event_id=event.event_id,
    )


def _child_start_failed_later(
    instance: WorkflowInstance, event: e.StartChildWorkflowExecutionFailed
) -> None:
    if (child := _child(instance, event.attributes.initiated_event_id)) is not None:
        _child_start_failed(child, event.attributes, event.event_id)


def _external_signaled(
    instance: WorkflowInstance, event: e.ExternalWorkflowExecutionSignaled
) -> None:
    found = instance.command_for_event(event.attributes.initiated_event_id)
    if isinstance(found, SignalExternalCommand):
        _settle(found.future)


def _external_signal_failed(
    instance: WorkflowInstance, event: e.SignalExternalWorkflowExecutionFailed
) -> None:
    a = event.attributes
    found = instance.command_for_event(a.initiated_event_id)
    if isinstance(found, SignalExternalCommand):
        _settle(found.future, error=_external_error("signal", a.workflow_id, a.cause, event))


def _external_cancel_requested(
    instance: WorkflowInstance, event: e.ExternalWorkflowExecutionCancelRequested
) -> None:
    found = instance.command_for_event(event.attributes.initiated_event_id)
    if isinstance(found, CancelExternalCommand):
        _settle(found.future)


def _external_cancel_failed(
    instance: WorkflowInstance, event: e.RequestCancelExternalWorkflowExecutionFailed
) -> None:
    a = event.attributes
    found = instance.command_for_event(a.initiated_event_id)
    if isinstance(found, CancelExternalCommand):
        _settle(found.future, error=_external_error("cancel", a.workflow_id, a.cause, event))


def _lambda_completed(instance: WorkflowInstance, event: e.LambdaFunctionCompleted) -> None:
    a = event.attributes
    if isinstance(found := instance.command_for_event(a.scheduled_event_id), LambdaCommand):
        _settle(found.future, a.result)


def _lambda_failed(instance: WorkflowInstance, event: e.LambdaFunctionFailed) -> None:
    a = event.attributes
    if isinstance(found := instance.command_for_event(a.scheduled_event_id), LambdaCommand):
        _settle(
            found.future,
            error=LambdaFunctionError(
                _failure_message(f"Lambda function {found.attributes.name}", a.reason),
                reason=a.reason,
                details=a.details,
                event_id=event.event_id,
            ),
        )


def _lambda_timed_out(instance: WorkflowInstance, event: e.LambdaFunctionTimedOut) -> None:
    a = event.attributes
    if isinstance(found := instance.command_for_event(a.scheduled_event_id), LambdaCommand):
        _settle(
            found.future,
            error=LambdaFunctionError(
                f"Lambda function {found.attributes.name} timed out ({a.timeout_type})",
                event_id=event.event_id,
            ),
        )


def _lambda_start_failed(instance: WorkflowInstance, event: e.StartLambdaFunctionFailed) -> None:
    a = event.attributes
    if isinstance(found := instance.command_for_event(a.scheduled_event_id or 0), LambdaCommand):
        _settle(
            found.future,
            error=LambdaFunctionError(
                f"Lambda function {found.attributes.name} could not start: {a.cause}"
                + (f" ({a.message})" if a.message else ""),
                cause=a.cause,
                event_id=event.event_id,
            ),
        )


# Looked up by type for every other event of a replay; bookkeeping events
# (DecisionTaskScheduled, LambdaFunctionStarted ...) are absent and change nothing.
RESULT_EFFECTS: dict[type, Callable[[WorkflowInstance, Any], None]] = {
    e.ActivityTaskStarted: _activity_started,
    e.ActivityTaskCompleted: _activity_completed,
    e.ActivityTaskFailed: _activity_failed,
    e.ActivityTaskTimedOut: _activity_timed_out,
    e.ActivityTaskCanceled: _activity_canceled,
    e.ChildWorkflowExecutionStarted: _child_started,
    e.ChildWorkflowExecutionCompleted: _child_completed,
    e.ChildWorkflowExecutionFailed: _child_failed,
    e.ChildWorkflowExecutionTimedOut: _child_timed_out,
    e.ChildWorkflowExecutionCanceled: _child_canceled,
    e.ChildWorkflowExecutionTerminated: _child_terminated,
    # Reached only when the event names an initiated event (a child that failed to start
    # after its initiation was recorded); without one it is a command event.
    e.StartChildWorkflowExecutionFailed: _child_start_failed_later,
    e.ExternalWorkflowExecutionSignaled: _external_signaled,
    e.SignalExternalWorkflowExecutionFailed: _external_signal_failed,
    e.ExternalWorkflowExecutionCancelRequested: _external_cancel_requested,
    e.RequestCancelExternalWorkflowExecutionFailed: _external_cancel_failed,
    e.LambdaFunctionCompleted: _lambda_completed,
    e.LambdaFunctionFailed: _lambda_failed,
    e.LambdaFunctionTimedOut: _lambda_timed_out,
    e.StartLambdaFunctionFailed: _lambda_start_failed,
}
