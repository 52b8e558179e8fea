"""Decoding history pages and encoding decisions, fast and strict.

A page of history is decoded in one msgspec pass straight into the event Structs. Only if
that fails does the slow path look at events one by one, so that an event type SWF added
after this SDK was built becomes an ``UnknownEvent`` instead of failing the whole history,
while a malformed known event is reported with its id and msgspec's account of the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..exceptions import HistoryError
from .decisions import Decision
from .events import HISTORYEVENT_CLASSES, HistoryEvent


class UnknownEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event whose type this SDK does not know; its attributes are kept as decoded JSON."""

    event_id: int
    event_timestamp: float
    event_type: str
    attributes: dict[str, Any]


AnyEvent = HistoryEvent | UnknownEvent


class EventPage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One page of events: a GetWorkflowExecutionHistory response or a recorded history."""

    events: list[HistoryEvent]
    next_page_token: str | None = None


class DecisionTaskPage(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A PollForDecisionTask response page; ``task_token`` is empty when the poll timed out."""

    task_token: str = ""
    started_event_id: int = 0
    previous_started_event_id: int = 0
    workflow_execution: dict[str, str] | None = None
    workflow_type: dict[str, str] | None = None
    events: list[HistoryEvent] = msgspec.field(default_factory=list)
    next_page_token: str | None = None


class _RawEventPage(msgspec.Struct, kw_only=True, rename="camel"):
    events: list[msgspec.Raw]


class _EventHeader(msgspec.Struct, kw_only=True, rename="camel"):
    event_id: int
    event_timestamp: float
    event_type: str


_page_decoder = msgspec.json.Decoder(EventPage)
_task_decoder = msgspec.json.Decoder(DecisionTaskPage)
_raw_page_decoder = msgspec.json.Decoder(_RawEventPage)
_event_decoder: msgspec.json.Decoder[HistoryEvent] = msgspec.json.Decoder(HistoryEvent)
_header_decoder = msgspec.json.Decoder(_EventHeader)
_any_decoder = msgspec.json.Decoder(dict[str, Any])


def _tolerated_variant(raw: msgspec.Raw) -> msgspec.Raw | None:
    """Repair the harmless deviations real recordings contain, or None if there are none.

    AWS CLI v2 prints ``eventTimestamp`` as ISO-8601 where SWF's wire has epoch seconds, and
    SWF has been seen to record ``"tagList": [null]``; a null carries no data, so nulls are
    dropped from lists and objects.
    """

    def strip_nulls(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip_nulls(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [strip_nulls(v) for v in value if v is not None]
        return value

    body = _any_decoder.decode(raw)
    repaired = strip_nulls(body)
    stamp = repaired.get("eventTimestamp")
    if isinstance(stamp, str):
        try:
            repaired["eventTimestamp"] = datetime.fromisoformat(stamp).timestamp()
        except ValueError:
            return None
    if repaired == body:
        return None
    return msgspec.Raw(msgspec.json.encode(repaired))


def _decode_one(raw: msgspec.Raw) -> AnyEvent:
    try:
        return _event_decoder.decode(raw)
    except msgspec.ValidationError as error:
        repaired = _tolerated_variant(raw)
        if repaired is not None:
            return _decode_one(repaired)
        try:
            header = _header_decoder.decode(raw)
        except msgspec.ValidationError as header_error:
            raise HistoryError(f"malformed history event: {header_error}") from header_error
        if header.event_type in HISTORYEVENT_CLASSES:
            raise HistoryError(
                f"malformed {header.event_type} event: {error}", event_id=header.event_id
            ) from error
        body = _any_decoder.decode(raw)
        attributes: Any = next((v for k, v in body.items() if k.endswith("EventAttributes")), {})
        return UnknownEvent(
            event_id=header.event_id,
            event_timestamp=header.event_timestamp,
            event_type=header.event_type,
            attributes=attributes if isinstance(attributes, dict) else {},
        )


def _slow_events(data: bytes) -> list[AnyEvent]:
    try:
        raw_page = _raw_page_decoder.decode(data)
    except msgspec.DecodeError as error:
        raise HistoryError(f"history is not valid JSON: {error}") from error
    except msgspec.ValidationError as error:
        raise HistoryError(f"history page has no event list: {error}") from error
    return [_decode_one(raw) for raw in raw_page.events]


def decode_event_page(data: bytes) -> tuple[list[AnyEvent], str | None]:
    """Decode a page of history (JSON bytes) into events and the next page token."""
    try:
        page = _page_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        events = _slow_events(data)
        token = _any_decoder.decode(data).get("nextPageToken")
        return events, token if isinstance(token, str) else None
    return list(page.events), page.next_page_token


def decode_decision_task(data: bytes) -> tuple[DecisionTaskPage, list[AnyEvent]]:
    """Decode a PollForDecisionTask response page (JSON bytes)."""
    try:
        page = _task_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError):
        events = _slow_events(data)
        stripped = _any_decoder.decode(data)
        stripped["events"] = []
        page = _task_decoder.decode(msgspec.json.encode(stripped))
        return page, events
    return page, list(page.events)


def decode_events(events: Iterable[Any]) -> list[AnyEvent]:
    """Decode events given as JSON-like builtins (e.g. from ``json.load`` or botocore).

    botocore hands timestamps over as ``datetime``; they are turned back into SWF's epoch
    seconds so both sources give identical events.
    """

    def fix(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.timestamp()
        return value

    normalized = [{k: fix(v) for k, v in e.items()} if isinstance(e, dict) else e for e in events]
    return decode_event_page(msgspec.json.encode({"events": normalized}))[0]


_decision_encoder = msgspec.json.Encoder()


def decisions_to_builtins(decisions: Iterable[Decision]) -> list[dict[str, Any]]:
    """Decisions as the plain dicts botocore expects for RespondDecisionTaskCompleted."""
    result: list[dict[str, Any]] = msgspec.to_builtins(list(decisions))
    return result


def encode_decisions(decisions: Iterable[Decision]) -> bytes:
    """Decisions as the JSON array SWF's RespondDecisionTaskCompleted carries."""
    return _decision_encoder.encode(list(decisions))


def timestamp_to_datetime(seconds: float) -> datetime:
    """SWF's epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)
