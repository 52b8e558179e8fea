"""The validator itself: it must catch what botocore's own validator lets through."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.validate import ParamValidator

from .validation import OutputValidator, Problem, service_model, validate_wire_response

HEADERS = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "r-1"}


def history(**attributes: Any) -> dict[str, Any]:
    event = {
        "eventId": 1,
        "eventTimestamp": 1_700_000_000.5,
        "eventType": "TimerFired",
        "timerFiredEventAttributes": {"timerId": "t", "startedEventId": 5, **attributes},
    }
    return {"events": [event]}


def problems(operation: str, body: object) -> list[Problem]:
    raw = json.dumps(body).encode()
    return validate_wire_response(operation, 200, HEADERS, raw)[1]


def test_a_valid_body_has_no_problems() -> None:
    assert problems("GetWorkflowExecutionHistory", history()) == []


@pytest.mark.parametrize(
    ("body", "path", "fragment"),
    [
        pytest.param(
            {"events": [{**history()["events"][0], "eventType": "TimerFiredd"}]},
            "events[0].eventType",
            "not one of the model's values",
            id="unknown-enum",
        ),
        pytest.param(
            history(timerId="t" * 257),
            "events[0].timerFiredEventAttributes.timerId",
            "length 257 outside [1, 256]",
            id="over-long-string",
        ),
        pytest.param(
            history(timerId=""),
            "events[0].timerFiredEventAttributes.timerId",
            "length 0 outside [1, 256]",
            id="under-short-string",
        ),
        pytest.param(
            {"events": [{"eventId": 1, "eventType": "TimerFired"}]},
            "events[0]",
            "missing required member 'eventTimestamp'",
            id="missing-required",
        ),
        pytest.param(
            history(startedEventId=True),
            "events[0].timerFiredEventAttributes.startedEventId",
            "is not ['integer']",
            id="bool-as-integer",
        ),
        pytest.param(
            history(startedEventId=5.0),
            "events[0].timerFiredEventAttributes.startedEventId",
            "is not ['integer']",
            id="float-as-integer",
        ),
        pytest.param(
            {"events": [{**history()["events"][0], "eventTimestamp": "2024-01-01"}]},
            "events[0].eventTimestamp",
            "epoch seconds",
            id="iso-timestamp-on-wire",
        ),
        pytest.param(
            history(extra=1),
            "events[0].timerFiredEventAttributes",
            "unknown member 'extra'",
            id="unknown-member",
        ),
        pytest.param({"events": None}, "events", "is not ['array']", id="null-list"),
    ],
)
def test_each_problem_is_reported_with_its_path(body: object, path: str, fragment: str) -> None:
    found = problems("GetWorkflowExecutionHistory", body)
    assert any(p.path == path and fragment in p.message for p in found), found


def test_botocore_alone_misses_enums_and_max_lengths() -> None:
    """Why the validator exists: the same bad body passes botocore's ParamValidator."""
    shape = service_model().operation_model("GetWorkflowExecutionHistory").output_shape
    assert shape is not None
    body = {"events": [{**history(timerId="t" * 300)["events"][0], "eventType": "Nope"}]}
    body["events"][0]["eventTimestamp"] = 1_700_000_000
    assert not ParamValidator().validate(body, shape).has_errors()
    assert len(OutputValidator().problems(body, shape)) == 2


def test_integer_bounds() -> None:
    body = {
        "openActivityTasks": 0,
        "openDecisionTasks": 2,
        "openTimers": 0,
        "openChildWorkflowExecutions": 0,
    }
    found = OutputValidator().problems(
        body, service_model().shape_for("WorkflowExecutionOpenCounts")
    )
    assert [p.path for p in found] == ["openDecisionTasks"]


def test_list_max_length() -> None:
    shape = service_model().shape_for("ResourceTagList")
    assert OutputValidator().problems([{"key": "k"}] * 51, shape) == []
    assert OutputValidator().problems([{"key": ""}], shape)[0].path == "[0].key"


def test_an_operation_without_output_must_be_empty() -> None:
    assert problems("RegisterDomain", {}) == []
    assert problems("RegisterDomain", {"ok": True}) != []
    assert validate_wire_response("RegisterDomain", 200, HEADERS, b"")[1] == []


def test_wire_headers_are_checked() -> None:
    found = validate_wire_response("RegisterDomain", 200, {"Content-Type": "text/html"}, b"{}")[1]
    assert {p.path for p in found} == {"<headers>.Content-Type", "<headers>.x-amzn-RequestId"}


def fault(fault_type: str, status: int = 400, **members: Any) -> list[Problem]:
    body = json.dumps({"__type": fault_type, "message": "m", **members}).encode()
    return validate_wire_response("DescribeDomain", status, HEADERS, body)[1]


def test_declared_fault_is_accepted() -> None:
    assert fault("com.amazonaws.swf.base.model#UnknownResourceFault") == []
    assert fault("com.amazon.coral.validate#ValidationException") == []


def test_undeclared_fault_is_reported() -> None:
    # DescribeDomain cannot return DomainAlreadyExistsFault: its model says so.
    [problem] = fault("com.amazonaws.swf.base.model#DomainAlreadyExistsFault")
    assert problem.path == "__type"


def test_server_errors_are_reported() -> None:
    found = fault("com.amazonaws.swf.base.model#UnknownResourceFault", status=500)
    assert [p.path for p in found] == ["<status>"]


def test_only_a_body_too_large_is_413() -> None:
    too_large = "com.amazon.coral.service#RequestEntityTooLargeException"
    assert fault(too_large, status=413) == []
    assert [p.path for p in fault(too_large)] == ["<status>"]
    found = fault("com.amazonaws.swf.base.model#UnknownResourceFault", status=413)
    assert [p.path for p in found] == ["<status>"]


def test_fault_members_are_validated() -> None:
    [problem] = fault("com.amazonaws.swf.base.model#UnknownResourceFault", extra="x")
    assert "unknown member" in problem.message


def test_cli_output_may_carry_iso_timestamps() -> None:
    shape = service_model().operation_model("GetWorkflowExecutionHistory").output_shape
    body = {"events": [{**history()["events"][0], "eventTimestamp": "2024-01-01T00:00:00+00:00"}]}
    assert OutputValidator(timestamps="epoch-or-iso").problems(body, shape) == []
    assert OutputValidator(timestamps="epoch").problems(body, shape) != []


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        (
            "PollForDecisionTask",
            {"taskToken": "", "startedEventId": 0, "previousStartedEventId": 0},
        ),
        ("PollForDecisionTask", {"startedEventId": 0, "previousStartedEventId": 0}),
        ("PollForActivityTask", {"taskToken": "", "startedEventId": 0}),
        ("PollForActivityTask", {}),
    ],
    ids=["decision", "decision-no-token", "activity", "activity-bare"],
)
def test_an_empty_poll_answer_is_valid(operation: str, body: dict[str, Any]) -> None:
    assert problems(operation, body) == []


@pytest.mark.parametrize(
    ("operation", "body", "path", "fragment"),
    [
        pytest.param(
            "PollForDecisionTask",
            {"taskToken": "", "startedEventId": 0, "events": []},
            "events",
            "a member of a task in an empty poll answer",
            id="task-member",
        ),
        pytest.param(
            "PollForActivityTask",
            {"taskToken": "", "startedEventId": 7},
            "startedEventId",
            "7 is not 0",
            id="non-zero-counter",
        ),
        pytest.param(
            "PollForActivityTask",
            {"taskToken": "", "startedEventId": False},
            "startedEventId",
            "False is not 0",
            id="boolean-counter",
        ),
        pytest.param(
            "PollForDecisionTask",
            {"taskToken": "t", "startedEventId": 0},
            "",
            "missing required member 'events'",
            id="a-task-is-checked-in-full",
        ),
    ],
)
def test_the_empty_poll_exemption_is_narrow(
    operation: str, body: dict[str, Any], path: str, fragment: str
) -> None:
    found = problems(operation, body)
    assert any(p.path == path and fragment in p.message for p in found), found
