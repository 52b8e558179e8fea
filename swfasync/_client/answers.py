"""SWF's answers as the wire Structs their requests name (``Request.response``).

Both transports answer a :class:`~swfasync._wire.common.Request` with the Struct of its
operation's output shape, so no caller reads a camelCase dict:

- the fast transport decodes the response bytes (:class:`AnswerDecoder`);
- the aiobotocore transport converts what botocore parsed (:func:`from_botocore`), whose
  timestamps are ``datetime`` where SWF's JSON has epoch seconds.

A long poll that ends with no task is answered None, as its request's type says: SWF sends
a body with no ``taskToken`` then, or an empty one, which the output shape's required members cannot
describe. The events of a history page (PollForDecisionTask, GetWorkflowExecutionHistory)
go through the codec, so an event type added to SWF after this SDK was built is kept as an
``UnknownEvent`` instead of failing the page. Any other body that is not SWF's (not JSON,
or JSON that does not fit the output shape: a proxy's page, another service) raises
botocore's ``ResponseParserError``, as botocore's parser does on the aiobotocore path.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Final

import msgspec
from botocore.parsers import ResponseParserError

from .._wire.codec import HistoryBodyDecoder, decode_events
from .._wire.common import Request, WireStruct

# The member a task carries; an empty poll carries none, or an empty one.
TASK_TOKEN: Final = b'"taskToken"'


class _PollProbe(msgspec.Struct):
    """What tells an empty poll's body: a JSON object whose task token is absent or empty."""

    task_token: str = msgspec.field(default="", name="taskToken")


_probe = msgspec.json.Decoder(_PollProbe)


def _event_page(kind: type[WireStruct]) -> bool:
    return "events" in kind.__struct_fields__


class AnswerDecoder:
    """Decodes the response bodies of one request type into its answer."""

    def __init__(self, request_type: type[Request[Any]]) -> None:
        self.response = request_type.response
        self.polls = request_type.polls
        self._history: HistoryBodyDecoder | None = None
        self._decoder: msgspec.json.Decoder[Any] | None = None
        if self.response is not None:
            if _event_page(self.response):
                members = [f.encode_name for f in msgspec.structs.fields(self.response)]
                self._history = HistoryBodyDecoder(members)
            else:
                self._decoder = msgspec.json.Decoder(self.response)

    def decode(self, body: bytes) -> Any:
        """The answer in ``body``.

        Raises:
            ResponseParserError: the body is not JSON, or does not fit the operation's
                output shape.
            HistoryError: a history page whose events cannot be read.
        """
        if self.response is None:
            return None
        try:
            # A task is decoded once; an empty poll (a few bytes) is read again only when
            # it names an empty task token, which the output shape cannot describe.
            if self.polls and TASK_TOKEN not in body:
                # SWF's JSON, not a proxy's page (a history page's: the codec says so).
                if self._history is not None:
                    self._history.decode(body)
                else:
                    _probe.decode(body)
                return None
            try:
                if self._history is not None:
                    events, others = self._history.decode(body)
                    return _with_events(self.response, others, events or [])
                assert self._decoder is not None
                return self._decoder.decode(body)
            except msgspec.ValidationError:
                if self.polls and not _probe.decode(body).task_token:
                    return None
                raise
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            raise ResponseParserError(
                f"{self.response.__name__}: the body is not SWF's answer ({error}): {body[:200]!r}"
            ) from error


def from_botocore(request: Request[Any], answer: dict[str, Any]) -> Any:
    """The answer to ``request`` from what an aiobotocore client returned.

    Raises:
        ResponseParserError: the answer does not fit the operation's output shape.
    """
    kind = type(request).response
    if kind is None:
        return None
    if request.polls and not answer.get("taskToken"):
        return None
    plain = {k: _epoch_seconds(v) for k, v in answer.items() if k != "ResponseMetadata"}
    try:
        if _event_page(kind):
            events = decode_events(plain.pop("events", ()))
            return _with_events(kind, plain, events)
        return msgspec.convert(plain, kind)
    except msgspec.ValidationError as error:
        raise ResponseParserError(
            f"{kind.__name__}: the answer is not SWF's ({error}): {_preview(plain)}"
        ) from error


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _with_events(kind: type[WireStruct], others: dict[str, Any], events: list[Any]) -> Any:
    # The events are decoded already (some maybe UnknownEvent, which no tagged union can
    # name): the other members are converted on their own, then joined with the events.
    rest = msgspec.convert(others, _without_events(kind))
    return kind(**msgspec.structs.asdict(rest), events=events)


@functools.cache
def _without_events(kind: type[WireStruct]) -> type[msgspec.Struct]:
    fields = [
        (f.name, f.type, msgspec.NODEFAULT if f.required else f.default)
        for f in msgspec.structs.fields(kind)
        if f.name != "events"
    ]
    return msgspec.defstruct(
        f"{kind.__name__}WithoutEvents", fields, kw_only=True, rename="camel", frozen=True
    )


def _epoch_seconds(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _epoch_seconds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_epoch_seconds(v) for v in value]
    return value
