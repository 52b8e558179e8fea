"""Payloads: arguments and results as JSON text, decoded by the annotations they target.

SWF carries every payload as a string with a size limit; each encoder here checks the limit
before anything is sent, so an oversized value is a ``PayloadTooLargeError`` naming the
field rather than a rejected request half-way through a decision batch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, Final, get_type_hints

import msgspec

from .._wire import rules
from ..exceptions import PayloadError

# SWF's field limits, in characters as SWF counts them (UTF-16 code units).
LIMITS: Final[dict[str, int]] = rules.LIMITS

_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder()


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
    """Encode one value as JSON text for ``field``, enforcing its size limit.

    ``label`` names the value in errors where ``field`` alone would not say which
    (``"activity input"``, ``"side_effect value"``).
    """
    try:
        text = _encoder.encode(value).decode()
    except (TypeError, msgspec.EncodeError) as error:
        raise PayloadError(f"{label or field} cannot be encoded as JSON: {error}") from error
    return rules.check_length(label or field, text, LIMITS[field], payload=True)


def encode_args(args: Sequence[Any], field: str = "input", label: str | None = None) -> str:
    """Encode positional arguments as a JSON array."""
    return encode(list(args), field, label)


def decode_json(text: str | None, field: str) -> Any:
    """Decode JSON text to builtins (``None`` for an absent payload)."""
    if text is None or text == "":
        return None
    try:
        return _json_decoder.decode(text)
    except msgspec.DecodeError as error:
        raise PayloadError(f"{field} is not valid JSON: {error}") from error


def convert(value: Any, target: Any, field: str) -> Any:
    """Convert decoded builtins to ``target`` (a dataclass, Struct, datetime ...)."""
    if target is Any or target is inspect.Parameter.empty:
        return value
    try:
        return msgspec.convert(value, target, strict=False)
    except msgspec.ValidationError as error:
        raise PayloadError(f"{field} does not match {target!r}: {error}") from error


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


def decode_args(text: str | None, types: list[Any], field: str = "input") -> list[Any]:
    """Decode a JSON array of arguments, converting each by its parameter's annotation."""
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
        result.append(convert(value, target, f"{field}[{index}]"))
    return result


def decode_result(text: str | None, target: Any, field: str = "result") -> Any:
    """Decode a JSON result into ``target``."""
    if target is Any or target is inspect.Parameter.empty:
        return decode_json(text, field)
    decoder = _typed_decoder(target) if text else None
    if text is None or decoder is None:
        return convert(decode_json(text, field), target, field)
    # Straight from the text to the target type: one pass instead of builtins then
    # msgspec.convert, which matters when a replay decodes every result of a history.
    try:
        return decoder.decode(text)
    except msgspec.ValidationError as error:
        raise PayloadError(f"{field} does not match {target!r}: {error}") from error
    except msgspec.DecodeError as error:
        raise PayloadError(f"{field} is not valid JSON: {error}") from error


_typed_decoders: dict[Any, msgspec.json.Decoder[Any] | None] = {}


def _typed_decoder(target: Any) -> msgspec.json.Decoder[Any] | None:
    """A cached decoder for ``target``; None where msgspec cannot build one (the caller
    then converts as before, with its error) or ``target`` cannot be a dict key."""
    try:
        return _typed_decoders[target]
    except KeyError:
        pass
    except TypeError:
        return None
    try:
        decoder: msgspec.json.Decoder[Any] | None = msgspec.json.Decoder(target, strict=False)
    except TypeError:
        decoder = None
    _typed_decoders[target] = decoder
    return decoder
