"""Every error swfasync raises, under one root.

::

    SwfAsyncError
    ├── PayloadError                  a value cannot be encoded/decoded
    │   └── PayloadTooLargeError      a field exceeds SWF's size limit (names field, size, limit)
    ├── SwfValidationError            a value breaks one of SWF's rules (also a ValueError):
    │   │                             a length, the characters of an id, a range, a digit count
    │   └── PayloadTooLargeError      (also a PayloadError)
    ├── HistoryError                  a history cannot be decoded or is inconsistent
    ├── NondeterminismError           workflow code diverged from its recorded history
    ├── WorkflowDefinitionError       a workflow/activity definition is unusable
    ├── UnknownTypeError              a task names a workflow or activity type nobody registered
    ├── RestrictedOperationError      workflow code did I/O, threading or read the wall clock
    ├── WorkflowFailureError          a workflow execution closed other than COMPLETED
    │                                 (client side: raised by ``handle.result()``)
    ├── WorkflowAlreadyStartedError   start_workflow found an open execution with that id
    ├── WorkflowDecisionFailedError   the execution's workflow code failed a decision task
    │                                 (client side: ``handle.result()`` asked to raise on it)
    │   └── WorkflowIdConflictError   an idempotent start's id is bound to another request
    ├── ApplicationError              raised by user code to fail an activity/workflow on purpose
    └── FailureError                  something a workflow awaited did not succeed
        ├── ActivityError             an activity failed, timed out or was cancelled
        │   ├── ActivityFailedError
        │   ├── ActivityTimeoutError
        │   ├── ActivityCancelledError
        │   └── ScheduleActivityTaskError   SWF refused ScheduleActivityTask (cause)
        ├── TimerError                SWF refused StartTimer/CancelTimer (cause)
        ├── ChildWorkflowError        a child workflow did not complete
        │   ├── ChildWorkflowFailedError, ChildWorkflowTimeoutError,
        │   ├── ChildWorkflowCancelledError, ChildWorkflowTerminatedError
        │   └── StartChildWorkflowError     SWF refused StartChildWorkflowExecution (cause)
        ├── ExternalWorkflowError     SWF refused a signal or cancel of another execution (cause)
        ├── LambdaFunctionError       a Lambda task failed, timed out or could not start
        └── DecisionFailedError       SWF refused a decision (RecordMarker, close decisions ...)

``FailureError`` subclasses carry SWF's own words: ``reason``/``details`` of the failure,
``cause`` of a refused decision, ``timeout_type`` of a timeout, and the ids needed to act.
Inside a workflow, every one of them can be caught; uncaught, an ``ApplicationError``,
``FailureError`` or ``SwfValidationError`` fails the workflow execution, and anything else
fails only the decision task: the failure is recorded in the history (see
``WorkflowHandle.describe()``) and the task is retried with backoff, so a fixed deployment
can recover the execution.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._engine.task_failures import DecisionFailure


class SwfAsyncError(Exception):
    """Root of every error raised by swfasync."""


class PayloadError(SwfAsyncError):
    """A value could not be converted to or from its wire form."""


class SwfValidationError(SwfAsyncError, ValueError):
    """A value breaks one of SWF's rules, found before anything was sent.

    SWF measures lengths in UTF-16 code units (a character outside the Basic Multilingual
    Plane counts twice), forbids ``:``, ``/``, ``|``, control characters and the literal
    ``arn`` in ids and names, takes durations as at most 8 decimal digits of seconds, and
    refuses negative durations.

    Attributes:
        field: the parameter or decision field, e.g. ``"activity_id"``.
        value: the offending value (as given).
        rule: which rule: ``"length"``, ``"characters"``, ``"digits"``, ``"range"``,
            ``"negative"``, ``"integer"``.
        size: the measured size (length, digit count, number), where it applies.
        limit: SWF's bound for it, where it applies.
    """

    def __init__(
        self,
        field: str,
        value: Any,
        rule: str,
        message: str,
        *,
        size: int | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.rule = rule
        self.size = size
        self.limit = limit


class PayloadTooLargeError(PayloadError, SwfValidationError):
    """A field is larger than SWF accepts.

    Attributes:
        field: which field (``"input"``, ``"result"``, ``"details"``, ``"reason"`` ...).
        size: its length in characters (UTF-16 code units, as SWF counts them).
        limit: SWF's maximum for that field.
    """

    def __init__(self, field: str, size: int, limit: int, value: Any = None) -> None:
        message = f"{field} is {size} characters long; SWF accepts at most {limit}"
        if isinstance(value, str) and len(value) != size:
            message += " (UTF-16 code units, as SWF counts them)"
        SwfValidationError.__init__(self, field, value, "length", message, size=size, limit=limit)


class HistoryError(SwfAsyncError):
    """A workflow history could not be decoded or is internally inconsistent."""

    def __init__(self, message: str, *, event_id: int | None = None) -> None:
        where = f" (event {event_id})" if event_id is not None else ""
        super().__init__(f"{message}{where}")
        self.event_id = event_id


class NondeterminismError(SwfAsyncError):
    """Workflow code did something different from what its history recorded.

    Attributes:
        event_id: the history event that disagrees (or the first event of the batch).
        expected: what history holds, e.g. ``"StartTimer id=1"``.
        actual: what the code did, e.g. ``"ScheduleActivityTask id=1 type=charge/1"``.
    """

    def __init__(self, event_id: int | None, expected: str, actual: str) -> None:
        where = f"event {event_id}" if event_id is not None else "end of history"
        super().__init__(
            f"nondeterminism at {where}: history has {expected}, the workflow code did {actual}"
        )
        self.event_id = event_id
        self.expected = expected
        self.actual = actual


class WorkflowDefinitionError(SwfAsyncError):
    """A workflow or activity definition cannot be used as written."""


class UnknownTypeError(SwfAsyncError):
    """A task names a workflow or activity type that this worker does not know."""


class RestrictedOperationError(SwfAsyncError):
    """Workflow code did something that cannot be replayed: I/O, threads, reading a clock,
    or drawing from a random source other than the run's seeded one."""


class ApplicationError(SwfAsyncError):
    """Raise from an activity or workflow to fail it with a chosen reason and details.

    Args:
        message: becomes the SWF ``reason`` (truncated to 256 characters on the wire).
        details: JSON-encodable data carried as the SWF ``details``.
        type: an error type name; retry policies match it against ``non_retryable``.
        non_retryable: if true, a retry policy never retries this failure.
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.type = type or self.__class__.__name__
        self.non_retryable = non_retryable


class WorkflowFailureError(SwfAsyncError):
    """A workflow execution closed without completing (seen by a client).

    Attributes:
        workflow_id, run_id: the execution.
        close_status: SWF's close status (``FAILED``, ``CANCELED``, ``TIMED_OUT`` ...).
        reason, details: from the closing event, where SWF has them.
    """

    def __init__(
        self,
        workflow_id: str,
        run_id: str,
        close_status: str,
        reason: str | None = None,
        details: str | None = None,
    ) -> None:
        text = f"workflow {workflow_id} (run {run_id}) closed as {close_status}"
        if reason:
            text += f": {reason}"
        super().__init__(text)
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.close_status = close_status
        self.reason = reason
        self.details = details


class WorkflowAlreadyStartedError(SwfAsyncError):
    """An execution with this workflow id is already open (SWF allows one at a time).

    Attributes:
        workflow_id: the id asked for.
        run_id: the existing run, where it is known.
    """

    def __init__(self, workflow_id: str, run_id: str | None = None) -> None:
        super().__init__(self._message(workflow_id, run_id))
        self.workflow_id = workflow_id
        self.run_id = run_id

    @staticmethod
    def _message(workflow_id: str, run_id: str | None) -> str:
        return f"workflow {workflow_id} is already running"


class WorkflowIdConflictError(WorkflowAlreadyStartedError):
    """An idempotent start named a workflow id already bound to a different request.

    Raised by ``start_workflow(..., id_reuse_policy=IdReusePolicy.IDEMPOTENT)`` when the
    id's run (open, or closed within the domain's retention period) was started with
    another workflow type, version or input.

    Attributes:
        workflow_id: the id asked for.
        run_id: the run the id is bound to.
    """

    @staticmethod
    def _message(workflow_id: str, run_id: str | None) -> str:
        return (
            f"workflow id {workflow_id} is bound to run {run_id}, started with a different "
            "request (workflow type, version or input); choose another id for this request"
        )


class WorkflowDecisionFailedError(SwfAsyncError):
    """The execution's workflow code failed a decision task (seen by a client).

    Raised by ``handle.result(raise_on_decision_failure=True)`` (the default under
    ``WorkflowEnvironment``) as soon as the history records a failed decision task: a bug,
    a non-determinism, a guarded operation. The execution itself stays open and SWF
    retries the task with backoff; deploying fixed code recovers it.

    Attributes:
        workflow_id, run_id: the execution.
        failure: what failed, where in the workflow's code, and when it is retried.
    """

    def __init__(self, workflow_id: str, run_id: str, failure: DecisionFailure) -> None:
        where = f" at {failure.file}:{failure.line}" if failure.file else ""
        text = (
            f"workflow {workflow_id} (run {run_id}) failed decision task attempt "
            f"{failure.attempt}: {failure.error_type}: {failure.message}{where}"
        )
        if failure.stack:
            text += "\nworkflow stack (most recent call last):\n" + failure.stack.rstrip()
        super().__init__(text)
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.failure = failure


class FailureError(SwfAsyncError):
    """Something a workflow awaited did not succeed; carries SWF's account of why."""

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        details: str | None = None,
        cause: str | None = None,
        event_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details
        self.cause = cause
        self.event_id = event_id


class ActivityError(FailureError):
    """An activity did not complete."""

    def __init__(
        self,
        message: str,
        *,
        activity_id: str,
        activity_type: str,
        attempt: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.activity_id = activity_id
        self.activity_type = activity_type
        self.attempt = attempt


class ActivityFailedError(ActivityError):
    """The activity worker reported a failure (``reason``/``details`` from the worker)."""


class ActivityTimeoutError(ActivityError):
    """The activity timed out; ``timeout_type`` is SWF's (``START_TO_CLOSE`` ...)."""

    def __init__(self, message: str, *, timeout_type: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timeout_type = timeout_type


class ActivityCancelledError(ActivityError):
    """The activity was cancelled at the workflow's request."""


class ScheduleActivityTaskError(ActivityError):
    """SWF refused to schedule the activity; ``cause`` is SWF's reason."""


class TimerError(FailureError):
    """SWF refused to start or cancel a timer; ``cause`` is SWF's reason."""


class ChildWorkflowError(FailureError):
    """A child workflow execution did not complete."""

    def __init__(
        self, message: str, *, workflow_id: str, run_id: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.workflow_id = workflow_id
        self.run_id = run_id


class ChildWorkflowFailedError(ChildWorkflowError):
    """The child workflow failed (``reason``/``details`` from the child)."""


class ChildWorkflowTimeoutError(ChildWorkflowError):
    """The child workflow timed out."""


class ChildWorkflowCancelledError(ChildWorkflowError):
    """The child workflow was cancelled."""


class ChildWorkflowTerminatedError(ChildWorkflowError):
    """The child workflow was terminated."""


class StartChildWorkflowError(ChildWorkflowError):
    """SWF refused to start the child workflow; ``cause`` is SWF's reason."""


class ExternalWorkflowError(FailureError):
    """SWF refused to signal or request cancellation of another execution."""


class LambdaFunctionError(FailureError):
    """A Lambda task failed, timed out, or could not be scheduled or started."""


class DecisionFailedError(FailureError):
    """SWF refused a decision that has no more specific error (``cause`` says why)."""
