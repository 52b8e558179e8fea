"""Recorded histories as files and bodies: read strictly, checked before they are replayed.

A history to replay comes from ``swfasync history ID --json`` (the events with the
execution's ``workflowExecution`` and ``workflowType``), from a GetWorkflowExecutionHistory
response (one page, or a list of pages), from a bare list of events, or from events
already decoded. Whatever is wrong with it is a :class:`~swfasync.exceptions.HistoryError`
naming the file, the event id and the field, before any workflow code runs:

- a file that cannot be read, is not JSON (truncated, malformed, nested too deeply) or is
  not shaped like a history;
- an event that is not an object or lacks its ``eventId``, ``eventType`` or
  ``eventTimestamp``, or whose attributes do not fit its type;
- event ids out of order, duplicated or missing (a page left out), and references to
  events that are not in the history (a ``scheduledEventId`` naming no earlier event):
  reported as such, never as a non-determinism of the workflow's code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec

from .._wire import events as e
from .._wire.codec import AnyEvent, decode_events, is_decoded_event
from ..exceptions import HistoryError

HistorySource = bytes | str | Path | Sequence[AnyEvent] | dict[str, Any] | list[dict[str, Any]]

# Attributes naming an event of another execution's history, not of this one.
_FOREIGN_REFERENCES: Final = ("external", "parent")
# msgspec's account of where a value did not fit: "... - at `$.key[0].other`".
_AT: Final = re.compile(r"at `\$\.?([^`]*)`")

_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


@dataclass(frozen=True)
class RecordedHistory:
    """A history ready to replay.

    Attributes:
        events: every event, decoded, ids 1..n in order.
        workflow_id, run_id: the execution's ids, where the source names them.
        workflow_type: ``(name, version)`` from the WorkflowExecutionStarted event.
        file: the file it was read from, where it was.
    """

    events: list[AnyEvent]
    workflow_id: str | None
    run_id: str | None
    workflow_type: tuple[str, str]
    file: str | None


def read_history(source: HistorySource) -> RecordedHistory:
    """Read and check a history from any of the sources ``Replayer.replay`` takes.

    Raises:
        HistoryError: the source cannot be read, is not a history, or is inconsistent;
            it names the file, the event id and the field where it can.
    """
    file: str | None = None
    body: Any = source
    if isinstance(source, Path):
        file = str(source)
        try:
            body = source.read_bytes()
        except OSError as error:
            raise HistoryError(
                f"cannot read the history file: {error.strerror or error}", file=file
            ) from error
    if isinstance(body, str):
        if not body.lstrip().startswith(("{", "[")):
            raise HistoryError(
                f"a str is read as the history's JSON text, and {body[:60]!r} is not JSON: "
                "to read a file, pass a pathlib.Path"
            )
        body = body.encode()
    if isinstance(body, bytes):
        body = _parse(body, file)
    return _History(file).read(body)


def _parse(data: bytes, file: str | None) -> Any:
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError as error:
        raise HistoryError(f"the history is not JSON: {error}", file=file) from error
    except RecursionError as error:
        raise HistoryError(
            "the history is not JSON a history can be: it is nested too deeply", file=file
        ) from error


class _History:
    """The checks, for one source (``file`` names it in every error)."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    def error(
        self, message: str, *, event_id: int | None = None, field: str | None = None
    ) -> HistoryError:
        return HistoryError(message, event_id=event_id, file=self.file, field=field)

    def read(self, body: Any) -> RecordedHistory:
        meta, items, where = self._shape(body)
        workflow_id, run_id = self._execution(meta)
        if not items:
            raise self.error("the history has no events", field=where)
        if all(is_decoded_event(item) for item in items):
            events: list[AnyEvent] = list(items)
            self._check_ids([event.event_id for event in events], where)
        else:
            ids = [self._header(item, index, where) for index, item in enumerate(items)]
            self._check_ids(ids, where)
            self._check_references(items, where)
            events = self._decode(items, where)
        first = events[0]
        if not isinstance(first, e.WorkflowExecutionStarted):
            raise self.error(
                "a history begins with WorkflowExecutionStarted, this one with "
                f"{type(first).__name__}",
                event_id=first.event_id,
                field=f"{where}[0].eventType",
            )
        kind = first.attributes.workflow_type
        self._check_type(meta, kind.name, kind.version)
        return RecordedHistory(events, workflow_id, run_id, (kind.name, kind.version), self.file)

    def _shape(self, body: Any) -> tuple[dict[str, Any], list[Any], str]:
        """(the execution's metadata, the events, the events' path in the source)."""
        if isinstance(body, dict):
            events = body.get("events")
            if not isinstance(events, list):
                raise self.error(
                    'a history is an object with an "events" list (as `swfasync history '
                    "--json` writes it), a list of such pages, or a list of events",
                    field="events",
                )
            if body.get("nextPageToken"):
                raise self.error(
                    "the history is one page of a longer one (nextPageToken is set): save "
                    "every page (`swfasync history ID --json` does)",
                    field="nextPageToken",
                )
            return body, events, "events"
        if isinstance(body, list | tuple):
            items = list(body)
            if items and all(isinstance(page, dict) and "events" in page for page in items):
                merged: list[Any] = []
                for index, page in enumerate(items):
                    events = page["events"]
                    if not isinstance(events, list):
                        raise self.error("a page's events are not a list", field=f"[{index}]")
                    merged.extend(events)
                return items[0], merged, "events"
            return {}, items, ""
        raise self.error(
            f"a history is an object or a list, not {type(body).__name__}", field="(top level)"
        )

    def _execution(self, meta: dict[str, Any]) -> tuple[str | None, str | None]:
        execution = meta.get("workflowExecution")
        if execution is None:
            return None, None
        if not isinstance(execution, dict):
            raise self.error("workflowExecution is not an object", field="workflowExecution")
        ids: list[str | None] = []
        for key in ("workflowId", "runId"):
            value = execution.get(key)
            if value is not None and not isinstance(value, str):
                raise self.error(f"{key} is not a string", field=f"workflowExecution.{key}")
            ids.append(value)
        return ids[0], ids[1]

    def _check_type(self, meta: dict[str, Any], name: str, version: str) -> None:
        recorded = meta.get("workflowType")
        if recorded is None:
            return
        if not isinstance(recorded, dict) or (recorded.get("name"), recorded.get("version")) != (
            name,
            version,
        ):
            raise self.error(
                f"workflowType {recorded!r} is not the started event's {name}/{version}",
                field="workflowType",
            )

    def _header(self, item: Any, index: int, where: str) -> int:
        path = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise self.error(f"an event is an object, not {type(item).__name__}", field=path)
        event_id = item.get("eventId")
        if type(event_id) is not int or event_id < 1:
            raise self.error(
                f"eventId is {event_id!r}; an event id is a positive integer",
                field=f"{path}.eventId",
            )
        if not isinstance(item.get("eventType"), str):
            raise self.error(
                "the event has no eventType", event_id=event_id, field=f"{path}.eventType"
            )
        stamp = item.get("eventTimestamp")
        if not isinstance(stamp, int | float | str) or isinstance(stamp, bool):
            raise self.error(
                "the event has no eventTimestamp",
                event_id=event_id,
                field=f"{path}.eventTimestamp",
            )
        return event_id

    def _check_ids(self, ids: list[int], where: str) -> None:
        seen: set[int] = set()
        every = set(ids)
        for index, event_id in enumerate(ids):
            field = f"{where}[{index}].eventId"
            if event_id in seen:
                raise self.error(
                    f"event id {event_id} appears twice", event_id=event_id, field=field
                )
            previous = ids[index - 1] if index else 0
            if event_id < previous:
                raise self.error(
                    f"event ids are out of order: {event_id} follows {previous}",
                    event_id=event_id,
                    field=field,
                )
            if event_id != previous + 1 and previous + 1 in every:
                raise self.error(
                    f"event ids are out of order: {event_id} comes before {previous + 1}",
                    event_id=event_id,
                    field=field,
                )
            if event_id != previous + 1:
                missing = (
                    f"event {previous + 1} is"
                    if event_id == previous + 2
                    else f"events {previous + 1} to {event_id - 1} are"
                )
                raise self.error(
                    f"{missing} missing: event ids run 1, 2, 3 ... without a gap (a page "
                    "left out?)",
                    event_id=event_id,
                    field=field,
                )
            seen.add(event_id)

    def _check_references(self, items: list[dict[str, Any]], where: str) -> None:
        for index, item in enumerate(items):
            event_id: int = item["eventId"]
            for key, attributes in item.items():
                if not key.endswith("EventAttributes") or not isinstance(attributes, dict):
                    continue
                for name, value in attributes.items():
                    if not name.endswith("EventId") or name.startswith(_FOREIGN_REFERENCES):
                        continue
                    if type(value) is int and value != 0 and not 0 < value < event_id:
                        raise self.error(
                            f"{name} {value} names no earlier event of this history: a "
                            "dangling reference",
                            event_id=event_id,
                            field=f"{where}[{index}].{key}.{name}",
                        )

    def _decode(self, items: list[Any], where: str) -> list[AnyEvent]:
        try:
            return decode_events(items)
        except HistoryError:
            pass
        # Find the event at fault, and where in it.
        events: list[AnyEvent] = []
        for index, item in enumerate(items):
            try:
                events.extend(decode_events([item]))
            except HistoryError as error:
                cause = str(error.__cause__ or "")
                found = _AT.search(cause)
                inner = f".{found.group(1)}" if found and found.group(1) else ""
                raise self.error(
                    f"a malformed {item.get('eventType')} event: {cause or error}",
                    event_id=item.get("eventId"),
                    field=f"{where}[{index}]{inner}",
                ) from error
        return events
