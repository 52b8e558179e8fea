"""Every error swfasync raises, under one root.

::

    SwfAsyncError
    ├── SwfValidationError            a value breaks one of SWF's rules, found before sending
    │   │                             (also a ValueError): names field, value, rule, size, limit
    │   ├── ArgumentTypeError         an argument does not match the target's annotation
    │   │                             (also a TypeError): names the parameter, the expected type
    │   └── PayloadTooLargeError      a field exceeds SWF's size limit (also a PayloadError)
    ├── PayloadError                  a value cannot be encoded/decoded
    │   └── PayloadTooLargeError
    ├── SwfServiceError               SWF answered a call with a fault: ``code``, ``operation``
    │   │                             (also botocore's ClientError, kept as ``__cause__`` too)
    │   ├── UnknownResourceError      UnknownResourceFault: SWF does not know the domain, type,
    │   │   │                         execution or task named (also a LookupError)
    │   │   ├── WorkflowNotFoundError       no such execution (open, or closed within retention)
    │   │   └── ActivityTaskNotFoundError   the task token's task is gone (closed or timed out)
    │   ├── AlreadyExistsError        DomainAlreadyExistsFault, TypeAlreadyExistsFault
    │   ├── DeprecatedError           DomainDeprecatedFault, TypeDeprecatedFault
    │   ├── ThrottlingError           LimitExceededFault, ThrottlingException: still refused
    │   │                             when the call's retry deadline passed
    │   ├── AccessDeniedError         OperationNotPermittedFault, AccessDenied, a refused
    │   │                             signature or token (also a PermissionError)
    │   ├── InvalidRequestError       SWF found the request malformed: ValidationException,
    │   │                             DefaultUndefinedFault ... (also a ValueError)
    │   └── ServiceUnavailableError   SWF answered 5xx until the call's retry deadline passed
    ├── SwfConnectionError            the endpoint (named) could not be reached until the call's
    │                                 retry deadline passed (also a ConnectionError)
    ├── ConfigurationError            no credentials, no region, an unusable endpoint URL
    ├── ClientClosedError             a call on a Client that is not open (also a RuntimeError)
    ├── WorkflowAlreadyStartedError   start_workflow found an open execution with that id
    │   └── WorkflowIdConflictError   an idempotent start's id is bound to another request
    ├── WorkflowFailureError          a workflow execution closed other than COMPLETED
    │                                 (client side: raised by ``handle.result()``)
    ├── WorkflowDecisionFailedError   the execution's workflow code failed a decision task
    │                                 (client side: ``handle.result()`` asked to raise on it)
    ├── HistoryError                  a history file or page cannot be read or is inconsistent:
    │                                 names the file, the event id and the field
    ├── NondeterminismError           workflow code diverged from its recorded history
    ├── WorkflowDefinitionError       a workflow/activity definition is unusable
    ├── UnknownTypeError              a task names a workflow or activity type nobody registered
    ├── RestrictedOperationError      workflow code did I/O, threading or read the wall clock
    ├── WorkflowDeadlockError         workflow code blocked its activation past the worker's
    │                                 deadlock_timeout: names the blocking call and the stack
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

Errors of a call to SWF (service, connection, configuration) are raised where the call is
made, by the Client and the worker's transport alike, with botocore's or aiohttp's error as
``__cause__``. A ``SwfServiceError`` is also botocore's ``ClientError`` (same ``response``
and ``operation_name``), so code written against botocore keeps working.

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

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from ._engine.task_failures import DecisionFailure

__all__ = (
    "AccessDeniedError",
    "ActivityCancelledError",
    "ActivityError",
    "ActivityFailedError",
    "ActivityTaskNotFoundError",
    "ActivityTimeoutError",
    "AlreadyExistsError",
    "ApplicationError",
    "ArgumentTypeError",
    "ChildWorkflowCancelledError",
    "ChildWorkflowError",
    "ChildWorkflowFailedError",
    "ChildWorkflowTerminatedError",
    "ChildWorkflowTimeoutError",
    "ClientClosedError",
    "ConfigurationError",
    "DecisionFailedError",
    "DeprecatedError",
    "ExternalWorkflowError",
    "FailureError",
    "HistoryError",
    "InvalidRequestError",
    "LambdaFunctionError",
    "NondeterminismError",
    "PayloadError",
    "PayloadTooLargeError",
    "RestrictedOperationError",
    "ScheduleActivityTaskError",
    "ServiceUnavailableError",
    "StartChildWorkflowError",
    "SwfAsyncError",
    "SwfConnectionError",
    "SwfServiceError",
    "SwfValidationError",
    "ThrottlingError",
    "TimerError",
    "UnknownResourceError",
    "UnknownTypeError",
    "WorkflowAlreadyStartedError",
    "WorkflowDeadlockError",
    "WorkflowDecisionFailedError",
    "WorkflowDefinitionError",
    "WorkflowFailureError",
    "WorkflowIdConflictError",
    "WorkflowNotFoundError",
)


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
        field: the parameter or decision field, e.g. ``"activity_id"``; for a request
            refused as a whole, the member's wire path, e.g.
            ``"decisions[2].scheduleActivityTaskDecisionAttributes.activityId"``.
        value: the offending value (as given).
        rule: which rule: ``"length"``, ``"characters"``, ``"digits"``, ``"range"``,
            ``"negative"``, ``"integer"``; ``"type"`` (a value of the wrong type, or
            None for a required member), ``"enum"`` (not one of SWF's values),
            ``"declared"`` (a signal the workflow does not declare), ``"model"``
            (refused by botocore's model).
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


class ArgumentTypeError(SwfValidationError, TypeError):
    """An argument does not match the annotation of the parameter it is sent to.

    Raised by ``start_workflow`` and ``signal`` before anything is sent, when the workflow
    class is known: the run method's or the signal handler's annotations say what each
    argument must be.

    Attributes:
        parameter: the parameter's name (``field`` is ``"<target>.<parameter>"``).
        expected: the expected type, as written in the annotation.
    """

    def __init__(
        self,
        target: str,
        parameter: str,
        expected: str,
        value: Any,
        why: str,
        *,
        missing: bool = False,
    ) -> None:
        got = "nothing" if missing else f"{type(value).__name__} {_preview(value)}"
        message = f"{target}: argument {parameter!r} must be {expected}, got {got}"
        if why:
            message += f" ({why})"
        SwfValidationError.__init__(self, f"{target}.{parameter}", value, "type", message)
        self.parameter = parameter
        self.expected = expected


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class SwfServiceError(SwfAsyncError, ClientError):
    """SWF (or the dev server) answered a call with a fault.

    Also botocore's ``ClientError``, with its ``response`` and ``operation_name``; the
    botocore error itself is the ``__cause__``.

    Attributes:
        code: SWF's fault name (``UnknownResourceFault`` ...).
        swf_message: SWF's own words.
        operation: the SWF operation (``StartWorkflowExecution`` ...).
        endpoint: the endpoint the call went to, where known.
        request_id: the id SWF gave the request (``x-amzn-RequestId``), what AWS support
            asks for; None where the answer carried none.
    """

    def __init__(
        self,
        error_response: dict[str, Any],
        operation_name: str,
        *,
        endpoint: str | None = None,
        message: str | None = None,
    ) -> None:
        ClientError.__init__(self, error_response, operation_name)  # type: ignore[arg-type]
        error = error_response.get("Error", {})
        self.code: str = str(error.get("Code") or "Unknown")
        self.swf_message: str = str(error.get("Message") or "")
        self.operation: str = operation_name
        self.endpoint = endpoint
        metadata = error_response.get("ResponseMetadata", {})
        self.request_id: str | None = metadata.get("RequestId") or None
        text = message or f"SWF refused {operation_name} with {self.code}"
        if self.swf_message and message is None:
            text += f": {self.swf_message}"
        self.args = (text,)

    def __reduce__(self) -> Any:
        # ClientError's own rebuilds from (response, operation) alone; keep every attribute.
        return _rebuild, (type(self), self.args, dict(self.__dict__))


def _rebuild(
    cls: type[SwfServiceError], args: tuple[Any, ...], state: dict[str, Any]
) -> SwfServiceError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class UnknownResourceError(SwfServiceError, LookupError):
    """UnknownResourceFault: SWF does not know the domain, type, execution or task named."""


class WorkflowNotFoundError(UnknownResourceError):
    """No such execution: never started, or closed longer ago than the domain's retention.

    Attributes:
        workflow_id, run_id: the execution asked for (``run_id`` None for "the latest").
        domain: the domain searched.
    """

    def __init__(
        self,
        error_response: dict[str, Any],
        operation_name: str,
        *,
        workflow_id: str,
        run_id: str | None,
        domain: str,
        endpoint: str | None = None,
    ) -> None:
        run = f" (run {run_id})" if run_id else ""
        said = error_response.get("Error", {}).get("Message")
        super().__init__(
            error_response,
            operation_name,
            endpoint=endpoint,
            message=f"no execution of workflow {workflow_id}{run} in domain {domain}"
            + (f" (SWF: {said})" if said else ""),
        )
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.domain = domain


class ActivityTaskNotFoundError(UnknownResourceError):
    """The task token names a task SWF no longer has: completed, failed, cancelled or timed
    out (an answer for it is too late)."""


class AlreadyExistsError(SwfServiceError):
    """DomainAlreadyExistsFault or TypeAlreadyExistsFault."""


class DeprecatedError(SwfServiceError):
    """DomainDeprecatedFault or TypeDeprecatedFault: the domain or type is deprecated."""


class ThrottlingError(SwfServiceError):
    """SWF kept throttling the call (LimitExceededFault, ThrottlingException) until the
    call's retry deadline passed."""


class AccessDeniedError(SwfServiceError, PermissionError):
    """The caller may not make this call: OperationNotPermittedFault, AccessDenied, or
    credentials SWF refuses (an unknown key, a bad signature, an expired token)."""


class InvalidRequestError(SwfServiceError, ValueError):
    """SWF found the request malformed (ValidationException, DefaultUndefinedFault ...)."""


class ServiceUnavailableError(SwfServiceError):
    """SWF answered with a server error (5xx) until the call's retry deadline passed."""


class SwfConnectionError(SwfAsyncError, ConnectionError):
    """The SWF endpoint could not be reached (refused, reset, timed out) until the call's
    retry deadline passed.

    Attributes:
        endpoint: the endpoint URL.
        operation: the SWF operation.
        attempts: how many times the call was tried.
    """

    def __init__(self, endpoint: str, operation: str, attempts: int, reason: str) -> None:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"cannot reach SWF at {endpoint} for {operation}{tries}: {reason}")
        self.endpoint = endpoint
        self.operation = operation
        self.attempts = attempts


class ConfigurationError(SwfAsyncError):
    """The client cannot be set up or sign a request: no credentials, no region, an
    unusable endpoint URL."""


class ClientClosedError(SwfAsyncError, RuntimeError):
    """A call on a ``Client`` that is not open (use ``async with Client(...)``)."""


class HistoryError(SwfAsyncError):
    """A workflow history could not be decoded or is internally inconsistent.

    Attributes:
        event_id: the event at fault, where one is.
        file: the file the history was read from, where it was.
        field: the member at fault (``"events[3].eventId"``), where one is.
    """

    def __init__(
        self,
        message: str,
        *,
        event_id: int | None = None,
        file: str | None = None,
        field: str | None = None,
    ) -> None:
        where = [f"event {event_id}"] if event_id is not None else []
        if field is not None:
            where.append(f"field {field}")
        text = f"{message} ({', '.join(where)})" if where else message
        super().__init__(f"{file}: {text}" if file is not None else text)
        self.event_id = event_id
        self.file = file
        self.field = field


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


class WorkflowDeadlockError(SwfAsyncError):
    """Workflow code blocked its activation past the worker's ``deadlock_timeout``.

    A blocking call (``time.sleep``, a lock, a socket), or a loop that never awaits: the
    activation's thread is abandoned and the decision task fails like any bug in workflow
    code, recorded where ``WorkflowHandle.describe()`` shows it and retried with backoff.

    Attributes:
        blocked_at: where the workflow's thread was when the deadline passed: its own
            line (file, line and source), then the library line it waited in, if any.
        stack: the workflow's stack at that moment, most recent call last.
    """

    def __init__(self, message: str, *, blocked_at: str = "", stack: str = "") -> None:
        super().__init__(message)
        self.blocked_at = blocked_at
        self.stack = stack


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
