"""Validate SWF responses against botocore's model: output shapes, enums, lengths, faults.

botocore's ``ParamValidator`` checks *inputs* and only what a client needs to refuse before
sending: types, required members and minimums. It ignores ``enum`` and ``max`` entirely, treats
``bool`` as an integer, and accepts timestamps in any form a user might pass. A server that
sends ``"eventType": "TimerFiredd"`` or a 300-character ``workflowId`` gets through it.

``OutputValidator`` extends it for *outputs*: it walks an output shape recursively and reports
every unknown member, missing required member, wrong JSON type, enum value outside the model,
string or list length outside ``min``/``max``, integer outside ``min``/``max``, and timestamp
that is not a JSON number (SWF sends epoch seconds). ``validate_wire_response`` adds what a
response is besides its body: the status code, the content type, the request id header, and
for faults the ``__type`` naming one of the faults the operation declares.

One answer is outside what the model can express: a poll that found no task returns an
empty task token and none of the task's required members, as the API reference documents.
``empty_poll_problems`` checks that answer by its own narrow rule instead.

Each problem is a ``Problem(path, message)``; paths look like
``events[3].activityTaskScheduledEventAttributes.activityId``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import botocore.session
from botocore.model import ListShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator, ValidationErrors

__all__ = [
    "EMPTY_POLL_MEMBERS",
    "JSON_CONTENT_TYPE",
    "OutputValidator",
    "Problem",
    "ResponseValidationError",
    "empty_poll_problems",
    "service_model",
    "validate_wire_response",
]

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
#: Faults any SWF operation may return besides the ones its model lists.
COMMON_FAULTS = frozenset(
    {
        "com.amazon.coral.validate#ValidationException",
        "com.amazon.coral.service#UnknownOperationException",
        "com.amazon.coral.availability#ThrottlingException",
        "com.amazon.coral.service#AccessDeniedException",
        "com.amazon.coral.service#UnrecognizedClientException",
        "com.amazon.coral.service#IncompleteSignatureException",
        "com.amazon.coral.service#InvalidSignatureException",
        "com.amazon.coral.service#SerializationException",
        "com.amazon.coral.service#RequestEntityTooLargeException",
        "com.amazon.coral.service#MalformedHttpRequestException",
    }
)
#: The HTTP status of a fault, where it is not 400: a body over the size limit is refused
#: with HTTP's own status for it, before any operation reads it.
FAULT_STATUS: Mapping[str, int] = {"com.amazon.coral.service#RequestEntityTooLargeException": 413}
SWF_FAULT_PREFIX = "com.amazonaws.swf.base.model#"
#: What a poll that found no task may answer, by operation. The API reference: "If no task is
#: available within 60 seconds, the poll returns an empty result. An empty result, in this
#: context, means that an ActivityTask [DecisionTask] is returned, but that the value of
#: taskToken is an empty string." The model cannot say so (taskToken has a minimum length of
#: 1, the task's members are required), so this one answer is checked by its own rule: no
#: token or an empty one, and at most the event-id counters, all zero.
EMPTY_POLL_MEMBERS: Mapping[str, frozenset[str]] = {
    "PollForDecisionTask": frozenset({"taskToken", "startedEventId", "previousStartedEventId"}),
    "PollForActivityTask": frozenset({"taskToken", "startedEventId"}),
}

TimestampMode = Literal["epoch", "epoch-or-iso"]


@cache
def service_model() -> ServiceModel:
    """botocore's SWF model, loaded once per process."""
    return botocore.session.get_session().get_service_model("swf")


@dataclass(frozen=True)
class Problem:
    """One way a response departs from the model: where, and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<body>'}: {self.message}"


class ResponseValidationError(AssertionError):
    """A response that does not conform to botocore's SWF model."""

    def __init__(self, operation: str, problems: list[Problem], body: object) -> None:
        self.operation = operation
        self.problems = problems
        self.body = body
        lines = "\n  ".join(str(p) for p in problems)
        super().__init__(f"{operation} response does not conform to the SWF model:\n  {lines}")


class _Problems(ValidationErrors):
    """botocore's error collector, keeping structured problems as well as its report."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Problem] = []

    def report(self, name: str, reason: str, **kwargs: Any) -> None:
        super().report(name, reason, **kwargs)
        self.problems.append(Problem(name.lstrip("."), _describe(reason, kwargs)))

    def generate_report(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def _describe(reason: str, details: Mapping[str, Any]) -> str:
    if reason == "missing required field":
        return f"missing required member {details['required_name']!r}"
    if reason == "unknown field":
        return f"unknown member {details['unknown_param']!r}"
    if reason == "invalid type":
        param = details["param"]
        return f"{type(param).__name__} {param!r:.80} is not {details['valid_types']}"
    if reason == "invalid enum":
        return f"{details['param']!r} is not one of the model's values {details['valid']}"
    if reason in {"invalid length", "invalid range"}:
        what = "length" if reason == "invalid length" else "value"
        return (
            f"{what} {details['value']} outside [{details['min_allowed']}, "
            f"{details['max_allowed']}] (value {details['param']!r:.80})"
        )
    return f"{reason}: {dict(details)!r:.200}"


class OutputValidator(ParamValidator):
    """botocore's parameter validator, turned to response bodies and made complete.

    Args:
        timestamps: ``"epoch"`` for wire JSON (a number of seconds, as SWF sends it);
            ``"epoch-or-iso"`` for output a client has re-rendered (the AWS CLI may print
            ISO 8601 strings, depending on its ``cli_timestamp_format``).
    """

    def __init__(self, timestamps: TimestampMode = "epoch") -> None:
        self.timestamps = timestamps

    def validate(self, params: Any, shape: Shape | None) -> _Problems:
        """Validate ``params`` against ``shape`` (``None``: an empty output), as botocore does."""
        errors = _Problems()
        if shape is None:
            if params not in ({}, None):
                errors.report("", "invalid type", param=params, valid_types=["empty body"])
        else:
            self._validate(params, shape, errors, "")
        return errors

    def problems(self, body: object, shape: Shape | None) -> list[Problem]:
        """Every problem in ``body`` against ``shape`` (``None``: an empty output)."""
        return self.validate(body, shape).problems

    def _validate(self, params: Any, shape: Shape, errors: _Problems, name: str) -> None:
        getattr(self, f"_validate_{shape.type_name}")(params, shape, errors, name)

    def _validate_structure(
        self, params: Any, shape: StructureShape, errors: _Problems, name: str
    ) -> None:
        if not isinstance(params, dict):
            errors.report(name, "invalid type", param=params, valid_types=["object"])
            return
        for required in shape.required_members:
            if required not in params:
                errors.report(name, "missing required field", required_name=required)
        for key, value in params.items():
            member = shape.members.get(key)
            if member is None:
                errors.report(name, "unknown field", unknown_param=key)
            else:
                self._validate(value, member, errors, f"{name}.{key}")

    def _validate_list(self, param: Any, shape: ListShape, errors: _Problems, name: str) -> None:
        if not isinstance(param, list):
            errors.report(name, "invalid type", param=param, valid_types=["array"])
            return
        _check_bounds(name, len(param), param, shape, "invalid length", errors)
        for i, item in enumerate(param):
            self._validate(item, shape.member, errors, f"{name}[{i}]")

    def _validate_string(self, param: Any, shape: Shape, errors: _Problems, name: str) -> None:
        if not isinstance(param, str):
            errors.report(name, "invalid type", param=param, valid_types=["string"])
            return
        enum = shape.metadata.get("enum")
        if enum and param not in enum:
            errors.report(name, "invalid enum", param=param, valid=list(enum))
        _check_bounds(name, len(param), param, shape, "invalid length", errors)

    def _validate_integer(self, param: Any, shape: Shape, errors: _Problems, name: str) -> None:
        # bool is an int to Python, never to JSON; a float with no fraction is still a float.
        if isinstance(param, bool) or not isinstance(param, int):
            errors.report(name, "invalid type", param=param, valid_types=["integer"])
            return
        _check_bounds(name, param, param, shape, "invalid range", errors)

    _validate_long = _validate_integer

    def _validate_boolean(self, param: Any, shape: Shape, errors: _Problems, name: str) -> None:
        if not isinstance(param, bool):
            errors.report(name, "invalid type", param=param, valid_types=["boolean"])

    def _validate_timestamp(self, param: Any, shape: Shape, errors: _Problems, name: str) -> None:
        if isinstance(param, int | float) and not isinstance(param, bool):
            if not math.isfinite(param) or param < 0:
                errors.report(name, "invalid type", param=param, valid_types=["epoch seconds"])
            return
        if self.timestamps == "epoch-or-iso" and isinstance(param, str):
            if not self._type_check_iso(param):
                errors.report(name, "invalid type", param=param, valid_types=["ISO 8601"])
            return
        errors.report(name, "invalid type", param=param, valid_types=["epoch seconds"])

    @staticmethod
    def _type_check_iso(value: str) -> bool:
        from datetime import datetime

        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True


def _check_bounds(
    name: str, value: int, param: object, shape: Shape, reason: str, errors: _Problems
) -> None:
    low = shape.metadata.get("min", -math.inf)
    high = shape.metadata.get("max", math.inf)
    if not low <= value <= high:
        errors.report(name, reason, param=param, value=value, min_allowed=low, max_allowed=high)


def validate_wire_response(
    operation: OperationModel | str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
) -> tuple[object, list[Problem]]:
    """Check one raw HTTP response to an SWF operation; return the decoded body and problems.

    A success must be ``application/x-amz-json-1.0`` and match the operation's output shape.
    A fault must be HTTP 400 (never 5xx; 413 for a body over the size limit),
    ``{"__type": ..., "message": ...}`` with a ``__type`` that the operation declares (or a
    common coral fault), and its members must match the fault's shape.
    """
    if isinstance(operation, str):
        operation = service_model().operation_model(operation)
    problems: list[Problem] = []
    lowered = {k.lower(): v for k, v in headers.items()}
    content_type = lowered.get("content-type", "")
    if content_type.split(";")[0].strip() != JSON_CONTENT_TYPE:
        problems.append(Problem("<headers>.Content-Type", f"{content_type!r} is not JSON 1.0"))
    if not lowered.get("x-amzn-requestid"):
        problems.append(Problem("<headers>.x-amzn-RequestId", "missing"))
    decoded: object
    try:
        decoded = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        return body, [*problems, Problem("", f"not JSON: {exc}: {body[:200]!r}")]
    if 200 <= status < 300:
        empty = empty_poll_problems(operation.name, decoded)
        if empty is None:
            problems += OutputValidator().problems(decoded, operation.output_shape)
        else:
            problems += empty
        return decoded, problems
    fault_type = decoded.get("__type") if isinstance(decoded, dict) else None
    expected = FAULT_STATUS.get(fault_type, 400) if isinstance(fault_type, str) else 400
    if status != expected:
        problems.append(Problem("<status>", f"HTTP {status}: this fault is HTTP {expected}"))
    problems += fault_problems(operation, decoded)
    return decoded, problems


def empty_poll_problems(operation: str, decoded: object) -> list[Problem] | None:
    """Problems with a poll's empty answer; None if ``decoded`` is not one (no exemption).

    An answer is empty when it carries no task token (absent or ``""``). Any member of a
    real task in it (``events``, ``workflowExecution`` ...) is a problem, not a pass.
    """
    allowed = EMPTY_POLL_MEMBERS.get(operation)
    if allowed is None or not isinstance(decoded, dict) or decoded.get("taskToken"):
        return None
    problems: list[Problem] = []
    for member, value in decoded.items():
        if member not in allowed:
            problems.append(Problem(member, "a member of a task in an empty poll answer"))
        elif member == "taskToken":
            if value != "":
                problems.append(Problem(member, f"{value!r} in an empty poll answer"))
        elif type(value) is not int or value != 0:
            problems.append(Problem(member, f"{value!r} is not 0 in an empty poll answer"))
    return problems


def fault_problems(operation: OperationModel, decoded: object) -> list[Problem]:
    """Problems with a fault body: its ``__type`` and its members."""
    if not isinstance(decoded, dict):
        return [Problem("", f"fault body is not an object: {decoded!r:.200}")]
    fault_type = decoded.get("__type")
    if not isinstance(fault_type, str):
        return [Problem("__type", f"missing or not a string: {fault_type!r}")]
    declared = {shape.name: shape for shape in operation.error_shapes}
    name = fault_type.removeprefix(SWF_FAULT_PREFIX)
    members = {k: v for k, v in decoded.items() if k != "__type"}
    if name in declared and fault_type.startswith(SWF_FAULT_PREFIX):
        return OutputValidator().problems(members, declared[name])
    if fault_type in COMMON_FAULTS:
        problems = []
        if not isinstance(members.get("message"), str):
            problems.append(Problem("message", "missing or not a string"))
        if set(members) - {"message"}:
            problems.append(Problem("", f"unknown members {sorted(set(members) - {'message'})}"))
        return problems
    return [
        Problem(
            "__type",
            f"{fault_type!r} is not a fault {operation.name} declares "
            f"({', '.join(sorted(declared))}) nor a common one",
        )
    ]
