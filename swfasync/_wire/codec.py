"""Decoding history pages and encoding decisions, fast and strict.

A page of history is decoded in one msgspec pass straight into the event Structs. Only if
that fails does the slow path look at events one by one, so that an event type SWF added
after this SDK was built becomes an ``UnknownEvent`` instead of failing the whole history,
while a malformed known event is reported with its id and msgspec's account of the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..exceptions import HistoryError
from .common import WorkflowExecution, WorkflowType
from .decisions import Decision
from .events import HISTORYEVENT_CLASSES, HistoryEvent, HistoryEventBase


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


_DECODED_EVENT_TYPES: frozenset[type] = frozenset((*HISTORYEVENT_CLASSES.values(), UnknownEvent))


def is_decoded_event(value: object) -> bool:
    """True for an event already decoded into a wire Struct (or an ``UnknownEvent``)."""
    return isinstance(value, HistoryEventBase | UnknownEvent)


def decode_events(events: Iterable[Any]) -> list[AnyEvent]:
    """Decode events given as JSON-like builtins (e.g. from ``json.load`` or botocore).

    Events already decoded (the SDK's own client decodes history responses straight into
    the wire Structs) pass through unchanged. botocore's generic parser hands timestamps
    over as ``datetime``; they are turned back into SWF's epoch seconds so both sources give
    identical events.
    """

    def fix(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.timestamp()
        return value

    items: list[Any] = list(events)
    # By exact type first: a worker passes every page of every decision task through here.
    undecoded = [
        index
        for index, item in enumerate(items)
        if type(item) not in _DECODED_EVENT_TYPES and not is_decoded_event(item)
    ]
    if not undecoded:
        return items
    normalized = [
        {k: fix(v) for k, v in item.items()} if isinstance(item, dict) else item
        for item in (items[index] for index in undecoded)
    ]
    decoded = decode_event_page(msgspec.json.encode({"events": normalized}))[0]
    for index, event in zip(undecoded, decoded, strict=True):
        items[index] = event
    return items


def event_to_builtins(event: AnyEvent) -> dict[str, Any]:
    """An event as SWF's JSON shapes it: camelCase keys, epoch-second timestamps."""
    if isinstance(event, UnknownEvent):
        # SWF names every attributes member after its event type, lower camel case.
        key = f"{event.event_type[:1].lower()}{event.event_type[1:]}EventAttributes"
        return {
            "eventId": event.event_id,
            "eventTimestamp": event.event_timestamp,
            "eventType": event.event_type,
            key: event.attributes,
        }
    result: dict[str, Any] = msgspec.to_builtins(event)
    return result


def history_document(
    execution: WorkflowExecution, workflow_type: WorkflowType | None, events: Iterable[AnyEvent]
) -> dict[str, Any]:
    """A whole history as one GetWorkflowExecutionHistory-shaped JSON body, with the
    execution's ``workflowExecution`` and ``workflowType`` beside the events (what
    ``swfasync history --json`` writes and ``Replayer`` reads back under the run's ids)."""
    body: dict[str, Any] = {"workflowExecution": msgspec.to_builtins(execution)}
    if workflow_type is not None:
        body["workflowType"] = msgspec.to_builtins(workflow_type)
    body["events"] = [event_to_builtins(event) for event in events]
    return body


class HistoryBodyDecoder:
    """Decodes a response body that carries a page of ``events`` (PollForDecisionTask,
    GetWorkflowExecutionHistory) in one msgspec pass.

    The events become wire Structs; the body's other ``members`` are returned as plain JSON
    values, for a caller that shapes them further (botocore turns them into what its
    parsers return for every other operation). Members that are absent stay absent,
    ``events`` included (an empty long poll has none).
    """

    def __init__(self, members: Sequence[str]) -> None:
        self.members = tuple(m for m in members if m != "events")
        fields: list[tuple[str, Any, Any]] = [(m, Any, msgspec.UNSET) for m in self.members]
        fields.append(("events", list[HistoryEvent] | msgspec.UnsetType, msgspec.UNSET))
        body = msgspec.defstruct("HistoryBody", fields, kw_only=True)
        self._decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(body)

    def decode(self, data: bytes) -> tuple[list[AnyEvent] | None, dict[str, Any]]:
        """The events (None if the body has no ``events`` member) and the other members.

        Raises:
            HistoryError: the body is not JSON, or an event of a known type is malformed
                (naming the event id and msgspec's account of the field).
        """
        try:
            body = self._decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return self._decode_slowly(data)
        others = {m: v for m in self.members if (v := getattr(body, m)) is not msgspec.UNSET}
        events: list[AnyEvent] | msgspec.UnsetType = body.events
        return (None if events is msgspec.UNSET else events), others

    @staticmethod
    def _decode_slowly(data: bytes) -> tuple[list[AnyEvent] | None, dict[str, Any]]:
        events = _slow_events(data)
        others = _any_decoder.decode(data)
        others.pop("events", None)
        return events, others


_decision_encoder = msgspec.json.Encoder()


def encode_decisions(decisions: Iterable[Decision]) -> bytes:
    """Decisions as the JSON array SWF's RespondDecisionTaskCompleted carries."""
    return _decision_encoder.encode(list(decisions))


def timestamp_to_datetime(seconds: float) -> datetime:
    """SWF's epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)
