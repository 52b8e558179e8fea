"""SWF's rules on scalar values, as the service (a Java service) reads them: integers in
string form, durations, the characters of names, and lengths in UTF-16 code units.

The dev server reads these from botocore's model and SWF's API reference on its own, on
purpose: it is the test oracle of the SDK's own checks, so it shares no code with them.
"""

from __future__ import annotations

import re

from botocore.model import Shape, StructureShape

# Java's Integer.parseInt grammar, ASCII digits only: an optional sign, then digits. No
# spaces, no underscores, no other scripts' digits (Python's int() takes all three).
_INTEGER = re.compile(r"[+-]?[0-9]+")
INT32 = (-(2**31), 2**31 - 1)

# Strings whose content is a number, by the model's shape name: (lowest, highest, "NONE"
# allowed). A duration is a whole number of seconds (days for the retention period).
NUMERIC_SHAPES: dict[str, tuple[int, int, bool]] = {
    "DurationInSeconds": (0, INT32[1], False),
    "DurationInSecondsOptional": (0, INT32[1], True),
    "DurationInDays": (0, INT32[1], False),
    "TaskPriority": (*INT32, False),
}


def parse_integer(text: str) -> int | None:
    """The integer ``text`` spells in SWF's grammar, or None if it spells none."""
    if _INTEGER.fullmatch(text) is None:
        return None
    return int(text)


def numeric_error(text: str, shape_name: str) -> str | None:
    """The constraint ``text`` breaks as a value of the numeric string shape, if any."""
    low, high, none_allowed = NUMERIC_SHAPES[shape_name]
    if none_allowed and text == "NONE":
        return None
    number = parse_integer(text)
    if number is None:
        what = "an integer" if low < 0 else "a whole number"
        extra = " or NONE" if none_allowed else ""
        return f"Member must be {what} in decimal ASCII digits{extra}"
    if not low <= number <= high:
        return f"Member must be an integer from {low} to {high}"
    return None


def numeric_pattern(shape_name: str) -> str:
    """A regular expression that matches only values ``numeric_error`` accepts (not all of
    them: a number of 10 digits is left to the worded check, which reads its range)."""
    low, _, none_allowed = NUMERIC_SHAPES[shape_name]
    number = r"[+-]?[0-9]{1,9}" if low < 0 else r"\+?[0-9]{1,9}"
    return f"^(?:{number}|NONE)$" if none_allowed else f"^{number}$"


def utf16_length(text: str) -> int:
    """The length of ``text`` as SWF counts it: UTF-16 code units (a character outside the
    Basic Multilingual Plane, such as most emoji, counts as two)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


# The characters of names, as SWF's API reference words the rule: "must not start or end
# with whitespace. It must not contain a : (colon), / (slash), | (vertical bar), or any
# control characters (\u0000-\u001f | \u007f-\u009f). Also, it must not be the literal
# string arn."
_NAME = re.compile(r"(?!arn\Z)(?!\s)[^:/|\x00-\x1f\x7f-\x9f]*(?<!\s)", re.DOTALL)
NAME_PATTERN = r"^(?!arn$)(?!\s)[^:/|\x00-\x1f\x7f-\x9f]*(?<!\s)$"
NAME_RULE = (
    "Member must not start or end with whitespace, must not contain ':', '/', '|' or a "
    "control character (\\u0000-\\u001f, \\u007f-\\u009f), and must not be 'arn'"
)
_RULE_SENTENCE = "be the literal string <code>arn</code>"


def name_error(text: str) -> str | None:
    """The name rule's constraint if ``text`` breaks it."""
    return None if _NAME.fullmatch(text) else NAME_RULE


def carries_name_rule(structure: StructureShape, member: str) -> bool:
    """Whether SWF applies its name rule to ``member`` of ``structure``.

    The reference states the rule on the members that name something new or poll a task
    list (domain, type name and version, workflow, activity and timer ids, task lists)
    and botocore's model carries the same sentence on those members. The sentence is
    read from the model, so a member the model documents later is covered with it. The
    copies differ on whether whitespace is mentioned: one rule is applied to all of them.
    For a task list, the rule is on its ``name``.
    """
    shape: Shape = structure.members[member]
    return _RULE_SENTENCE in (shape.documentation or "")
