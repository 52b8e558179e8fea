"""Requests checked against the constraints generated into their Structs, before sending.

``tools/gen_wire.py`` annotates every request Struct, and every Struct a request reaches
(decisions, task lists, filters), with botocore's model: ``msgspec.Meta`` bounds
(``min_length``/``max_length``, ``ge``/``le``), ``Literal`` enums, and in the ``Meta``'s
``extra={"swf": ...}`` the SWF rules ``Meta`` cannot state (lengths in UTF-16 code units,
payloads, the name rule, durations, priorities). :func:`check_request` reads those
annotations once per request class (``msgspec.inspect.type_info``) into nested checks,
then walks each request: its members, nested Structs and lists, each value checked by the
functions of :mod:`swfasync._wire.rules`, so each rule has one implementation.

What fails raises :class:`~swfasync.exceptions.SwfValidationError` (a payload too long:
``PayloadTooLargeError``) whose ``field`` is the member's dotted path on the wire, such as
``decisions[2].scheduleActivityTaskDecisionAttributes.activityId``, with the value, the
rule, and where they apply the size and the limit. A value of the wrong Python type (an
int where a string is declared, None for a required member, a dict where a Struct is) is
refused with rule ``"type"``, a value outside an enum with rule ``"enum"``.

The worker checks every decision it sends, so a request that passes must cost little:
each Struct's check is Python source compiled once, one statement per member, where a
string, an enum, a bool or an integer that certainly passes is accepted inline (a type
test and a comparison: a string no longer than half its limit cannot be too long in
UTF-16 code units), and only names, durations, priorities and values near a limit call
the function of ``rules.py`` that decides them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec
import msgspec.inspect as mi

from ..exceptions import SwfValidationError
from .common import Request
from .rules import check_duration, check_length, check_name, check_priority

__all__ = ("check_request", "checker_of")

# (value, path): returns if the value passes, raises SwfValidationError if not.
Check = Callable[[Any, str], None]

# A length with no maximum in the model: no string reaches it.
_UNBOUNDED: Final = 2**63

_checkers: dict[type[Any], Check] = {}


def check_request(request: Request[Any]) -> None:
    """Raise :class:`~swfasync.exceptions.SwfValidationError` if SWF's model or rules
    refuse ``request``; return None if not.

    Example::

        check_request(api.PollForActivityTaskInput(domain="d", task_list=TaskList(name="")))
        # SwfValidationError: taskList.name is 0 characters long; SWF needs at least 1
    """
    kind = type(request)
    check = _checkers.get(kind)
    if check is None:
        check = checker_of(kind)
    check(request, "")


def checker_of(kind: type[msgspec.Struct]) -> Check:
    """The compiled check of Struct type ``kind`` (made once, then kept)."""
    check = _checkers.get(kind)
    if check is None:
        info = mi.type_info(kind)
        assert isinstance(info, mi.StructType)
        check = _struct(info)
    return check


def _refuse_type(path: str, value: Any, expected: str) -> SwfValidationError:
    where = path or "request"
    return SwfValidationError(
        where,
        value,
        "type",
        f"{where} must be {expected}, not {type(value).__name__}: {_preview(value)}",
    )


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _compile(info: mi.Type, extra: dict[str, Any] | None = None) -> Check:
    """The check of a value of type ``info`` (``extra``: the ``Meta`` extras around it)."""
    if isinstance(info, mi.Metadata):
        merged = {**(extra or {}), **(info.extra or {})}
        return _compile(info.type, merged)
    rule = (extra or {}).get("swf")
    if isinstance(info, mi.UnionType):
        options = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(options) == 1:
            # None is a member's absence, judged by the Struct holding it.
            return _compile(options[0], extra)
        return _tagged_union(options)
    if isinstance(info, mi.StrType):
        return _string(info, rule)
    if rule is not None and not (rule == "task_list" and isinstance(info, mi.StructType)):
        raise TypeError(f"the rule {rule!r} is not checked on {type(info).__name__}")
    if isinstance(info, mi.StructType):
        check = _struct(info)
        return _task_list(check, info) if rule == "task_list" else check
    if isinstance(info, mi.ListType):
        return _list(info)
    if isinstance(info, mi.LiteralType):
        return _enum(info)
    if isinstance(info, mi.IntType):
        return _integer(info)
    if isinstance(info, mi.BoolType):
        return _boolean
    if isinstance(info, mi.FloatType):
        return _number
    raise TypeError(f"no check for a request member of type {info!r}")


def _struct(info: mi.StructType) -> Check:
    """The check of a Struct: made once per Struct type, shared by every member of it."""
    check = _checkers.get(info.cls)
    if check is None:
        check = _checkers[info.cls] = _compile_struct(info)
    return check


def _compile_struct(info: mi.StructType) -> Check:
    """A Struct's check, as Python source compiled once: one statement per member, so a
    value passes with no loop, no path built and, for the simple members, no call."""
    cls = info.cls
    namespace: dict[str, Any] = {
        "cls": cls,
        "expected": f"a {cls.__name__}",
        "refuse_type": _refuse_type,
        "required": _required,
    }
    lines = [
        "def check_struct(value, path):",
        "    if type(value) is not cls and not isinstance(value, cls):",
        "        raise refuse_type(path, value, expected)",
        '    prefix = path + "." if path else ""',
    ]
    for index, field in enumerate(info.fields):
        check = f"check_{index}"
        namespace[check] = _compile(field.type)
        guard = _guard(field.type, index, namespace)
        where = f"prefix + {field.encode_name!r}"
        lines.append(f"    v = value.{field.name}")
        lines.append("    if v is None:")
        lines.append(f"        raise required({where})" if field.required else "        pass")
        rule = _direct_rule(field.type, index, namespace)
        if rule is not None:
            # A string of a rule of rules.py: its function is called with no step between.
            lines.append("    elif type(v) is str:")
            lines.append(f"        {rule.format(where=where)}")
        lines.append(f"    elif not ({guard}):" if guard else "    else:")
        lines.append(f"        {check}(v, {where})")
    exec("\n".join(lines), namespace)  # source built above, from the model only
    check_struct: Check = namespace["check_struct"]
    return check_struct


def _required(path: str) -> SwfValidationError:
    return SwfValidationError(path, None, "type", f"{path} is required: it cannot be None")


def _direct_rule(info: mi.Type, index: int, namespace: dict[str, Any]) -> str | None:
    """The call of the function of rules.py that checks a string ``v`` of type ``info``
    (``{where}`` for its path), where that function is the whole check."""
    extra: dict[str, Any] = {}
    while isinstance(info, mi.Metadata):
        extra.update(info.extra or {})
        info = info.type
    if isinstance(info, mi.UnionType):
        options = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return _direct_rule(options[0], index, namespace) if len(options) == 1 else None
    rule = extra.get("swf")
    namespace.update(
        check_name=check_name, check_duration=check_duration, check_priority=check_priority
    )
    if not isinstance(info, mi.StrType):
        return None
    if rule == "name":
        return f"check_name({{where}}, v, {info.max_length})"
    if rule in ("duration", "duration_or_none"):
        return f"check_duration({{where}}, v, allow_none={rule == 'duration_or_none'})"
    if rule == "priority":
        return "check_priority({where}, v)"
    return None


def _guard(info: mi.Type, index: int, namespace: dict[str, Any]) -> str | None:
    """An expression true of a value ``v`` of type ``info`` that certainly passes its check
    (the check decides the others), for the simple types; None for the others."""
    extra: dict[str, Any] = {}
    while isinstance(info, mi.Metadata):
        extra.update(info.extra or {})
        info = info.type
    if isinstance(info, mi.UnionType):
        options = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return _guard(options[0], index, namespace) if len(options) == 1 else None
    if isinstance(info, mi.StrType):
        if extra.get("swf") not in (None, "utf16", "payload"):
            return None
        low = info.min_length or 0
        if info.max_length is None:
            return f"type(v) is str and len(v) >= {low}"
        # A string is never longer in UTF-16 code units than twice its length.
        return f"type(v) is str and {low} <= len(v) <= {info.max_length // 2}"
    if isinstance(info, mi.LiteralType):
        namespace[f"allowed_{index}"] = frozenset(info.values)
        return f"type(v) is str and v in allowed_{index}"
    if isinstance(info, mi.BoolType):
        return "v is True or v is False"
    if isinstance(info, mi.IntType):
        bounds = ["type(v) is int"]
        if info.ge is not None:
            bounds.append(f"v >= {info.ge}")
        if info.le is not None:
            bounds.append(f"v <= {info.le}")
        return None if info.gt is not None or info.lt is not None else " and ".join(bounds)
    if isinstance(info, mi.FloatType):
        return "type(v) is float or type(v) is int"
    return None


def _tagged_union(options: list[mi.Type]) -> Check:
    """A value of one of several Structs (the decisions of a decision list)."""
    by_class: dict[type[Any], Check] = {}
    for option in options:
        if not isinstance(option, mi.StructType):
            raise TypeError(f"no check for a union holding {option!r}")
        by_class[option.cls] = _struct(option)
    expected = "one of " + ", ".join(sorted(c.__name__ for c in by_class))

    def check_one_of(value: Any, path: str) -> None:
        check = by_class.get(type(value))
        if check is None:
            for cls, subclass_check in by_class.items():
                if isinstance(value, cls):
                    check = subclass_check
                    break
            else:
                raise _refuse_type(path, value, expected)
        check(value, path)

    return check_one_of


def _task_list(check_struct: Check, info: mi.StructType) -> Check:
    """A task list member whose documentation states the name rule: on its ``name``."""
    (name_field,) = [f for f in info.fields if f.name == "name"]
    name_info = name_field.type
    while isinstance(name_info, mi.Metadata):
        name_info = name_info.type
    assert isinstance(name_info, mi.StrType)
    limit = name_info.max_length
    suffix = "." + name_field.encode_name

    def check_task_list(value: Any, path: str) -> None:
        check_struct(value, path)
        name = value.name
        try:
            # "task_list": rules.py's name rule for a task list (no surrounding whitespace).
            check_name("task_list", name, limit)
        except SwfValidationError as error:
            where = path + suffix
            raise SwfValidationError(
                where, name, error.rule, f"{where}: {error}", size=error.size, limit=error.limit
            ) from None

    return check_task_list


def _string(info: mi.StrType, rule: str | None) -> Check:
    minimum = info.min_length or 0
    maximum = _UNBOUNDED if info.max_length is None else info.max_length
    if rule == "name":
        name_limit = info.max_length

        def check_id(value: Any, path: str) -> None:
            check_name(path, value, name_limit)

        return check_id
    if rule in ("duration", "duration_or_none"):
        allow_none = rule == "duration_or_none"

        def check_seconds(value: Any, path: str) -> None:
            if not isinstance(value, str):
                raise _refuse_type(path, value, "a string")
            check_duration(path, value, allow_none=allow_none)

        return check_seconds
    if rule == "priority":

        def check_task_priority(value: Any, path: str) -> None:
            if not isinstance(value, str):
                raise _refuse_type(path, value, "a string")
            check_priority(path, value)

        return check_task_priority
    if rule not in (None, "utf16", "payload"):
        raise TypeError(f"no check for the rule {rule!r} on a string")
    if rule is None and minimum == 0 and maximum == _UNBOUNDED:
        return _plain_string
    payload = rule == "payload"

    def check_text(value: Any, path: str) -> None:
        if type(value) is not str and not isinstance(value, str):
            raise _refuse_type(path, value, "a string")
        check_length(path, value, maximum, minimum=minimum, payload=payload)

    return check_text


def _plain_string(value: Any, path: str) -> None:
    if type(value) is not str and not isinstance(value, str):
        raise _refuse_type(path, value, "a string")


def _enum(info: mi.LiteralType) -> Check:
    allowed = frozenset(info.values)
    shown = ", ".join(map(str, info.values))

    def check_enum(value: Any, path: str) -> None:
        if value in allowed and isinstance(value, str):
            return
        if not isinstance(value, str):
            raise _refuse_type(path, value, "a string")
        raise SwfValidationError(
            path, value, "enum", f"{path} is {_preview(value)}; SWF accepts one of: {shown}"
        )

    return check_enum


def _integer(info: mi.IntType) -> Check:
    low = info.ge if info.gt is None else info.gt + 1
    high = info.le if info.lt is None else info.lt - 1

    def check_int(value: Any, path: str) -> None:
        if type(value) is not int and (not isinstance(value, int) or isinstance(value, bool)):
            raise _refuse_type(path, value, "an integer")
        if low is not None and value < low:
            raise SwfValidationError(
                path,
                value,
                "range",
                f"{path} is {value}; SWF accepts at least {low}",
                size=value,
                limit=low,
            )
        if high is not None and value > high:
            raise SwfValidationError(
                path,
                value,
                "range",
                f"{path} is {value}; SWF accepts at most {high}",
                size=value,
                limit=high,
            )

    return check_int


def _boolean(value: Any, path: str) -> None:
    if value is not True and value is not False:
        raise _refuse_type(path, value, "a bool")


def _number(value: Any, path: str) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _refuse_type(path, value, "a number")


def _list(info: mi.ListType) -> Check:
    check_item = _compile(info.item_type)
    minimum = info.min_length or 0
    maximum = info.max_length

    def check_list(value: Any, path: str) -> None:
        if not isinstance(value, list | tuple):
            raise _refuse_type(path, value, "a list")
        count = len(value)
        if count < minimum or (maximum is not None and count > maximum):
            bound = minimum if count < minimum else maximum
            limit = "at least" if count < minimum else "at most"
            raise SwfValidationError(
                path,
                value,
                "length",
                f"{path} has {count} items; SWF accepts {limit} {bound}",
                size=count,
                limit=bound,
            )
        for index, item in enumerate(value):
            if item is None:
                where = f"{path}[{index}]"
                raise SwfValidationError(where, None, "type", f"{where} cannot be None")
            check_item(item, f"{path}[{index}]")

    return check_list
