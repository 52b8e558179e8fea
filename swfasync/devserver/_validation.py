"""Request validation against botocore's SWF model: required members, types, lengths,
enums and integer ranges, reported the way SWF's front end (Coral) reports them.

Both stages are built once per operation from the model: a msgspec type that passes a
valid body in C, and Python checks that word every error of a body it refuses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, Literal

import botocore.session
import msgspec
from botocore.model import ListShape, OperationModel, ServiceModel, Shape, StructureShape

from ._faults import ProtocolFault, ValidationFault


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


# A compiled check: (value, path, errors) appends a message for every broken constraint.
Check = Callable[[Any, str, list[str]], None]


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


def _compile_structure(shape: StructureShape) -> Check:
    required = tuple(shape.required_members)
    members = tuple((name, _compile(member)) for name, member in shape.members.items())

    def check_structure(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            errors.append(_error(value, path, "Member must be a structure"))
            return
        prefix = path + "." if path else ""
        errors.extend(
            _error(None, prefix + name, "Member must not be null")
            for name in required
            if value.get(name) is None
        )
        for name, check in members:
            sub = value.get(name)
            if sub is not None:
                check(sub, prefix + name, errors)

    return check_structure


def _compile_list(shape: ListShape) -> Check:
    lengths = _length_checks(shape.metadata)
    check_item = _compile(shape.member)

    def check_list(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, list):
            errors.append(_error(value, path, "Member must be a list"))
            return
        for bound, is_minimum, constraint in lengths:
            if len(value) < bound if is_minimum else len(value) > bound:
                errors.append(_error(value, path, constraint))
        for i, item in enumerate(value, start=1):
            if item is None:
                errors.append(_error(None, f"{path}.{i}.member", "Member must not be null"))
            else:
                check_item(item, f"{path}.{i}.member", errors)

    return check_list


def _compile_string(shape: Shape) -> Check:
    lengths = _length_checks(shape.metadata)
    enum: list[str] = getattr(shape, "enum", None) or []
    allowed = frozenset(enum)
    enum_constraint = f"Member must satisfy enum value set: [{', '.join(enum)}]"

    def check_string(value: Any, path: str, errors: list[str]) -> None:
        if not isinstance(value, str):
            errors.append(_error(value, path, "Member must be a string"))
            return
        for bound, is_minimum, constraint in lengths:
            if len(value) < bound if is_minimum else len(value) > bound:
                errors.append(_error(value, path, constraint))
        if allowed and value not in allowed:
            errors.append(_error(value, path, enum_constraint))

    return check_string


def _compile_integer(shape: Shape) -> Check:
    meta = shape.metadata
    low: int | None = meta.get("min")
    high: int | None = meta.get("max")

    def check_integer(value: Any, path: str, errors: list[str]) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(_error(value, path, "Member must be an integer"))
            return
        if low is not None and value < low:
            errors.append(
                _error(value, path, f"Member must have value greater than or equal to {low}")
            )
        if high is not None and value > high:
            errors.append(
                _error(value, path, f"Member must have value less than or equal to {high}")
            )

    return check_integer


def _check_boolean(value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(value, bool):
        errors.append(_error(value, path, "Member must be a boolean"))


def _check_timestamp(value: Any, path: str, errors: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(_error(value, path, "Member must be a timestamp (epoch seconds)"))


def _accept(value: Any, path: str, errors: list[str]) -> None:
    """The model's other kinds (none occur in SWF's inputs) carry no checked constraint."""


def _compile(shape: Shape) -> Check:
    """The checks of ``shape``, built once: walking botocore's model objects on every
    request cost more than the rest of a typical request's handling."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _compile_structure(shape)
    if kind == "list":
        assert isinstance(shape, ListShape)
        return _compile_list(shape)
    if kind == "string":
        return _compile_string(shape)
    if kind in ("integer", "long"):
        return _compile_integer(shape)
    if kind == "boolean":
        return _check_boolean
    if kind == "timestamp":
        return _check_timestamp
    return _accept


def _accepting_type(shape: Shape) -> Any:
    """A msgspec type that accepts no value the compiled checks would refuse.

    ``msgspec.convert`` checks a body against it in C; only a body it refuses needs the
    compiled checks, to word the errors. It may refuse more than they do (the checks then
    find nothing, and the body passes), never less.
    """
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for name, member in shape.members.items():
            member_type = _accepting_type(member)
            if name in shape.required_members:
                fields.append((name, member_type))
            else:
                fields.append((name, member_type | None, None))
        return msgspec.defstruct(shape.name, fields, kw_only=True)
    if kind == "list":
        assert isinstance(shape, ListShape)
        length = msgspec.Meta(min_length=meta.get("min"), max_length=meta.get("max"))
        return Annotated[list[_accepting_type(shape.member)], length]  # type: ignore[misc]
    if kind == "string":
        enum: list[str] = getattr(shape, "enum", None) or []
        if enum:
            low, high = meta.get("min", 0), meta.get("max", float("inf"))
            return Literal[tuple(value for value in enum if low <= len(value) <= high)]
        return Annotated[str, msgspec.Meta(min_length=meta.get("min"), max_length=meta.get("max"))]
    if kind in ("integer", "long"):
        return Annotated[int, msgspec.Meta(ge=meta.get("min"), le=meta.get("max"))]
    if kind == "boolean":
        return bool
    if kind == "timestamp":
        return float
    return Any


@functools.cache
def _input_checks(op_name: str) -> tuple[Any, Check]:
    shape = operation(op_name).input_shape
    if shape is None:
        return dict[str, Any], _accept
    return _accepting_type(shape), _compile(shape)


def validate_request(op_name: str, body: Any) -> dict[str, Any]:
    """Check ``body`` against the input shape of ``op_name``; return it as a dict.

    Raises:
        ProtocolFault: unknown operation or a body that is not a JSON object.
        ValidationFault: every broken constraint, in one message.
    """
    accepting, check = _input_checks(op_name)
    if not isinstance(body, dict):
        raise ProtocolFault(
            "SerializationException", f"Request body must be a JSON object, not {_kind(body)}"
        )
    try:
        msgspec.convert(body, accepting)
    except msgspec.ValidationError:
        errors: list[str] = []
        check(body, "", errors)
        raise_if(errors)
    return body


def _kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


def raise_if(errors: list[str]) -> None:
    if errors:
        n = len(errors)
        noun = "error" if n == 1 else "errors"
        raise ValidationFault(f"{n} validation {noun} detected: " + "; ".join(errors))


def invalid(value: Any, path: str, constraint: str) -> ValidationFault:
    """A one-error ValidationFault in the same words as the model checks."""
    return ValidationFault("1 validation error detected: " + _error(value, path, constraint))
