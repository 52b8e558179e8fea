"""The running activity's context, reached by ``swfasync.activity`` functions.

A ``ContextVar`` carries it: anyio copies the context into worker threads, so sync
activities see the same object as async ones.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ActivityInfo:
    """What an activity knows about the task it is running (``activity.info()``).

    Attributes:
        task_token: SWF's token for this task; pass it to ``Client.complete_activity``
            and friends to finish the task from elsewhere (callback-with-token).
        activity_id, activity_type, activity_version: the scheduled activity.
        workflow_id, run_id: the execution that scheduled it.
        domain, task_list: where it was polled from.
        started_event_id: the ActivityTaskStarted event's id.
        heartbeat_timeout: seconds, if the task has one (as registered or scheduled).
        started_at: when this worker received the task (wall clock).
    """

    task_token: str
    activity_id: str
    activity_type: str
    activity_version: str
    workflow_id: str
    run_id: str
    domain: str
    task_list: str
    started_event_id: int
    heartbeat_timeout: float | None = None
    started_at: datetime | None = None


class CompleteAsync(BaseException):
    """Raised by ``activity.complete_async()``: the worker leaves the task unanswered.

    A BaseException so the activity's own ``except Exception`` cannot swallow it.
    """


class ActivityContext(Protocol):
    """What ``swfasync.activity`` functions reach: one per running activity.

    The worker's activity tasks and ``ActivityEnvironment`` each provide one.
    """

    @property
    def cancel_requested(self) -> bool:
        """True once cancellation was requested; read from any thread, so a plain flag."""

    @property
    def info(self) -> ActivityInfo:
        """The task being run."""

    def heartbeat(self, details: tuple[Any, ...]) -> None:
        """Record progress; called from any thread, never blocks."""


current: contextvars.ContextVar[ActivityContext] = contextvars.ContextVar(
    "swfasync_activity_context"
)


def get() -> ActivityContext:
    """The running activity's context, or a clear error outside an activity."""
    try:
        return current.get()
    except LookupError:
        raise RuntimeError("not running inside an activity") from None
