"""Decision tasks that failed, recorded in the execution's own history.

SWF has no RespondDecisionTaskFailed: a decision task that is not answered times out and is
scheduled again, every ``taskStartToCloseTimeout``, forever, with the reason only in one
worker's log. Instead, the worker answers a failed activation with two decisions of its
own:

- ``RecordMarker`` named :data:`FAILURE_MARKER`, whose details are a :class:`DecisionFailure`
  (the exception, the workflow's file, line and stack, the attempt, when it is retried):
  the failure outlives the worker's logs and reaches ``WorkflowHandle.describe()``, the CLI
  and ``handle.result(raise_on_decision_failure=True)``;
- ``StartTimer`` with an id starting with :data:`RETRY_TIMER_PREFIX`, firing after a backoff
  that doubles with every consecutive failure: its ``TimerFired`` schedules the next
  decision task, which any worker (fixed code included) decides from the full history.

The engine treats a decision task answered this way as never completed: its activation is
not replayed, the marker and the timer are never matched against workflow commands, and
the events the failed task saw are delivered with the next activation. So a history with
failures replays exactly as if the failed attempts had timed out, and they never count as
a non-determinism.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from .._wire import events as e

FAILURE_MARKER: Final = "swfasync.decision_failure"
RETRY_TIMER_PREFIX: Final = "swfasync.retry."


class DecisionFailure(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A decision task whose workflow code failed, as recorded in the history.

    Attributes:
        error_type: the exception's class name (``NondeterminismError``,
            ``RestrictedOperationError``, ``KeyError`` ...).
        message: its message.
        file, line: where in the workflow's own code it happened (the innermost frame
            outside swfasync and the standard library), when known.
        stack: the workflow's stack, most recent call last: the traceback's frames in the
            workflow's code, or, for a non-determinism, where each workflow task waits.
        attempt: consecutive failed decision tasks, this one included.
        started_event_id: the ``DecisionTaskStarted`` event of the failed task.
        retry_after: seconds until the retry timer schedules the next decision task.
        identity: the worker that recorded it.
        event_id: the marker's event id (set when read back from a history).
        timestamp: when the marker was recorded, epoch seconds (likewise).
    """

    error_type: str
    message: str
    file: str | None = None
    line: int | None = None
    stack: str = ""
    attempt: int = 1
    started_event_id: int = 0
    retry_after: float | None = None
    identity: str | None = None
    event_id: int | None = None
    timestamp: float | None = None


_decoder = msgspec.json.Decoder(DecisionFailure)


def decode_failure_marker(event: e.MarkerRecorded) -> DecisionFailure | None:
    """The failure a marker records, or None if it is not one (or is unreadable)."""
    attributes = event.attributes
    if attributes.marker_name != FAILURE_MARKER or not attributes.details:
        return None
    try:
        failure = _decoder.decode(attributes.details)
    except (msgspec.DecodeError, msgspec.ValidationError):
        failure = DecisionFailure(error_type="Unknown", message=attributes.details[:256])
    return msgspec.structs.replace(
        failure, event_id=event.event_id, timestamp=event.event_timestamp
    )


def is_retry_timer(timer_id: str) -> bool:
    return timer_id.startswith(RETRY_TIMER_PREFIX)


def retry_timer_id(started_event_id: int) -> str:
    """The retry timer of the decision task started at ``started_event_id`` (unique)."""
    return f"{RETRY_TIMER_PREFIX}{started_event_id}"


def current_failure(events_newest_first: Sequence[Any]) -> DecisionFailure | None:
    """The failure of the execution's latest decision task, if that task failed.

    ``events_newest_first`` is the tail of a history in reverse order. The latest
    ``DecisionTaskCompleted`` decides: if it recorded a failure marker, that failure is
    current; if it completed normally, the execution has recovered (or never failed).
    None also when the tail holds no ``DecisionTaskCompleted`` at all.
    """
    markers: list[e.MarkerRecorded] = []
    for event in events_newest_first:
        if isinstance(event, e.MarkerRecorded):
            markers.append(event)
        elif isinstance(event, e.DecisionTaskCompleted):
            for marker in markers:
                if marker.attributes.decision_task_completed_event_id == event.event_id:
                    found = decode_failure_marker(marker)
                    if found is not None:
                        return found
            return None
    return None


def consecutive_failures(events: Sequence[Any]) -> int:
    """How many decision tasks failed in a row at the end of ``events`` (oldest first)."""
    failed_completions: set[int] = set()
    count = 0
    for event in reversed(events):
        if isinstance(event, e.MarkerRecorded):
            if event.attributes.marker_name == FAILURE_MARKER:
                failed_completions.add(event.attributes.decision_task_completed_event_id)
        elif isinstance(event, e.DecisionTaskCompleted):
            if event.event_id not in failed_completions:
                break
            count += 1
    return count


def retry_delay(attempt: int, initial: float, maximum: float) -> int:
    """Whole seconds before retrying after failed attempt ``attempt`` (1-based): doubling
    from ``initial``, capped at ``maximum``, at least 1 (SWF's smallest timer)."""
    delay = initial * 2.0 ** min(attempt - 1, 60)
    return max(1, math.ceil(min(delay, maximum)))
