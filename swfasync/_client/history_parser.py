"""Decode SWF's history-bearing responses with msgspec, inside aiobotocore.

botocore's generic JSON parser turns a PollForDecisionTask or GetWorkflowExecutionHistory
body into dicts in two walks (``json.loads``, then a shape-directed copy that makes a
``datetime`` of every timestamp), and the SDK then had to decode those dicts again into
the wire Structs: some 25 times what msgspec alone takes for the same bytes. The parser
here decodes those two operations' successful bodies straight from the response bytes, so
``events`` holds the typed events (``swfasync._wire.events``). Every other member of the
response is still shaped by botocore's own code, error responses go through botocore's
error parsing untouched (``ClientError`` codes are unchanged), and every other operation
uses aiobotocore's parser as it is.

It also refuses a successful answer whose body is not JSON (a proxy's login page answered
with 200), as the fast transport does: botocore's parser would make an empty answer of it,
which for a poll is indistinguishable from a poll that found no task, so a worker behind
such a proxy would poll on, seeing nothing, with nothing said.

The hook is the session's ``response_parser_factory`` component, the documented way to
give a botocore session other parsers.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import aiobotocore.session  # type: ignore[import-untyped]
from aiobotocore.parsers import (  # type: ignore[import-untyped]
    AioJSONParser,
    AioResponseParserFactory,
)
from botocore.parsers import ResponseParserError

from .._wire.codec import HistoryBodyDecoder

# The output shapes (unique names in the SWF model) of PollForDecisionTask and
# GetWorkflowExecutionHistory: the responses that carry pages of events.
HISTORY_SHAPES = frozenset({"DecisionTask", "History"})


@functools.cache
def _body_decoder(members: tuple[str, ...]) -> HistoryBodyDecoder:
    return HistoryBodyDecoder(members)


class HistoryResponseParser(AioJSONParser):  # type: ignore[misc]
    """aiobotocore's JSON parser, with msgspec for the bodies that carry events."""

    async def _do_parse(self, response: dict[str, Any], shape: Any) -> dict[str, Any]:
        if shape is None or shape.name not in HISTORY_SHAPES:
            parsed: dict[str, Any] = await super()._do_parse(response, shape)
            return parsed
        members = shape.members
        json_names = tuple(members[name].serialization.get("name", name) for name in members)
        events, others = _body_decoder(json_names).decode(response["body"])
        # Without "events" in ``others`` botocore shapes every other member as it would.
        parsed = self._handle_structure(shape, others)
        if events is not None:
            parsed["events"] = events
        self._inject_response_metadata(parsed, response["headers"])
        return parsed

    def _handle_json_body(self, raw_body: bytes, shape: Any) -> Any:
        # A successful answer's body (errors are parsed elsewhere, where a page that is not
        # JSON rightly becomes its status's fault): botocore would make {"message": ...}
        # of one that is not JSON, and then an empty answer.
        if not raw_body.strip():
            return self._parse_shape(shape, {})  # an operation that answers nothing
        try:
            parsed_json = json.loads(raw_body)
        except ValueError as error:
            raise ResponseParserError(f"the body is not JSON: {raw_body[:120]!r}") from error
        return self._parse_shape(shape, parsed_json)


class HistoryResponseParserFactory(AioResponseParserFactory):  # type: ignore[misc]
    """Gives the JSON protocol (SWF's) the :class:`HistoryResponseParser`."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            return HistoryResponseParser(**self._defaults)
        return super().create_parser(protocol_name)


def install(session: aiobotocore.session.AioSession) -> None:
    """Make clients created from ``session`` decode history responses with msgspec."""
    session.register_component("response_parser_factory", HistoryResponseParserFactory())
