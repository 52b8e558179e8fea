"""botocore's parameter validation, compiled once per input shape.

botocore's ``ParamValidator`` walks the service model on every call: per member it looks
the shape up, dispatches by name, formats the member's dotted path and collects a report.
A worker answering thousands of tasks a second pays that walk for every decision list.
:class:`ParamChecker` turns an input shape into nested predicates once, each holding only
what botocore checks at that node: the Python types accepted, required and known members,
``min`` lengths and values. A call that passes costs a few isinstance checks per value.

A call that fails goes to botocore's own validator for the report, so the
``ParamValidationError`` raised carries exactly the lines the aiobotocore client's would;
the predicates decide only whether there is something to report. They accept exactly what
``ParamValidator`` accepts for the shape types the worker's SWF operations use (structures,
lists, strings, integers, booleans); a shape of any other kind (timestamps, maps, blobs,
floats, documents, unions) is refused when the checker is built rather than checked
loosely.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from botocore.exceptions import ParamValidationError
from botocore.utils import is_json_value_header
from botocore.validate import ParamValidator

Predicate = Callable[[Any], bool]

# The Python types botocore's ParamValidator accepts for a list shape.
LIST_TYPES: Final = (list, tuple)


class UnsupportedShapeError(TypeError):
    """An input shape holds a kind of value the compiled checker does not cover."""

    def __init__(self, shape: Any) -> None:
        super().__init__(
            f"cannot compile a parameter check for shape {shape.name!r} of type "
            f"{shape.type_name!r}: only structure, list, string, integer and "
            "boolean shapes are covered"
        )
        self.shape_name: str = shape.name
        self.type_name: str = shape.type_name


class ParamChecker:
    """Refuses exactly the parameters botocore's client refuses for one input shape.

    Build it once per operation: ``ParamChecker(operation_model.input_shape)``, then
    ``checker.check(params)`` per call.
    """

    def __init__(self, shape: Any) -> None:
        self.shape = shape
        self._accepts = compile_predicate(shape)

    def check(self, params: dict[str, Any]) -> None:
        """Raise botocore's ``ParamValidationError`` for what botocore would refuse."""
        if self._accepts(params):
            return
        # botocore has the last word: the report is its own, and a value it finds nothing
        # wrong with is let through.
        report = ParamValidator().validate(params, self.shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())


def compile_predicate(shape: Any) -> Predicate:
    """A function telling whether botocore's ParamValidator finds nothing wrong with a value
    of ``shape``."""
    special = (
        getattr(shape, "is_document_type", False)
        or getattr(shape, "is_tagged_union", False)
        or is_json_value_header(shape)
    )
    if special:
        raise UnsupportedShapeError(shape)
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape)
    if kind == "list":
        return _list(shape)
    if kind == "string":
        return _string(_minimum(shape))
    if kind == "integer":
        return _bounded(_minimum(shape))
    if kind == "boolean":
        return _instance_of(bool)
    raise UnsupportedShapeError(shape)


def _minimum(shape: Any) -> int | None:
    # botocore's range_check: the model's ``min``, else 1 for members bound to the host name.
    if "min" in shape.metadata:
        return int(shape.metadata["min"])
    if shape.serialization.get("hostLabel"):
        return 1
    return None


def _instance_of(kind: type) -> Predicate:
    def accepts(value: Any) -> bool:
        return isinstance(value, kind)

    return accepts


def _string(minimum: int | None) -> Predicate:
    if minimum is None:
        return _instance_of(str)

    def accepts(value: Any) -> bool:
        return isinstance(value, str) and len(value) >= minimum

    return accepts


def _bounded(minimum: int | None) -> Predicate:
    if minimum is None:
        return _instance_of(int)

    def accepts(value: Any) -> bool:
        return isinstance(value, int) and value >= minimum

    return accepts


def _list(shape: Any) -> Predicate:
    item_accepts = compile_predicate(shape.member)
    minimum = _minimum(shape) or 0

    def accepts(value: Any) -> bool:
        if not isinstance(value, LIST_TYPES) or len(value) < minimum:
            return False
        return all(item_accepts(item) for item in value)

    return accepts


def _structure(shape: Any) -> Predicate:
    required = tuple(shape.metadata.get("required", ()))
    members = {name: compile_predicate(member) for name, member in shape.members.items()}

    def accepts(value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            member_accepts = members.get(name)
            if member_accepts is None or not member_accepts(item):
                return False
        return True

    return accepts
