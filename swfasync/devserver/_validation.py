"""Request validation against botocore's SWF model: required members, types, lengths,
enums and integer ranges, reported the way SWF's front end (Coral) reports them."""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
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


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, value: Any, path: str, constraint: str) -> None:
        self.errors.append(
            f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}"
        )


def _check(shape: Shape, value: Any, path: str, out: _Collector) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            out.add(value, path, "Member must be a structure")
            return
        for req in shape.required_members:
            if value.get(req) is None:
                out.add(None, f"{path}.{req}" if path else req, "Member must not be null")
        for name, member in shape.members.items():
            sub = value.get(name)
            if sub is not None:
                _check(member, sub, f"{path}.{name}" if path else name, out)
        return
    if kind == "list":
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            out.add(value, path, "Member must be a list")
            return
        if "min" in meta and len(value) < meta["min"]:
            out.add(value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.add(value, path, f"Member must have length less than or equal to {meta['max']}")
        for i, item in enumerate(value):
            if item is None:
                out.add(None, f"{path}.{i + 1}.member", "Member must not be null")
            else:
                _check(shape.member, item, f"{path}.{i + 1}.member", out)
        return
    if kind == "string":
        if not isinstance(value, str):
            out.add(value, path, "Member must be a string")
            return
        if "min" in meta and len(value) < meta["min"]:
            out.add(value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            out.add(value, path, f"Member must have length less than or equal to {meta['max']}")
        enum: list[str] = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            out.add(value, path, f"Member must satisfy enum value set: [{', '.join(enum)}]")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.add(value, path, "Member must be an integer")
            return
        if "min" in meta and value < meta["min"]:
            out.add(value, path, f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            out.add(value, path, f"Member must have value less than or equal to {meta['max']}")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            out.add(value, path, "Member must be a boolean")
        return
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.add(value, path, "Member must be a timestamp (epoch seconds)")
        return


def validate_request(op_name: str, body: Any) -> dict[str, Any]:
    """Check ``body`` against the input shape of ``op_name``; return it as a dict.

    Raises:
        ProtocolFault: unknown operation or a body that is not a JSON object.
        ValidationFault: every broken constraint, in one message.
    """
    op = operation(op_name)
    if not isinstance(body, dict):
        raise ProtocolFault("SerializationException", "Request body must be a JSON object")
    out = _Collector()
    if op.input_shape is not None:
        _check(op.input_shape, body, "", out)
    raise_if(out.errors)
    return body


def raise_if(errors: list[str]) -> None:
    if errors:
        n = len(errors)
        noun = "error" if n == 1 else "errors"
        raise ValidationFault(f"{n} validation {noun} detected: " + "; ".join(errors))


def invalid(value: Any, path: str, constraint: str) -> ValidationFault:
    """A one-error ValidationFault in the same words as the model checks."""
    return ValidationFault(
        f"1 validation error detected: Value {_show(value)} at '{path}' "
        f"failed to satisfy constraint: {constraint}"
    )
