"""Request decoding and validation against botocore's SWF model: required members, types,
lengths (in UTF-16 code units), enums, integer ranges, numbers in string form and the
characters of names, reported the way SWF's front end (Coral) reports them.

Both stages are built once per operation from the model: a msgspec type that decodes a
valid body in C (skipping members the model does not know without building them), and
Python checks that word every error of a body it refuses. A report counts every error and
words the first ``MAX_REPORTED``, so its size does not grow with the input."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, Literal, NoReturn

import botocore.session
import msgspec
from botocore.model import ListShape, OperationModel, ServiceModel, Shape, StructureShape

from ._faults import ProtocolFault, ValidationFault
from ._rules import (
    NAME_PATTERN,
    NUMERIC_SHAPES,
    carries_name_rule,
    name_error,
    numeric_error,
    numeric_pattern,
    utf16_length,
)

MAX_REPORTED = 10


@functools.cache
def service_model() -> ServiceModel:
    """botocore's SWF model (loaded once)."""
    return botocore.session.get_session().get_service_model("swf")


@functools.cache
def operation(name: str) -> OperationModel:
    model = service_model()
    if name not in model.operation_names:
        raise ProtocolFault("UnknownOperationException", f"Unknown operation: {name}")
    return model.operation_model(name)


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + (value if len(value) <= 64 else value[:64] + "...") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "[...]" if isinstance(value, list) else "{...}"


class Report:
    """The errors found in a body: all counted, the first ``MAX_REPORTED`` worded.

    Once ``full``, the checks only count: they skip building the paths no message will
    show, and walk a structure's members in the body's order, not the model's.
    """

    __slots__ = ("count", "full", "messages")

    def __init__(self) -> None:
        self.count = 0
        self.full = False
        self.messages: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        self.count += 1
        if not self.full:
            self.messages.append(_error(value, path, constraint))
            self.full = self.count >= MAX_REPORTED


# A compiled check: (value, path, report) adds every broken constraint to the report.
Check = Callable[[Any, str, Report], None]


def _error(value: Any, path: str, constraint: str) -> str:
    return f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}"


def _length_checks(meta: dict[str, Any]) -> list[tuple[int, bool, str]]:
    """(bound, is_minimum, constraint) for a list's or a string's length limits."""
    out: list[tuple[int, bool, str]] = []
    if "min" in meta:
        out.append(
            (meta["min"], True, f"Member must have length greater than or equal to {meta['min']}")
        )
    if "max" in meta:
        out.append(
            (meta["max"], False, f"Member must have length less than or equal to {meta['max']}")
        )
    return out


def _named(structure: StructureShape, member: str, named: bool) -> bool:
    """Whether the name rule applies to ``member``: by the model's documentation, or
    because ``structure`` (a task list) carries it and this is its name."""
    return carries_name_rule(structure, member) or (named and member == "name")


def _compile_structure(shape: StructureShape, named: bool) -> Check:
    required = tuple(shape.required_members)
    members = tuple(
        (name, _compile(member, _named(shape, name, named)))
        for name, member in shape.members.items()
    )

    by_name = dict(members)

    def check_structure(value: Any, path: str, report: Report) -> None:
        if not isinstance(value, dict):
            report.add(value, path, "Member must be a structure")
            return
        if report.full:  # counting only: no paths, and only the members the body has
            for name in required:
                if value.get(name) is None:
                    report.count += 1
            for name, sub in value.items():
                check = by_name.get(name)
                if check is not None and sub is not None:
                    check(sub, "", report)
            return
        prefix = path + "." if path else ""
        for name in required:
            if value.get(name) is None:
                report.add(None, prefix + name, "Member must not be null")
        for name, check in members:
            sub = value.get(name)
            if sub is not None:
                check(sub, prefix + name, report)

    return check_structure


def _compile_list(shape: ListShape) -> Check:
    lengths = _length_checks(shape.metadata)
    check_item = _compile(shape.member)

    def check_list(value: Any, path: str, report: Report) -> None:
        if not isinstance(value, list):
            report.add(value, path, "Member must be a list")
            return
        for bound, is_minimum, constraint in lengths:
            if len(value) < bound if is_minimum else len(value) > bound:
                report.add(value, path, constraint)
        for i, item in enumerate(value, start=1):
            if report.full:  # counting only: no paths
                for rest in value[i - 1 :]:
                    if rest is None:
                        report.count += 1
                    else:
                        check_item(rest, "", report)
                return
            if item is None:
                report.add(None, f"{path}.{i}.member", "Member must not be null")
            else:
                check_item(item, f"{path}.{i}.member", report)

    return check_list


def _compile_string(shape: Shape, named: bool) -> Check:
    lengths = _length_checks(shape.metadata)
    enum: list[str] = getattr(shape, "enum", None) or []
    allowed = frozenset(enum)
    enum_constraint = f"Member must satisfy enum value set: [{', '.join(enum)}]"
    numeric = shape.name if shape.name in NUMERIC_SHAPES else None

    def check_string(value: Any, path: str, report: Report) -> None:
        if not isinstance(value, str):
            report.add(value, path, "Member must be a string")
            return
        if lengths:
            size = utf16_length(value)
            for bound, is_minimum, constraint in lengths:
                if size < bound if is_minimum else size > bound:
                    report.add(value, path, constraint)
        if allowed and value not in allowed:
            report.add(value, path, enum_constraint)
        broken = numeric_error(value, numeric) if numeric else None
        if named:
            broken = name_error(value)
        if broken:
            report.add(value, path, broken)

    return check_string


def _compile_integer(shape: Shape) -> Check:
    meta = shape.metadata
    low: int | None = meta.get("min")
    high: int | None = meta.get("max")

    def check_integer(value: Any, path: str, report: Report) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            report.add(value, path, "Member must be an integer")
            return
        if low is not None and value < low:
            report.add(value, path, f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            report.add(value, path, f"Member must have value less than or equal to {high}")

    return check_integer


def _check_boolean(value: Any, path: str, report: Report) -> None:
    if not isinstance(value, bool):
        report.add(value, path, "Member must be a boolean")


def _check_timestamp(value: Any, path: str, report: Report) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        report.add(value, path, "Member must be a timestamp (epoch seconds)")


def _accept(value: Any, path: str, report: Report) -> None:
    """The model's other kinds (none occur in SWF's inputs) carry no checked constraint."""


def _compile(shape: Shape, named: bool = False) -> Check:
    """The checks of ``shape``, built once: walking botocore's model objects on every
    request cost more than the rest of a typical request's handling. ``named``: the
    value is a name under SWF's name rule (for a task list, its ``name`` is)."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _compile_structure(shape, named)
    if kind == "list":
        assert isinstance(shape, ListShape)
        return _compile_list(shape)
    if kind == "string":
        return _compile_string(shape, named)
    if kind in ("integer", "long"):
        return _compile_integer(shape)
    if kind == "boolean":
        return _check_boolean
    if kind == "timestamp":
        return _check_timestamp
    return _accept


def _accepting_type(shape: Shape, named: bool = False) -> Any:
    """A msgspec type that accepts no value the compiled checks would refuse, in a body
    whose strings hold no character outside the Basic Multilingual Plane (msgspec counts
    a length in code points, SWF in UTF-16 code units: they agree on such strings).

    A body is decoded into it in C; only a body it refuses needs the compiled checks, to
    word the errors. It may refuse more than they do (the checks then find nothing, and
    the body passes), never less.
    """
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for name, member in shape.members.items():
            member_type = _accepting_type(member, _named(shape, name, named))
            if name in shape.required_members:
                fields.append((name, member_type))
            else:
                fields.append((name, member_type | None, None))
        return msgspec.defstruct(shape.name, fields, kw_only=True, omit_defaults=True)
    if kind == "list":
        assert isinstance(shape, ListShape)
        length = msgspec.Meta(min_length=meta.get("min"), max_length=meta.get("max"))
        return Annotated[list[_accepting_type(shape.member)], length]  # type: ignore[misc]
    if kind == "string":
        enum: list[str] = getattr(shape, "enum", None) or []
        if enum:
            low, high = meta.get("min", 0), meta.get("max", float("inf"))
            return Literal[tuple(value for value in enum if low <= len(value) <= high)]
        pattern = (
            NAME_PATTERN
            if named
            else numeric_pattern(shape.name)
            if shape.name in NUMERIC_SHAPES
            else None
        )
        limits = msgspec.Meta(min_length=meta.get("min"), max_length=meta.get("max"))
        return Annotated[str, limits, msgspec.Meta(pattern=pattern)]
    if kind in ("integer", "long"):
        return Annotated[int, msgspec.Meta(ge=meta.get("min"), le=meta.get("max"))]
    if kind == "boolean":
        return bool
    if kind == "timestamp":
        return float
    return Any


@functools.cache
def _input_checks(op_name: str) -> tuple[Any, Check]:
    """The operation's input type and checks (an unknown operation is a ProtocolFault)."""
    shape = operation(op_name).input_shape
    if shape is None:
        return dict[str, Any], _accept
    return _accepting_type(shape), _compile(shape)


@functools.cache
def _decoder(op_name: str) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(_input_checks(op_name)[0])


def _malformed(message: str) -> NoReturn:
    raise ProtocolFault("SerializationException", message)


def _check_utf8(raw: bytes) -> None:
    """Refuse a body that is not UTF-8, in the server's own words, whatever the JSON
    decoder would make of it (decoders differ in what they check, and how they say it)."""
    if raw.isascii():  # no allocation, and the common case
        return
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _malformed(
            f"Request body is not valid UTF-8: byte {raw[exc.start]:#04x} at offset {exc.start}"
        )


def _decode_any(raw: bytes) -> Any:
    """The request body as JSON values (an empty body is an empty object)."""
    if not raw.strip():
        return {}
    try:
        return msgspec.json.decode(raw)
    except RecursionError:
        _malformed("Request body nests arrays and objects too deeply to be read")
    except msgspec.DecodeError as exc:
        _malformed(f"Malformed JSON: {exc}")


def decode_request(op_name: str, raw: bytes) -> dict[str, Any]:
    """Decode and check the body of a request to ``op_name``; return it as a dict.

    A body the operation's type accepts is decoded in C, into objects for the members the
    model knows only. The rest are decoded as plain JSON and checked in Python, to word
    what is wrong with them.

    Raises:
        ProtocolFault: unknown operation, a body that is not UTF-8, not JSON or not a JSON
            object (SerializationException).
        ValidationFault: the broken constraints, counted, the first ``MAX_REPORTED`` named.
    """
    decoder = _decoder(op_name)
    _, check = _input_checks(op_name)
    _check_utf8(raw)
    decoded: Any = None
    try:
        decoded = decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        body = _decode_any(raw)
    else:
        body = msgspec.to_builtins(decoded)
        # a string outside the Basic Multilingual Plane (or an escape that may spell one)
        # can only be in a body that is not plain ASCII: only then may lengths disagree
        if raw.isascii() and b"\\u" not in raw:
            return body  # type: ignore[no-any-return]
    if not isinstance(body, dict):
        _malformed(f"Request body must be a JSON object, not {_kind(body)}")
    report = Report()
    check(body, "", report)
    if report.count:
        # freed here, in the thread that decoded it, not later by whoever handles the
        # fault (the fault's traceback would keep this frame, and the body, alive)
        del body, decoded
        raise_if(report)
    valid: dict[str, Any] = body
    return valid


def _kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


def raise_if(report: Report) -> None:
    """Raise the report's ValidationFault, if it found anything."""
    if report.count:
        noun = "error" if report.count == 1 else "errors"
        more = report.count - len(report.messages)
        tail = f"; and {more} more" if more else ""
        raise ValidationFault(
            f"{report.count} validation {noun} detected: " + "; ".join(report.messages) + tail
        )


def invalid(value: Any, path: str, constraint: str) -> ValidationFault:
    """A one-error ValidationFault in the same words as the model checks."""
    return ValidationFault("1 validation error detected: " + _error(value, path, constraint))
