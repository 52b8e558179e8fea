"""Payloads: values as JSON text, decoded by the annotations they target.

SWF carries every payload as a string with a size limit. :class:`JsonPayloadConverter`
turns values into JSON text and back (msgspec, type-directed: dataclasses, Structs,
datetimes, pydantic v2 models when pydantic is installed, and types registered by the
user). The encoders check the limit before anything is sent, so an oversized value is a
``PayloadTooLargeError`` naming the field rather than a rejected request half-way through a
decision batch; when payload codecs sit on top (``swfasync.converter.DataConverter``) the
limit is checked on their output instead, and the converter the engine gets skips it.

The module-level functions are the default converter's, for code that has no other.
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, get_type_hints

import msgspec

from .._wire import rules
from ..exceptions import PayloadError

# SWF's field limits, in characters as SWF counts them (UTF-16 code units).
LIMITS: Final[dict[str, int]] = rules.LIMITS

_json_decoder = msgspec.json.Decoder()

_HINT = (
    "make it a dataclass, a msgspec.Struct or a pydantic model, or register an encoder and "
    "a decoder for it: JsonPayloadConverter(encoders={{{name}: ...}}, "
    "decoders={{{name}: ...}}) in DataConverter(payload_converter=...)"
)


class _Unsupported(Exception):
    """Raised by the hooks for a type nothing knows; turned into a ``PayloadError`` that
    names the payload and says what to do."""

    def __init__(self, kind: type, direction: str) -> None:
        super().__init__(kind.__qualname__)
        self.kind = kind
        self.direction = direction


def _pydantic_base() -> type | None:
    # Only if the application imported pydantic: swfasync never imports it itself.
    module = sys.modules.get("pydantic")
    return getattr(module, "BaseModel", None) if module is not None else None


class JsonPayloadConverter:
    """Values to JSON text and back, by the annotations they are decoded into.

    msgspec encodes and decodes everything it supports (builtins, dataclasses,
    ``msgspec.Struct``, ``datetime``, ``UUID``, enums, ``Decimal`` ...). Pydantic v2 models
    (``pip install 'swfasync[pydantic]'``) are encoded with ``model_dump(mode="json")`` and
    decoded with ``model_validate``. Other types need an encoder (value to JSON-able
    builtins) and a decoder (builtins to value)::

        converter = JsonPayloadConverter(
            encoders={Money: lambda m: f"{m.amount} {m.currency}"},
            decoders={Money: Money.parse},
        )

    Encoders apply to subclasses too; decoders to the exact type they were registered for.

    Args:
        encoders: type -> function returning JSON-able builtins.
        decoders: type -> function taking what the encoder returned.
    """

    def __init__(
        self,
        *,
        encoders: Mapping[type, Callable[[Any], Any]] | None = None,
        decoders: Mapping[type, Callable[[Any], Any]] | None = None,
    ) -> None:
        self._encoders: dict[type, Callable[[Any], Any]] = dict(encoders or {})
        self._decoders: dict[type, Callable[[Any], Any]] = dict(decoders or {})
        self.check_limits = True
        self._reset()

    def _reset(self) -> None:
        self._encoder = msgspec.json.Encoder(enc_hook=self._enc_hook)
        self._typed_decoders: dict[Any, msgspec.json.Decoder[Any] | None] = {}

    def register(
        self, kind: type, *, encode: Callable[[Any], Any], decode: Callable[[Any], Any]
    ) -> None:
        """Teach the converter a type: ``encode`` to JSON-able builtins, ``decode`` back."""
        self._encoders[kind] = encode
        self._decoders[kind] = decode
        self._reset()

    def without_limits(self) -> JsonPayloadConverter:
        """This converter, not checking SWF's limits (codecs on top check their output)."""
        other = copy.copy(self)
        other.check_limits = False
        return other

    # -- hooks ----------------------------------------------------------------------------

    def enc_hook(self, value: Any) -> Any:
        """JSON-able builtins for a value msgspec does not encode itself (registered types,
        pydantic models); ``TypeError`` for any other."""
        try:
            return self._enc_hook(value)
        except _Unsupported as error:
            raise TypeError(f"values of type {error.kind.__qualname__} cannot be encoded") from None

    def _enc_hook(self, value: Any) -> Any:
        kind = type(value)
        for base in kind.__mro__:
            encoder = self._encoders.get(base)
            if encoder is not None:
                return encoder(value)
        pydantic_model = _pydantic_base()
        if pydantic_model is not None and isinstance(value, pydantic_model):
            return value.model_dump(mode="json")  # type: ignore[attr-defined]
        raise _Unsupported(kind, "encoded")

    def _dec_hook(self, kind: type, value: Any) -> Any:
        decoder = self._decoders.get(kind)
        if decoder is not None:
            return decoder(value)
        pydantic_model = _pydantic_base()
        if (
            pydantic_model is not None
            and isinstance(kind, type)
            and issubclass(kind, pydantic_model)
        ):
            return kind.model_validate(value)  # type: ignore[attr-defined]
        raise _Unsupported(kind, "decoded")

    def _unsupported(self, error: _Unsupported, what: str) -> PayloadError:
        name = error.kind.__qualname__
        return PayloadError(
            f"{what}: values of type {name} cannot be {error.direction} as JSON; "
            + _HINT.format(name=name)
        )

    # -- encoding -------------------------------------------------------------------------

    def encode(self, value: Any, field: str, label: str | None = None) -> str:
        """Encode one value as JSON text for ``field``, enforcing its size limit.

        ``label`` names the value in errors where ``field`` alone would not say which
        (``"activity input"``, ``"side_effect value"``).
        """
        try:
            text = self._encoder.encode(value).decode()
        except _Unsupported as error:
            raise self._unsupported(error, label or field) from None
        except (TypeError, msgspec.EncodeError) as error:
            raise PayloadError(f"{label or field} cannot be encoded as JSON: {error}") from error
        if not self.check_limits:
            return text
        return rules.check_length(label or field, text, LIMITS[field], payload=True)

    def encode_args(
        self, args: Sequence[Any], field: str = "input", label: str | None = None
    ) -> str:
        """Encode positional arguments as a JSON array."""
        return self.encode(list(args), field, label)

    # -- decoding -------------------------------------------------------------------------

    def convert(self, value: Any, target: Any, field: str) -> Any:
        """Convert decoded builtins to ``target`` (a dataclass, Struct, datetime ...)."""
        if target is Any or target is inspect.Parameter.empty:
            return value
        try:
            return msgspec.convert(value, target, strict=False, dec_hook=self._dec_hook)
        except _Unsupported as error:
            raise self._unsupported(error, field) from None
        except msgspec.ValidationError as error:
            raise PayloadError(f"{field} does not match {target!r}: {error}") from error
        except TypeError as error:
            raise PayloadError(f"{field} cannot be decoded as {target!r}: {error}") from error

    def decode_args(self, text: str | None, types: list[Any], field: str = "input") -> list[Any]:
        """Decode a JSON array of arguments, converting each by its parameter's annotation."""
        try:
            return self._decode_args(text, types, field)
        except PayloadError as error:
            hint = _encoded_elsewhere(text, field)
            if hint is None:
                raise
            raise hint from error

    def _decode_args(self, text: str | None, types: list[Any], field: str) -> list[Any]:
        raw = decode_json(text, field)
        if raw is None:
            return []
        if not isinstance(raw, list):
            raw = [raw]
        result: list[Any] = []
        for index, value in enumerate(raw):
            if index < len(types) and not isinstance(types[index], tuple):
                target = types[index]
            elif types and isinstance(types[-1], tuple):
                target = types[-1][1]
            else:
                target = Any
            result.append(self.convert(value, target, f"{field}[{index}]"))
        return result

    def decode_result(self, text: str | None, target: Any, field: str = "result") -> Any:
        """Decode a JSON result into ``target``."""
        try:
            return self._decode_result(text, target, field)
        except PayloadError as error:
            hint = _encoded_elsewhere(text, field)
            if hint is None:
                raise
            raise hint from error

    def _decode_result(self, text: str | None, target: Any, field: str) -> Any:
        if target is Any or target is inspect.Parameter.empty:
            return decode_json(text, field)
        decoder = self._typed_decoder(target) if text else None
        if text is None or decoder is None:
            return self.convert(decode_json(text, field), target, field)
        # Straight from the text to the target type: one pass instead of builtins then
        # msgspec.convert, which matters when a replay decodes every result of a history.
        try:
            return decoder.decode(text)
        except _Unsupported as error:
            raise self._unsupported(error, field) from None
        except msgspec.ValidationError as error:
            raise PayloadError(f"{field} does not match {target!r}: {error}") from error
        except msgspec.DecodeError as error:
            raise PayloadError(f"{field} is not valid JSON: {error}") from error

    def _typed_decoder(self, target: Any) -> msgspec.json.Decoder[Any] | None:
        """A cached decoder for ``target``; None where msgspec cannot build one (the caller
        then converts as before, with its error) or ``target`` cannot be a dict key."""
        try:
            return self._typed_decoders[target]
        except KeyError:
            pass
        except TypeError:
            return None
        try:
            decoder: msgspec.json.Decoder[Any] | None = msgspec.json.Decoder(
                target, strict=False, dec_hook=self._dec_hook
            )
        except TypeError:
            decoder = None
        self._typed_decoders[target] = decoder
        return decoder


DEFAULT: Final = JsonPayloadConverter()

# How payload codecs and offload mark what they wrote (see swfasync._payloads).
ENCODED_PREFIX: Final = '{"swfasync-'


def _encoded_elsewhere(text: str | None, field: str) -> PayloadError | None:
    """The error for a payload that codecs wrote, reaching code without them (looked at
    only once decoding failed, so plain payloads pay nothing for it)."""
    if text is None or not text.startswith(ENCODED_PREFIX):
        return None
    return PayloadError(
        f"{field} was written through payload codecs or S3 offload ({text[:60]}...): "
        "give the worker, client or Replayer the DataConverter that wrote it"
    )


def check_size(field: str, text: str) -> str:
    """Return ``text`` if it fits SWF's limit for ``field``; raise otherwise
    (``PayloadTooLargeError`` for a payload, ``SwfValidationError`` for a name)."""
    return rules.check_length(field, text)


def truncate(field: str, text: str) -> str:
    """Cut ``text`` to SWF's limit for ``field`` (for diagnostics such as failure reasons)."""
    limit = LIMITS[field]
    if len(text) <= limit:
        return text
    marker = "...[truncated]"
    return text[: limit - len(marker)] + marker


def encode(value: Any, field: str, label: str | None = None) -> str:
    """The default converter's :meth:`JsonPayloadConverter.encode`."""
    return DEFAULT.encode(value, field, label)


def encode_args(args: Sequence[Any], field: str = "input", label: str | None = None) -> str:
    """The default converter's :meth:`JsonPayloadConverter.encode_args`."""
    return DEFAULT.encode(list(args), field, label)


def decode_json(text: str | None, field: str) -> Any:
    """Decode JSON text to builtins (``None`` for an absent payload)."""
    if text is None or text == "":
        return None
    try:
        return _json_decoder.decode(text)
    except msgspec.DecodeError as error:
        raise PayloadError(f"{field} is not valid JSON: {error}") from error


def convert(value: Any, target: Any, field: str) -> Any:
    """The default converter's :meth:`JsonPayloadConverter.convert`."""
    return DEFAULT.convert(value, target, field)


def decode_args(text: str | None, types: list[Any], field: str = "input") -> list[Any]:
    """The default converter's :meth:`JsonPayloadConverter.decode_args`."""
    return DEFAULT.decode_args(text, types, field)


def decode_result(text: str | None, target: Any, field: str = "result") -> Any:
    """The default converter's :meth:`JsonPayloadConverter.decode_result`."""
    return DEFAULT.decode_result(text, target, field)


def parameter_types(fn: Callable[..., Any], skip_self: bool = False) -> list[Any]:
    """Annotated types of ``fn``'s positional parameters, ``Any`` where unannotated."""
    try:
        hints = get_type_hints(fn)
    except Exception:
        hints = {}
    params = list(inspect.signature(fn).parameters.values())
    if skip_self:
        params = params[1:]
    types: list[Any] = []
    for param in params:
        if param.kind is param.VAR_POSITIONAL:
            types.append(("*", hints.get(param.name, Any)))
        elif param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            types.append(hints.get(param.name, Any))
    return types


def return_type(fn: Callable[..., Any]) -> Any:
    """Annotated return type of ``fn`` (``Any`` if unannotated)."""
    try:
        return get_type_hints(fn).get("return", Any)
    except Exception:
        return Any
