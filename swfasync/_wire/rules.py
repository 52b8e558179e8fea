"""SWF's rules for the values a request or a decision carries, checked before sending.

Each check returns the value it was given when SWF would accept it, and raises
:class:`~swfasync.exceptions.SwfValidationError` naming the field, the size and the limit
when it would not. The client checks what it starts, signals and completes with them; the
engine checks every command workflow code issues, at the call, so the code can catch the
error and a batch SWF would refuse is never sent.

The rules, from the SWF API Reference and botocore's model of it (``LIMITS`` and
``DURATION_DIGITS`` are pinned to the model by ``tests/engine/test_rules.py``):

- lengths count UTF-16 code units, the way SWF's Java front end counts them: a character
  outside the Basic Multilingual Plane (most emoji) counts twice;
- ids and names (workflow, activity and timer ids, task lists, domains, type names and
  versions) must not contain ``:``, ``/``, ``|`` or a control character
  (``\\u0000-\\u001f``, ``\\u007f-\\u009f``), nor be the literal ``arn``; a task list must
  not start or end with whitespace either;
- a duration is a whole number of seconds written in at most 8 digits (or ``NONE`` where
  SWF allows it); an execution's start-to-close timeout is at most one year;
- a task priority is an integer within Java's ``int`` range.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from ..exceptions import PayloadTooLargeError, SwfValidationError

# Maximum lengths, in UTF-16 code units, by field (botocore's model: ``max`` of each shape).
LIMITS: Final[dict[str, int]] = {
    # Data (payloads)
    "input": 32_768,
    "result": 32_768,
    "details": 32_768,
    "control": 32_768,
    "execution_context": 32_768,
    "reason": 256,
    "heartbeat_details": 2_048,
    # Ids and names
    "workflow_id": 256,
    "activity_id": 256,
    "timer_id": 256,
    "marker_name": 256,
    "signal_name": 256,
    "task_list": 256,
    "domain": 256,
    "type_name": 256,
    "type_version": 64,
    "lambda_id": 256,
    "lambda_name": 64,
    "lambda_role": 1_600,
    "tag": 256,
    "run_id": 64,
    "identity": 256,
    "task_token": 1_024,
}

# Fields that are payloads: their errors are PayloadTooLargeError (also a PayloadError).
PAYLOAD_FIELDS: Final = frozenset(
    {"input", "result", "details", "control", "execution_context", "reason", "heartbeat_details"}
)

DURATION_DIGITS: Final = 8
MAX_DURATION: Final = 10**DURATION_DIGITS - 1  # 99,999,999 s, about 3.17 years
MAX_EXECUTION_TIMEOUT: Final = 365 * 24 * 3600  # one year: SWF's longest execution
MAX_TAGS: Final = 5
PRIORITY_RANGE: Final = (-(2**31), 2**31 - 1)

_FORBIDDEN: Final = frozenset(":/|")
_FORBIDDEN_CHARACTER: Final = re.compile("[:/|\x00-\x1f\x7f-\x9f]")


def utf16_length(text: str) -> int:
    """``text``'s length as SWF counts it: UTF-16 code units."""
    if text.isascii():  # a flag CPython keeps: no scan
        return len(text)
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_length(
    field: str, text: str, limit: int | None = None, *, minimum: int = 0, payload: bool = False
) -> str:
    """``text`` if its length in UTF-16 code units is within ``minimum..limit``.

    ``limit`` defaults to ``LIMITS[field]``. A payload (a field of ``PAYLOAD_FIELDS``, or
    ``payload=True``) raises ``PayloadTooLargeError``; anything else ``SwfValidationError``.
    """
    bound = LIMITS[field] if limit is None else limit
    count = len(text)
    # Cheap bounds first: a string is never shorter in UTF-16 than in code points, and
    # never more than twice as long.
    if count > bound or (count * 2 > bound and not text.isascii()):
        size = utf16_length(text)
        if size > bound:
            if payload or field in PAYLOAD_FIELDS:
                raise PayloadTooLargeError(field, size, bound, text)
            raise SwfValidationError(
                field,
                text,
                "length",
                f"{field} is {size} characters long (UTF-16 code units); SWF accepts at most "
                f"{bound}: {_preview(text)}",
                size=size,
                limit=bound,
            )
    if count < minimum:
        raise SwfValidationError(
            field,
            text,
            "length",
            f"{field} is {count} characters long; SWF needs at least {minimum}",
            size=count,
            limit=minimum,
        )
    return text


def check_payload(field: str, text: str) -> str:
    """``text`` if it fits SWF's limit for payload ``field`` (raises PayloadTooLargeError)."""
    return check_length(field, text)


def check_name(field: str, name: str, limit: int | None = None, *, kind: str = "id") -> str:
    """``name`` if SWF accepts it as an id or a name: 1 to ``limit`` UTF-16 code units,
    none of ``: / |`` nor a control character, not the literal ``arn``.

    ``field`` selects the limit from ``LIMITS`` unless ``limit`` is given; ``kind`` only
    words the message. Task lists also may not start or end with whitespace.
    """
    if not isinstance(name, str):
        raise SwfValidationError(
            field, name, "type", f"{field} must be a string, not {type(name).__name__}"
        )
    check_length(field, name, limit, minimum=1)
    forbidden = _FORBIDDEN_CHARACTER.search(name)  # one scan in C: runs for every id sent
    if forbidden is not None:
        char = forbidden.group()
        shown = repr(char) if char in _FORBIDDEN else f"U+{ord(char):04X}"
        raise SwfValidationError(
            field,
            name,
            "characters",
            f"{field} {_preview(name)} contains {shown} at position {forbidden.start()}; SWF "
            f"forbids ':', '/', '|' and control characters in an {kind}",
        )
    if name == "arn":
        raise SwfValidationError(
            field, name, "characters", f"{field} cannot be the literal 'arn' (SWF's rule)"
        )
    if field == "task_list" and name != name.strip():
        raise SwfValidationError(
            field,
            name,
            "characters",
            f"{field} {_preview(name)} starts or ends with whitespace; SWF refuses it",
        )
    return name


def check_duration(
    field: str, value: str | None, *, allow_none: bool = True, maximum: int | None = None
) -> str | None:
    """A duration string SWF accepts: whole seconds in at most 8 digits, or ``NONE``
    where ``allow_none``; ``maximum`` caps the seconds (e.g. ``MAX_EXECUTION_TIMEOUT``).

    ``None`` (not set) passes through.
    """
    if value is None:
        return None
    if value == "NONE":
        if allow_none:
            return value
        raise SwfValidationError(
            field, value, "range", f"{field} cannot be NONE: SWF needs a number of seconds"
        )
    if not value.isascii() or not value.isdigit():
        raise SwfValidationError(
            field,
            value,
            "integer",
            f"{field} is {_preview(value)}; SWF needs a whole, non-negative number of seconds",
        )
    if len(value) > DURATION_DIGITS:
        raise SwfValidationError(
            field,
            value,
            "digits",
            f"{field} is {value} seconds ({len(value)} digits); SWF accepts at most "
            f"{DURATION_DIGITS} digits ({MAX_DURATION} seconds, about 3.17 years)",
            size=len(value),
            limit=DURATION_DIGITS,
        )
    if maximum is not None and int(value) > maximum:
        raise SwfValidationError(
            field,
            value,
            "range",
            f"{field} is {value} seconds; SWF accepts at most {maximum}",
            size=int(value),
            limit=maximum,
        )
    return value


def check_seconds(field: str, seconds: float, *, maximum: int = MAX_DURATION) -> float:
    """``seconds`` if it is a duration SWF can carry once rounded up to whole seconds:
    not negative, not NaN, at most ``maximum`` (8 digits by default)."""
    if seconds != seconds or seconds < 0:  # NaN compares unequal to itself
        raise SwfValidationError(
            field,
            seconds,
            "negative",
            f"{field} is {seconds!r} seconds; a duration cannot be negative",
            limit=0,
        )
    if seconds > maximum:
        if math.isinf(seconds):
            size, shown = None, "infinite"
        else:
            size = math.ceil(seconds)
            shown = f"{size} seconds ({len(str(size))} digits)"
        eight_digits = maximum == MAX_DURATION
        raise SwfValidationError(
            field,
            seconds,
            "digits" if eight_digits else "range",
            f"{field} is {shown}; SWF accepts at most {maximum} seconds"
            + (f" ({DURATION_DIGITS} digits, about 3.17 years)" if eight_digits else ""),
            size=size,
            limit=maximum,
        )
    return seconds


def check_priority(field: str, value: str | None) -> str | None:
    """A task priority SWF accepts: an integer string within Java's ``int`` range."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    low, high = PRIORITY_RANGE
    if number is None or not value.strip("+-").isdigit():
        raise SwfValidationError(
            field, value, "integer", f"{field} is {_preview(value)}; SWF needs an integer"
        )
    if not low <= number <= high:
        raise SwfValidationError(
            field,
            value,
            "range",
            f"{field} is {number}; SWF accepts {low} to {high}",
            size=number,
            limit=high if number > high else low,
        )
    return value


def check_tags(field: str, tags: list[str] | None) -> list[str] | None:
    """At most 5 tags of at most 256 UTF-16 code units each."""
    if tags is None:
        return None
    if len(tags) > MAX_TAGS:
        raise SwfValidationError(
            field,
            tags,
            "length",
            f"{field} has {len(tags)} tags; SWF accepts at most {MAX_TAGS}",
            size=len(tags),
            limit=MAX_TAGS,
        )
    for index, tag in enumerate(tags):
        name = f"{field}[{index}]"
        if not isinstance(tag, str):
            raise SwfValidationError(name, tag, "type", f"{name} must be a string")
        check_length(name, tag, LIMITS["tag"])
    return tags
