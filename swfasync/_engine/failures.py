"""How an exception travels through SWF's ``reason`` and ``details`` fields.

``reason`` (256 characters) holds ``"<type>: <message>"`` so SWF's console and other SDKs
show something readable; ``details`` (32,768) holds a JSON object with the error type, the
message, the application details, the retryability and the traceback. Whatever does not fit
is shed in that order of importance — traceback first — never the whole failure.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..exceptions import ApplicationError, FailureError
from .converter import LIMITS, truncate


class _FailureDetails(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str
    message: str
    details: list[Any] = msgspec.field(default_factory=list)
    non_retryable: bool = False
    stack: str = ""


@dataclass(frozen=True)
class FailureInfo:
    """A failure as decoded from SWF: what the other side raised, as far as it said."""

    type: str
    message: str
    details: list[Any] = field(default_factory=list)
    non_retryable: bool = False
    stack: str = ""


def error_type(error: BaseException) -> str:
    if isinstance(error, ApplicationError):
        return error.type
    return type(error).__name__


def encode_failure(
    error: BaseException, enc_hook: Callable[[Any], Any] | None = None
) -> tuple[str, str]:
    """``(reason, details)`` for an exception, both within SWF's limits.

    ``enc_hook`` encodes the application's details that msgspec does not know (the payload
    converter's, for registered types and pydantic models).
    """
    kind = error_type(error)
    message = str(error)
    reason = truncate("reason", f"{kind}: {message}" if message else kind)
    app_details: list[Any] = []
    non_retryable = False
    if isinstance(error, ApplicationError):
        app_details = list(error.details)
        non_retryable = error.non_retryable
    stack = "".join(traceback.format_exception(error))
    body = _FailureDetails(
        type=kind, message=message, details=app_details, non_retryable=non_retryable, stack=stack
    )
    limit = LIMITS["details"]
    for attempt in range(4):
        try:
            text = msgspec.json.encode(body, enc_hook=enc_hook).decode()
        except (TypeError, msgspec.EncodeError):
            text = ""
            attempt = max(attempt, 1)
        if text and len(text) <= limit:
            return reason, text
        if attempt == 0:
            body = msgspec.structs.replace(body, stack=truncate("reason", stack))
        elif attempt == 1:
            body = msgspec.structs.replace(body, stack="", details=[])
        else:
            body = msgspec.structs.replace(body, message=message[: limit // 2])
    return reason, truncate("details", message)


def decode_failure(reason: str | None, details: str | None) -> FailureInfo:
    """Read a failure written by :func:`encode_failure`, or by any other SWF client."""
    if details:
        try:
            body = msgspec.json.decode(details, type=_FailureDetails)
        except (msgspec.ValidationError, msgspec.DecodeError):
            pass
        else:
            return FailureInfo(
                type=body.type,
                message=body.message,
                details=body.details,
                non_retryable=body.non_retryable,
                stack=body.stack,
            )
    text = reason or ""
    kind, _, message = text.partition(": ")
    if not message:
        kind, message = "Error", text
    return FailureInfo(type=kind, message=message, details=[details] if details else [])


def failure_of(error: FailureError) -> FailureInfo:
    """The decoded failure behind a ``FailureError`` raised inside a workflow."""
    return decode_failure(error.reason, error.details)
