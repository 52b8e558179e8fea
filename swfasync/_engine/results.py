"""Turning result events into resolved futures (or typed errors) for the commands awaiting them.

Results refer to the command event that recorded their command (``scheduledEventId``,
``initiatedEventId``), which the non-determinism check bound to the command. A result for
a command the code no longer waits on (it was cancelled, or abandoned) is dropped: the
future is already done.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .._wire import events as e
from .._wire.codec import AnyEvent
from .._wire.common import WorkflowExecution
from ..exceptions import (
    ActivityCancelledError,
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


def apply_command_event(instance: WorkflowInstance, event: AnyEvent) -> None:
    """Effects of a command event beyond the match (a refused decision surfaces here)."""
    command = instance.command_for_event(event.event_id)
    match event:
        case e.ScheduleActivityTaskFailed(attributes=a) if isinstance(command, ActivityCommand):
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
        case e.StartTimerFailed(attributes=a):
            instance.timer_refused(a.timer_id, a.cause, event.event_id)
        case e.StartChildWorkflowExecutionFailed(attributes=a) if isinstance(
            command, ChildWorkflowCommand
        ):
            _child_start_failed(command, a, event.event_id)
        case e.SignalExternalWorkflowExecutionFailed(attributes=a) if isinstance(
            command, SignalExternalCommand
        ):
            _settle(command.future, error=_external_error("signal", a.workflow_id, a.cause, event))
        case e.RequestCancelExternalWorkflowExecutionFailed(attributes=a) if isinstance(
            command, CancelExternalCommand
        ):
            _settle(command.future, error=_external_error("cancel", a.workflow_id, a.cause, event))
        case e.ScheduleLambdaFunctionFailed(attributes=a) if isinstance(command, LambdaCommand):
            _settle(
                command.future,
                error=LambdaFunctionError(
                    f"SWF refused to schedule Lambda function {a.name}: {a.cause}",
                    cause=a.cause,
                    event_id=event.event_id,
                ),
            )
        case (
            e.CompleteWorkflowExecutionFailed()
            | e.FailWorkflowExecutionFailed()
            | e.CancelWorkflowExecutionFailed()
            | e.ContinueAsNewWorkflowExecutionFailed()
        ):
            instance.log.warning("close_decision_refused", cause=event.attributes.cause)
            instance.close_refused()
        case (
            e.WorkflowExecutionCompleted()
            | e.WorkflowExecutionFailed()
            | e.WorkflowExecutionCanceled()
            | e.WorkflowExecutionContinuedAsNew()
        ):
            instance.mark_closed()
        case e.RecordMarkerFailed(attributes=a):
            raise DecisionFailedError(
                f"SWF refused to record marker {a.marker_name}: {a.cause}",
                cause=a.cause,
                event_id=event.event_id,
            )
        case _:
            pass


def _external_error(
    what: str, workflow_id: str, cause: str, event: AnyEvent
) -> ExternalWorkflowError:
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


def apply_result_event(instance: WorkflowInstance, event: AnyEvent) -> None:
    """Resolve the command a result event reports on."""
    match event:
        case e.ActivityTaskStarted(attributes=a):
            if (command := _activity(instance, a.scheduled_event_id)) is not None:
                command.started = True
        case e.ActivityTaskCompleted(attributes=a):
            if (command := _activity(instance, a.scheduled_event_id)) is not None:
                _settle(command.future, a.result)
        case e.ActivityTaskFailed(attributes=a):
            if (command := _activity(instance, a.scheduled_event_id)) is not None:
                label = _activity_label(command)
                _settle(
                    command.future,
                    error=ActivityFailedError(
                        _failure_message(
                            f"activity {command.attributes.activity_id} ({label})", a.reason
                        ),
                        reason=a.reason,
                        details=a.details,
                        event_id=event.event_id,
                        activity_id=command.attributes.activity_id,
                        activity_type=label,
                    ),
                )
        case e.ActivityTaskTimedOut(attributes=a):
            if (command := _activity(instance, a.scheduled_event_id)) is not None:
                _settle(
                    command.future,
                    error=ActivityTimeoutError(
                        f"activity {command.attributes.activity_id} timed out ({a.timeout_type})",
                        timeout_type=a.timeout_type,
                        details=a.details,
                        event_id=event.event_id,
                        activity_id=command.attributes.activity_id,
                        activity_type=_activity_label(command),
                    ),
                )
        case e.ActivityTaskCanceled(attributes=a):
            if (command := _activity(instance, a.scheduled_event_id)) is not None:
                _settle(
                    command.future,
                    error=ActivityCancelledError(
                        f"activity {command.attributes.activity_id} was cancelled",
                        details=a.details,
                        event_id=event.event_id,
                        activity_id=command.attributes.activity_id,
                        activity_type=_activity_label(command),
                    ),
                )
        case e.ChildWorkflowExecutionStarted(attributes=a):
            if (child := _child(instance, a.initiated_event_id)) is not None:
                _settle(child.started, a.workflow_execution.run_id)
        case e.ChildWorkflowExecutionCompleted(attributes=a):
            if (child := _child(instance, a.initiated_event_id)) is not None:
                _settle(child.result, a.result)
        case e.ChildWorkflowExecutionFailed(attributes=a):
            wid = a.workflow_execution.workflow_id
            _child_closed(
                instance,
                a.initiated_event_id,
                a.workflow_execution,
                ChildWorkflowFailedError,
                _failure_message(f"child workflow {wid}", a.reason),
                reason=a.reason,
                details=a.details,
                event_id=event.event_id,
            )
        case e.ChildWorkflowExecutionTimedOut(attributes=a):
            _child_closed(
                instance,
                a.initiated_event_id,
                a.workflow_execution,
                ChildWorkflowTimeoutError,
                f"child workflow {a.workflow_execution.workflow_id} timed out ({a.timeout_type})",
                event_id=event.event_id,
            )
        case e.ChildWorkflowExecutionCanceled(attributes=a):
            _child_closed(
                instance,
                a.initiated_event_id,
                a.workflow_execution,
                ChildWorkflowCancelledError,
                f"child workflow {a.workflow_execution.workflow_id} was cancelled",
                details=a.details,
                event_id=event.event_id,
            )
        case e.ChildWorkflowExecutionTerminated(attributes=a):
            _child_closed(
                instance,
                a.initiated_event_id,
                a.workflow_execution,
                ChildWorkflowTerminatedError,
                f"child workflow {a.workflow_execution.workflow_id} was terminated",
                event_id=event.event_id,
            )
        case e.StartChildWorkflowExecutionFailed(attributes=a):
            if (child := _child(instance, a.initiated_event_id)) is not None:
                _child_start_failed(child, a, event.event_id)
        case e.ExternalWorkflowExecutionSignaled(attributes=a):
            found = instance.command_for_event(a.initiated_event_id)
            if isinstance(found, SignalExternalCommand):
                _settle(found.future)
        case e.SignalExternalWorkflowExecutionFailed(attributes=a):
            found = instance.command_for_event(a.initiated_event_id)
            if isinstance(found, SignalExternalCommand):
                _settle(
                    found.future, error=_external_error("signal", a.workflow_id, a.cause, event)
                )
        case e.ExternalWorkflowExecutionCancelRequested(attributes=a):
            found = instance.command_for_event(a.initiated_event_id)
            if isinstance(found, CancelExternalCommand):
                _settle(found.future)
        case e.RequestCancelExternalWorkflowExecutionFailed(attributes=a):
            found = instance.command_for_event(a.initiated_event_id)
            if isinstance(found, CancelExternalCommand):
                _settle(
                    found.future, error=_external_error("cancel", a.workflow_id, a.cause, event)
                )
        case e.LambdaFunctionCompleted(attributes=a):
            if isinstance(found := instance.command_for_event(a.scheduled_event_id), LambdaCommand):
                _settle(found.future, a.result)
        case e.LambdaFunctionFailed(attributes=a):
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
        case e.LambdaFunctionTimedOut(attributes=a):
            if isinstance(found := instance.command_for_event(a.scheduled_event_id), LambdaCommand):
                _settle(
                    found.future,
                    error=LambdaFunctionError(
                        f"Lambda function {found.attributes.name} timed out ({a.timeout_type})",
                        event_id=event.event_id,
                    ),
                )
        case e.StartLambdaFunctionFailed(attributes=a):
            if isinstance(
                found := instance.command_for_event(a.scheduled_event_id or 0), LambdaCommand
            ):
                _settle(
                    found.future,
                    error=LambdaFunctionError(
                        f"Lambda function {found.attributes.name} could not start: {a.cause}"
                        + (f" ({a.message})" if a.message else ""),
                        cause=a.cause,
                        event_id=event.event_id,
                    ),
                )
        case _:
            pass  # bookkeeping events (DecisionTaskScheduled, LambdaFunctionStarted ...)
