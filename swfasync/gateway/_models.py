"""The gateway's JSON bodies as msgspec Structs: decoded strictly, encoded as they stand.

Request bodies forbid unknown fields, so a misspelt member (``"arg"`` for ``"args"``) is a
400 naming it rather than a start that silently ignores it. The OpenAPI document is
generated from these same types.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Raw, Struct

Seconds = Annotated[int, Meta(ge=1, le=99_999_999, description="whole seconds")]
ExecutionStatus = Literal["OPEN", "CLOSED"]
CloseStatus = Literal[
    "COMPLETED", "FAILED", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW", "TIMED_OUT"
]


class StartRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Start an execution of a served workflow."""

    workflow: str
    version: str | None = None
    args: list[Any] = msgspec.field(default_factory=list)
    task_list: str | None = None
    execution_timeout: Seconds | None = None
    tags: list[str] | None = None


class StartResponse(Struct, kw_only=True):
    """The execution a start refers to: new (201) or the one already started (200)."""

    workflow_id: str
    run_id: str
    status: ExecutionStatus


class Failure(Struct, kw_only=True):
    """Why an execution closed without completing, in SWF's words."""

    reason: str | None = None
    details: str | None = None


class RunInfo(Struct, kw_only=True):
    """One run of a workflow id's chain across continue-as-new."""

    run_id: str
    status: ExecutionStatus
    close_status: CloseStatus | None = None
    started_at: float
    closed_at: float | None = None


class WorkflowStatus(Struct, kw_only=True):
    """An execution as the gateway reports it: the chain's latest run and its outcome.

    ``result`` and ``state`` are the workflow's own JSON, passed through unchanged.
    Timestamps are seconds since the epoch. ``cancel_requested`` is true while an open
    run has a cancellation request pending, and for a run closed as CANCELED.
    """

    workflow_id: str
    run_id: str
    workflow: str
    version: str
    status: ExecutionStatus
    close_status: CloseStatus | None = None
    started_at: float
    closed_at: float | None = None
    cancel_requested: bool = False
    state: Raw | None = None
    result: Raw | None = None
    failure: Failure | None = None
    runs: list[RunInfo]


class WorkflowSummary(Struct, kw_only=True):
    """One row of a list of executions."""

    workflow_id: str
    run_id: str
    workflow: str
    version: str
    status: ExecutionStatus
    close_status: CloseStatus | None = None
    started_at: float
    closed_at: float | None = None
    tags: list[str] = msgspec.field(default_factory=list)


class WorkflowList(Struct, kw_only=True):
    """A page of executions; pass ``next_page_token`` as ``page_token`` for the next."""

    workflows: list[WorkflowSummary]
    next_page_token: str | None = None


class History(Struct, kw_only=True):
    """An execution's events as SWF's GetWorkflowExecutionHistory shapes them."""

    workflow_id: str
    run_id: str
    events: list[dict[str, Any]]


class SignalRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Arguments for the signal handler."""

    args: list[Any] = msgspec.field(default_factory=list)


class Accepted(Struct, kw_only=True):
    """A request SWF has accepted; its effect follows when the workflow next decides."""

    workflow_id: str
    run_id: str


class TerminateRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Why the execution is being terminated (kept in its history)."""

    reason: str | None = None
    details: str | None = None


class Terminated(Struct, kw_only=True):
    """The execution is closed as TERMINATED."""

    workflow_id: str
    run_id: str
    close_status: Literal["TERMINATED"] = "TERMINATED"


TaskToken = Annotated[str, Meta(min_length=1, max_length=1024)]


class CompleteTaskRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Complete an activity task left open by ``activity.complete_async()``."""

    task_token: TaskToken
    result: Any = None


class FailTaskRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Fail an activity task; the workflow sees an ActivityFailedError with these."""

    task_token: TaskToken
    reason: str | None = None
    details: Any = None


class HeartbeatTaskRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """Record progress of an activity task (keeps a heartbeat timeout from firing)."""

    task_token: TaskToken
    details: Any = None


class TaskAnswered(Struct, kw_only=True):
    """SWF recorded the answer; the task is closed."""

    status: Literal["completed", "failed"]


class HeartbeatAnswer(Struct, kw_only=True):
    """SWF recorded the heartbeat; ``cancel_requested`` says the workflow wants it to stop."""

    cancel_requested: bool


class CallbackError(Struct, kw_only=True, forbid_unknown_fields=True):
    """What went wrong, as the outside service tells it."""

    reason: str
    details: Any = None


class CallbackRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    """An outside service resuming a waiting activity through its signed URL."""

    status: Literal["succeeded", "failed"]
    result: Any = None
    error: CallbackError | str | None = None


class Health(Struct, kw_only=True):
    """The gateway process is serving (it does not call SWF to say so)."""

    status: Literal["ok"] = "ok"
    domain: str
    workflows: list[str]


class Problem(Struct, kw_only=True, omit_defaults=True):
    """An error as RFC 9457 ``application/problem+json``, with the values to act on."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    parameter: str | None = None
    expected: str | None = None
    size: int | None = None
    limit: int | None = None
    workflow_id: str | None = None
    run_id: str | None = None
    retry_after: int | None = None
