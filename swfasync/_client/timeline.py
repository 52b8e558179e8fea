"""A workflow history as a readable timeline (for the CLI and the demo)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from .._engine import task_failures
from .._wire import events as e
from .._wire.codec import AnyEvent, UnknownEvent

# The attributes worth a glance, in the order they read best.
_KEYS = (
    "activityId",
    "activityType",
    "timerId",
    "startToFireTimeout",
    "signalName",
    "workflowId",
    "workflowType",
    "markerName",
    "input",
    "result",
    "details",
    "reason",
    "cause",
    "timeoutType",
    "newExecutionRunId",
    "executionContext",
)
_QUIET = {"DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted"}


def _short(value: Any, width: int = 60) -> str:
    if isinstance(value, dict) and "name" in value:
        text = f"{value['name']}/{value.get('version', '')}".rstrip("/")
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _offset(seconds: float) -> str:
    if seconds < 60:
        return f"+{seconds:7.3f}s"
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"+{days}d{hours:02d}h{minutes:02d}m"
    return f"+{hours:02d}h{minutes:02d}m{sec:02d}s"


def event_type(event: AnyEvent) -> str:
    """SWF's ``eventType`` of a decoded event."""
    return event.event_type if isinstance(event, UnknownEvent) else type(event).__name__


def describe_failure(failure: task_failures.DecisionFailure) -> str:
    """A failed decision task in one line: what, where, attempt, next retry."""
    where = f" at {failure.file}:{failure.line}" if failure.file else ""
    retry = f"; retried in {failure.retry_after:g}s" if failure.retry_after is not None else ""
    return (
        f"decision task failed (attempt {failure.attempt}): "
        f"{failure.error_type}: {_short(failure.message, 200)}{where}{retry}"
    )


def format_event(event: AnyEvent, start: float) -> str:
    """One line: id, time since the first event, type, the telling attributes.

    A failed decision task's record (a ``swfasync.decision_failure`` marker) reads as
    what failed and where, not as its JSON.
    """
    if isinstance(event, e.MarkerRecorded):
        failure = task_failures.decode_failure_marker(event)
        if failure is not None:
            line = f"{event.event_id:5d}  {_offset(event.event_timestamp - start)}  "
            return line + f"{'DecisionTaskFailed':<40}  " + describe_failure(failure)
    attrs = event.attributes
    raw: Any = attrs if isinstance(attrs, dict) else msgspec.to_builtins(attrs)
    fields = [f"{key}={_short(raw[key])}" for key in _KEYS if raw.get(key) not in (None, "")]
    line = f"{event.event_id:5d}  {_offset(event.event_timestamp - start)}  {event_type(event):<40}"
    return (line + "  " + " ".join(fields)).rstrip()


def format_timeline(events: Iterable[AnyEvent], *, verbose: bool = False) -> list[str]:
    """Lines for every event (decision-task bookkeeping only when ``verbose``)."""
    listed = list(events)
    if not listed:
        return []
    start = listed[0].event_timestamp
    return [format_event(ev, start) for ev in listed if verbose or event_type(ev) not in _QUIET]
