"""The data converter: the payload converter, then codecs, then large-payload offload.

Values become JSON text in the converter (inside workflow code, synchronously, the same on
every replay). Codecs and offload apply where payloads cross to SWF: the client, the
activity worker, and the decision worker around each activation (history events decoded
before the engine sees them, the activation's decisions encoded after). The engine only
ever sees the converter's text, so a codec's output need not be deterministic, and SWF's
limits are checked on what SWF receives.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec

from .._engine.converter import ENCODED_PREFIX, LIMITS, JsonPayloadConverter
from .._engine.task_failures import FAILURE_MARKER
from .._wire import decisions as d
from .._wire import rules
from .._wire.codec import AnyEvent
from ..exceptions import ConfigurationError, PayloadError
from .codecs import PayloadCodec, check_codec_name
from .s3 import S3Offload

# Every payload the codecs or the offload produced starts with one of these.
_HEAD: Final = ENCODED_PREFIX
_CODEC_HEAD: Final = '{"swfasync-codec":'
_S3_HEAD: Final = '{"swfasync-s3":'
_PAYLOAD_FIELDS: Final = ("input", "result", "details")


class _Encoded(msgspec.Struct, frozen=True):
    codecs: list[str] = msgspec.field(name="swfasync-codec")
    data: str


class _Reference(msgspec.Struct, frozen=True):
    url: str = msgspec.field(name="swfasync-s3")
    size: int


def is_encoded(text: str | None) -> bool:
    """Whether ``text`` is a codec's or the offload's output rather than plain JSON."""
    return text is not None and text.startswith(_HEAD)


class DataConverter:
    """How payloads become what SWF stores: a payload converter, codecs, and offload.

    Give the same one to ``Client(...)``, ``Worker(...)`` (through its client) or
    ``WorkflowEnvironment(...)``: every payload of an execution (workflow and activity
    inputs and results, signal inputs, failure details, heartbeat details, markers and
    side effects, published state) goes through it.

    Args:
        payload_converter: values to JSON text (default: msgspec JSON, with pydantic v2
            models when pydantic is installed).
        codecs: applied in order when encoding (e.g. ``[ZlibCodec(), AesGcmCodec(key)]``:
            compress, then encrypt), in reverse when decoding.
        offload: where payloads too large for SWF go (:class:`S3Offload`).

    With codecs or offload, SWF's limits are checked on their output: a payload still too
    large is a ``PayloadTooLargeError`` naming the field, its size and the limit (in
    workflow code, it fails the decision task, recorded where ``describe()`` shows it).
    """

    def __init__(
        self,
        payload_converter: JsonPayloadConverter | None = None,
        *,
        codecs: Sequence[PayloadCodec] = (),
        offload: S3Offload | None = None,
    ) -> None:
        self.payload_converter = payload_converter or JsonPayloadConverter()
        self.codecs = tuple(codecs)
        self.offload = offload
        self._by_name: dict[str, PayloadCodec] = {}
        for codec in self.codecs:
            name = check_codec_name(codec)
            if name in self._by_name:
                raise ConfigurationError(f"two codecs are named {name!r}")
            self._by_name[name] = codec
        self._names = msgspec.json.encode([check_codec_name(c) for c in self.codecs]).decode()
        # True when payloads change between the converter and SWF.
        self.active = bool(self.codecs) or offload is not None
        # What workflow code and activities encode with: limits are checked after the
        # codecs when there are some.
        self.values = (
            self.payload_converter.without_limits() if self.active else self.payload_converter
        )

    # -- text <-> what SWF stores ---------------------------------------------------------------

    async def encode_text(self, text: str, field: str, label: str | None = None) -> str:
        """The converter's ``text`` as SWF will store it in ``field``, within its limit."""
        limit = LIMITS[field]
        if self.codecs:
            data = text.encode()
            for codec in self.codecs:
                data = await codec.encode(data)
            encoded = base64.b64encode(data).decode("ascii")
            text = f'{_CODEC_HEAD}{self._names},"data":"{encoded}"}}'
        offload = self.offload
        if offload is not None:
            threshold = limit if offload.threshold is None else min(limit, offload.threshold)
            size = len(text)
            if size > threshold or (
                size * 2 > threshold and not text.isascii() and rules.utf16_length(text) > threshold
            ):
                data = text.encode()
                url = await offload.put(data)
                text = msgspec.json.encode(_Reference(url=url, size=len(data))).decode()
        return rules.check_length(label or field, text, limit, payload=True)

    async def decode_text(self, text: str | None, field: str = "payload") -> str | None:
        """The converter's text for a payload SWF stored (unchanged if it is plain)."""
        if text is None or not text.startswith(_HEAD):
            return text
        if text.startswith(_S3_HEAD):
            reference = _decode(text, _Reference, field)
            if self.offload is None:
                raise PayloadError(
                    f"{field} is stored at {reference.url}: configure "
                    "DataConverter(offload=S3Offload(...)) to read it"
                )
            text = (await self.offload.get(reference.url)).decode()
        if text.startswith(_CODEC_HEAD):
            encoded = _decode(text, _Encoded, field)
            try:
                data = base64.b64decode(encoded.data, validate=True)
            except binascii.Error as error:
                raise PayloadError(f"{field} is not valid base64: {error}") from error
            for name in reversed(encoded.codecs):
                codec = self._by_name.get(name)
                if codec is None:
                    raise PayloadError(
                        f"{field} was encoded with codec {name!r} ({' then '.join(encoded.codecs)})"
                        f"; this DataConverter has {list(self._by_name) or 'no codecs'}: "
                        "configure the same codecs to read it"
                    )
                data = await codec.decode(data)
            text = data.decode()
        return text

    # -- values <-> what SWF stores -------------------------------------------------------------

    async def encode(self, value: Any, field: str, label: str | None = None) -> str:
        """Encode ``value`` for ``field`` as SWF will store it."""
        text = self.values.encode(value, field, label)
        return await self.encode_text(text, field, label) if self.active else text

    async def encode_args(
        self, args: Sequence[Any], field: str = "input", label: str | None = None
    ) -> str:
        """Encode positional arguments (a JSON array) as SWF will store them."""
        return await self.encode(list(args), field, label)

    async def decode_result(self, text: str | None, target: Any, field: str = "result") -> Any:
        """Decode a payload SWF stored into ``target``."""
        if text is not None and text.startswith(_HEAD):
            text = await self.decode_text(text, field)
        return self.values.decode_result(text, target, field)

    async def decode_args(
        self, text: str | None, types: list[Any], field: str = "input"
    ) -> list[Any]:
        """Decode stored arguments by their parameters' annotations."""
        if text is not None and text.startswith(_HEAD):
            text = await self.decode_text(text, field)
        return self.values.decode_args(text, types, field)

    # -- a decision task's history and answer -----------------------------------------------

    async def decode_events(self, events: Iterable[AnyEvent], after: int = 0) -> list[AnyEvent]:
        """``events`` with every encoded payload decoded (the engine reads plain text);
        those up to event id ``after`` (already applied to a cached run) are kept as is."""
        decoded: list[AnyEvent] = []
        for event in events:
            if event.event_id <= after:
                decoded.append(event)
                continue
            attributes = getattr(event, "attributes", None)
            changes: dict[str, str | None] = {}
            for name in _PAYLOAD_FIELDS:
                value = getattr(attributes, name, None)
                if isinstance(value, str) and value.startswith(_HEAD):
                    changes[name] = await self.decode_text(value, f"event {event.event_id} {name}")
            if changes:
                event = msgspec.structs.replace(
                    event,
                    attributes=msgspec.structs.replace(attributes, **changes),  # type: ignore[type-var]
                )
            decoded.append(event)
        return decoded

    async def encode_decisions(self, decisions: Sequence[d.Decision]) -> list[d.Decision]:
        """``decisions`` with their payloads encoded (the failure marker stays readable:
        it is the worker's diagnosis, read by tools that have no codec)."""
        encoded: list[d.Decision] = []
        for decision in decisions:
            attributes: Any = decision.attributes
            if isinstance(decision, d.RecordMarker) and attributes.marker_name == FAILURE_MARKER:
                encoded.append(decision)
                continue
            changes: dict[str, str] = {}
            for name in _PAYLOAD_FIELDS:
                value = getattr(attributes, name, None)
                if isinstance(value, str):
                    label = f"{type(decision).__name__} {name}"
                    changes[name] = await self.encode_text(value, name, label)
            if changes:
                decision = msgspec.structs.replace(
                    decision, attributes=msgspec.structs.replace(attributes, **changes)
                )
            encoded.append(decision)
        return encoded


def _decode(text: str, kind: type[Any], field: str) -> Any:
    try:
        return msgspec.json.decode(text, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise PayloadError(f"{field} is not a well-formed swfasync payload: {error}") from error


DEFAULT_DATA_CONVERTER: Final = DataConverter()
