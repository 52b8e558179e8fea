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

import linecache
import math
import os
import sysconfig
import traceback
from collections.abc import Iterable, Sequence
from types import FrameType
from typing import Any, Final

import msgspec

from .._wire import decisions as d
from .._wire import events as e

FAILURE_MARKER: Final = "swfasync.decision_failure"
RETRY_TIMER_PREFIX: Final = "swfasync.retry."
# Begins each note the engine adds to an error that escapes an activation (task stacks).
STACK_NOTE: Final = "workflow task"
# Room kept for the failure's other fields when its stack is cut to fit SWF's 32,768.
_MAX_STACK: Final = 24_000

_PACKAGE_DIR: Final = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_STDLIB_DIRS: Final = tuple(
    {
        os.path.abspath(path) + os.sep
        for key in ("stdlib", "platstdlib")
        if (path := sysconfig.get_paths().get(key))
    }
)


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


def _is_workflow_code(filename: str) -> bool:
    """Frames of the workflow's own code: neither swfasync's nor the standard library's."""
    path = os.path.abspath(filename)
    return not path.startswith(_PACKAGE_DIR) and not path.startswith(_STDLIB_DIRS)


def workflow_frames(frames: Iterable[tuple[FrameType, int]]) -> traceback.StackSummary:
    """The frames of the workflow's own code among ``frames`` (outermost first).

    Made without column positions: formatting them then needs no ``ast.parse`` for the
    ``^^^`` markers, which CPython 3.11 cannot run safely while another thread compiles.
    """
    found: list[tuple[str, int, str, str]] = []
    for frame, line in frames:
        code = frame.f_code
        if _is_workflow_code(code.co_filename):
            source = linecache.getline(code.co_filename, line).strip()
            found.append((code.co_filename, line, code.co_name, source))
    return traceback.StackSummary.from_list(found)


def describe_error(
    error: BaseException,
    *,
    attempt: int,
    started_event_id: int,
    retry_after: float | None,
    identity: str | None,
) -> DecisionFailure:
    """The record of a failed activation: what was raised, and where in the workflow.

    The place is the innermost frame of the workflow's own code in the traceback (a guard
    refusing ``random.random()`` points at the line that called it); an error raised by the
    engine itself (a non-determinism) has none there, and the stacks the engine noted on
    it (where each workflow task waits) stand in.
    """
    frames = workflow_frames(traceback.walk_tb(error.__traceback__))
    notes = [note for note in getattr(error, "__notes__", ()) if note.startswith(STACK_NOTE)]
    file: str | None
    line: int | None
    if frames:
        stack = "".join(frames.format())
        file, line = frames[-1].filename, frames[-1].lineno
    else:
        stack = "\n".join(notes)
        file, line = _innermost_noted(notes)
    if len(stack) > _MAX_STACK:
        stack = "...\n" + stack[-_MAX_STACK:]
    message = str(error)
    return DecisionFailure(
        error_type=type(error).__name__,
        message=message if len(message) <= 4_000 else message[:3_985] + "...[truncated]",
        file=file,
        line=line,
        stack=stack,
        attempt=attempt,
        started_event_id=started_event_id,
        retry_after=retry_after,
        identity=identity,
    )


def _innermost_noted(notes: list[str]) -> tuple[str | None, int | None]:
    """The place of the first noted task's innermost frame (``File "x", line n, in f``)."""
    for note in notes:
        places = [ln.strip() for ln in note.splitlines() if ln.strip().startswith('File "')]
        if places:
            filename, _, rest = places[-1][len('File "') :].partition('", line ')
            number = rest.partition(",")[0]
            return filename, int(number) if number.isdigit() else None
    return None, None


def failure_decisions(failure: DecisionFailure, retry_seconds: int) -> list[d.Decision]:
    """The answer that records ``failure`` and schedules the retry (see the module doc)."""
    details = msgspec.json.encode(failure).decode()
    if len(details) > 32_768:  # only a pathological message gets here after the cuts above
        details = msgspec.json.encode(msgspec.structs.replace(failure, stack="")).decode()
    return [
        d.RecordMarker(
            attributes=d.RecordMarkerDecisionAttributes(
                marker_name=FAILURE_MARKER, details=details[:32_768]
            )
        ),
        d.StartTimer(
            attributes=d.StartTimerDecisionAttributes(
                timer_id=retry_timer_id(failure.started_event_id),
                start_to_fire_timeout=str(retry_seconds),
            )
        ),
    ]
