"""Request bodies: decoded in one msgspec pass, and when that fails, diagnosed by field.

msgspec's own message says where a value went wrong, but in its words; the gateway's 400
names the member itself (``field``), found by checking the body one member at a time.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web

from ._problems import HttpProblem, bad_request

T = TypeVar("T", bound=msgspec.Struct)

MAX_BODY_BYTES = 1 << 20  # far above SWF's 32,768-character input, below abuse

_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    found = _decoders.get(kind)
    if found is None:
        found = _decoders[kind] = msgspec.json.Decoder(kind)
    return found


def _diagnose(body: bytes, kind: type[msgspec.Struct]) -> HttpProblem:
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        return bad_request(f"the body is not JSON: {error}", kind="invalid-json")
    if not isinstance(raw, dict):
        return bad_request("the body must be a JSON object")
    fields = {f.encode_name: f for f in msgspec.structs.fields(kind)}
    for name in raw:
        if name not in fields:
            known = ", ".join(sorted(fields))
            return bad_request(f"unknown member {name!r} (expected: {known})", field=name)
    for name, info in fields.items():
        if name not in raw:
            if info.required:
                return bad_request(f"member {name!r} is required", field=name)
            continue
        try:
            msgspec.convert(raw[name], info.type)
        except msgspec.ValidationError as error:
            return bad_request(f"member {name!r} is invalid: {error}", field=name)
    return bad_request("the body does not match the request's schema")


def decode(body: bytes, kind: type[T]) -> T:
    """``body`` as ``kind``, or a 400 naming the member at fault."""
    try:
        return _decoder(kind).decode(body)
    except msgspec.DecodeError:
        raise _diagnose(body, kind) from None


async def read(request: web.Request, kind: type[T], *, empty_ok: bool = False) -> T:
    """The request's JSON body as ``kind`` (415 for another media type, 413 past 1 MiB)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HttpProblem(
            413,
            "body-too-large",
            f"the body is {request.content_length} bytes; the gateway reads at most"
            f" {MAX_BODY_BYTES}",
            size=request.content_length,
            limit=MAX_BODY_BYTES,
        )
    body = await request.content.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise HttpProblem(
            413,
            "body-too-large",
            f"the body is over {MAX_BODY_BYTES} bytes",
            limit=MAX_BODY_BYTES,
        )
    if not body.strip() and empty_ok:
        body = b"{}"
    elif request.content_type not in (
        "application/json",
        "application/octet-stream",
        "",
    ) and not request.content_type.endswith("+json"):
        raise HttpProblem(
            415,
            "unsupported-media-type",
            f"the body must be application/json, not {request.content_type}",
        )
    return decode(body, kind)
