"""The request checks compiled from the constraints generated into the wire Structs: each
kind of constraint at its limit and one past it, lengths in UTF-16 code units, nested
paths, wrong types and required members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from swfasync._wire import api
from swfasync._wire import decisions as d
from swfasync._wire.common import ActivityType, Request, TaskList, WorkflowType
from swfasync._wire.validation import check_request, checker_of
from swfasync.exceptions import PayloadTooLargeError, SwfValidationError

ASTRAL = "\U0001f600"  # outside the Basic Multilingual Plane: two UTF-16 code units
FLOW = WorkflowType(name="Flow", version="1")
STEP = ActivityType(name="Step", version="1")


def bad(value: Any) -> Any:
    """A value of a type the annotation does not allow (to build a Struct with it)."""
    return value


def start(**members: Any) -> api.StartWorkflowExecutionInput:
    return api.StartWorkflowExecutionInput(
        **{"domain": "d", "workflow_id": "w", "workflow_type": FLOW, **members}
    )


def poll(**members: Any) -> api.PollForDecisionTaskInput:
    return api.PollForDecisionTaskInput(
        **{"domain": "d", "task_list": TaskList(name="t"), **members}
    )


def completed(*decisions: Any) -> api.RespondDecisionTaskCompletedInput:
    return api.RespondDecisionTaskCompletedInput(task_token="tok", decisions=list(decisions))


def schedule(activity_id: str = "a1", **members: Any) -> d.ScheduleActivityTask:
    attributes = d.ScheduleActivityTaskDecisionAttributes(
        **{"activity_type": STEP, "activity_id": activity_id, **members}
    )
    return d.ScheduleActivityTask(attributes=attributes)


def timer(timer_id: str = "t1", fire: str = "5") -> d.StartTimer:
    return d.StartTimer(
        attributes=d.StartTimerDecisionAttributes(timer_id=timer_id, start_to_fire_timeout=fire)
    )


@dataclass(frozen=True)
class Refused:
    field: str
    rule: str
    size: int | None = None
    limit: int | None = None
    error: type[SwfValidationError] = SwfValidationError


SA = "scheduleActivityTaskDecisionAttributes"

CASES: list[tuple[str, Request[Any], Refused | None]] = [
    # string lengths, in UTF-16 code units
    ("id at its limit", start(workflow_id="w" * 256), None),
    ("id one past", start(workflow_id="w" * 257), Refused("workflowId", "length", 257, 256)),
    ("astral id at its limit", start(workflow_id=ASTRAL * 128), None),
    (
        "astral id one past",
        start(workflow_id=ASTRAL * 128 + "w"),
        Refused("workflowId", "length", 257, 256),
    ),
    ("version at its limit", start(workflow_type=WorkflowType(name="F", version="v" * 64)), None),
    (
        "astral version one past",
        start(workflow_type=WorkflowType(name="F", version=ASTRAL * 32 + "v")),
        Refused("workflowType.version", "length", 65, 64),
    ),
    ("identity at its limit", poll(identity=ASTRAL * 128), None),
    (
        "identity one past",
        poll(identity=ASTRAL * 128 + "i"),
        Refused("identity", "length", 257, 256),
    ),
    ("minimum length met", api.RecordActivityTaskHeartbeatInput(task_token="t"), None),
    (
        "under the minimum length",
        api.RecordActivityTaskHeartbeatInput(task_token=""),
        Refused("taskToken", "length", 0, 1),
    ),
    # payloads
    (
        "payload at its limit",
        api.RespondActivityTaskCompletedInput(task_token="t", result=ASTRAL * 16384),
        None,
    ),
    (
        "payload one past",
        api.RespondActivityTaskCompletedInput(task_token="t", result=ASTRAL * 16384 + "x"),
        Refused("result", "length", 32769, 32768, PayloadTooLargeError),
    ),
    (
        "heartbeat details at their limit",
        api.RecordActivityTaskHeartbeatInput(task_token="t", details="d" * 2048),
        None,
    ),
    (
        "heartbeat details one past",
        api.RecordActivityTaskHeartbeatInput(task_token="t", details="d" * 2049),
        Refused("details", "length", 2049, 2048, PayloadTooLargeError),
    ),
    (
        "reason one past",
        api.RespondActivityTaskFailedInput(task_token="t", reason="r" * 257),
        Refused("reason", "length", 257, 256, PayloadTooLargeError),
    ),
    # integer ranges
    ("page size at its maximum", poll(maximum_page_size=1000), None),
    ("page size at its minimum", poll(maximum_page_size=0), None),
    (
        "page size one past",
        poll(maximum_page_size=1001),
        Refused("maximumPageSize", "range", 1001, 1000),
    ),
    ("page size one under", poll(maximum_page_size=-1), Refused("maximumPageSize", "range", -1, 0)),
    # list lengths, and the items' own
    ("five tags", start(tag_list=["t"] * 5), None),
    ("six tags", start(tag_list=["t"] * 6), Refused("tagList", "length", 6, 5)),
    ("a tag at its limit", start(tag_list=["a", ASTRAL * 128]), None),
    ("a tag one past", start(tag_list=["a", "t" * 257]), Refused("tagList[1]", "length", 257, 256)),
    # durations: 8 digits; NONE where the shape is the optional one
    ("8-digit duration", start(execution_start_to_close_timeout="99999999"), None),
    (
        "9-digit duration",
        start(execution_start_to_close_timeout="100000000"),
        Refused("executionStartToCloseTimeout", "digits", 9, 8),
    ),
    ("NONE where optional", completed(schedule(heartbeat_timeout="NONE")), None),
    (
        "NONE where not",
        completed(timer(fire="NONE")),
        Refused("decisions[0].startTimerDecisionAttributes.startToFireTimeout", "range"),
    ),
    (
        "not a number",
        completed(timer(fire="5s")),
        Refused("decisions[0].startTimerDecisionAttributes.startToFireTimeout", "integer"),
    ),
    (
        "retention NONE",
        api.RegisterDomainInput(name="d", workflow_execution_retention_period_in_days="NONE"),
        Refused("workflowExecutionRetentionPeriodInDays", "range"),
    ),
    # priorities: Java's int
    ("highest priority", start(task_priority="2147483647"), None),
    ("lowest priority", start(task_priority="-2147483648"), None),
    (
        "priority one past",
        start(task_priority="2147483648"),
        Refused("taskPriority", "range", 2147483648, 2147483647),
    ),
    ("priority not a number", start(task_priority="high"), Refused("taskPriority", "integer")),
    # the name rule, where the model's documentation states it
    ("a colon in an id", start(workflow_id="a:b"), Refused("workflowId", "characters")),
    ("an id that is arn", start(workflow_id="arn"), Refused("workflowId", "characters")),
    ("a control character", start(domain="d\x7f"), Refused("domain", "characters")),
    (
        "a task list with a slash",
        poll(task_list=TaskList(name="a/b")),
        Refused("taskList.name", "characters"),
    ),
    (
        "a task list with a space around",
        poll(task_list=TaskList(name="t ")),
        Refused("taskList.name", "characters"),
    ),
    ("an id with a space around", start(workflow_id=" w"), None),
    ("a colon where no rule is stated", completed(schedule(control="a:b|c")), None),
    # enums
    ("a known child policy", start(child_policy="ABANDON"), None),
    ("an unknown child policy", start(child_policy=bad("KEEP")), Refused("childPolicy", "enum")),
    # nested paths
    (
        "the third decision's id",
        completed(schedule("a1"), timer(), schedule("a:3")),
        Refused(f"decisions[2].{SA}.activityId", "characters"),
    ),
    (
        "a decision's task list",
        completed(timer(), schedule(task_list=TaskList(name=" "))),
        Refused(f"decisions[1].{SA}.taskList.name", "characters"),
    ),
    (
        "a decision's astral input one past",
        completed(schedule(input=ASTRAL * 16385)),
        Refused(f"decisions[0].{SA}.input", "length", 32770, 32768, PayloadTooLargeError),
    ),
    (
        "a sticky task list's empty name",
        api.RespondDecisionTaskCompletedInput(task_token="t", task_list=TaskList(name="")),
        Refused("taskList.name", "length", 0, 1),
    ),
    # wrong types and required members
    ("an int for a string", start(domain=bad(5)), Refused("domain", "type")),
    ("None for a required member", start(workflow_id=bad(None)), Refused("workflowId", "type")),
    ("a dict for a Struct", poll(task_list=bad({"name": "t"})), Refused("taskList", "type")),
    ("a bool for an int", poll(maximum_page_size=bad(True)), Refused("maximumPageSize", "type")),
    ("a string for a bool", poll(reverse_order=bad("yes")), Refused("reverseOrder", "type")),
    ("a bool", poll(reverse_order=True), None),
    (
        "a dict for a decision",
        completed(timer(), bad({"decisionType": "StartTimer"})),
        Refused("decisions[1]", "type"),
    ),
    ("None for a decision", completed(bad(None)), Refused("decisions[0]", "type")),
    (
        "a dict for the decisions",
        api.RespondDecisionTaskCompletedInput(task_token="t", decisions=bad({})),
        Refused("decisions", "type"),
    ),
    ("an int tag", start(tag_list=bad(["a", 7])), Refused("tagList[1]", "type")),
    (
        "a nested required member",
        completed(schedule(activity_type=bad(None))),
        Refused(f"decisions[0].{SA}.activityType", "type"),
    ),
    (
        "bytes for a payload",
        completed(schedule(input=bad(b"[1]"))),
        Refused(f"decisions[0].{SA}.input", "type"),
    ),
    (
        "an int for a duration",
        completed(timer(fire=bad(5))),
        Refused("decisions[0].startTimerDecisionAttributes.startToFireTimeout", "type"),
    ),
    ("ten decisions", completed(*[schedule(f"a{i}") for i in range(10)]), None),
]


@pytest.mark.parametrize(("request_", "refused"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_constraint(request_: Request[Any], refused: Refused | None) -> None:
    if refused is None:
        check_request(request_)
        return
    with pytest.raises(SwfValidationError) as caught:
        check_request(request_)
    error = caught.value
    assert type(error) is refused.error
    assert (error.field, error.rule) == (refused.field, refused.rule), str(error)
    if refused.size is not None or refused.limit is not None:
        assert (error.size, error.limit) == (refused.size, refused.limit), str(error)
    assert refused.field in str(error) or refused.field.rsplit(".", 1)[-1] in str(error)


def test_the_refused_value_is_carried() -> None:
    with pytest.raises(SwfValidationError) as caught:
        check_request(completed(timer(), schedule("a|b")))
    assert caught.value.value == "a|b"


@pytest.mark.parametrize("operation", sorted(api.REQUESTS))
def test_every_request_type_compiles(operation: str) -> None:
    assert callable(checker_of(api.REQUESTS[operation]))


def test_a_decision_list_in_a_tuple_passes() -> None:
    request = api.RespondDecisionTaskCompletedInput(
        task_token="t", decisions=bad((schedule("a1"), timer()))
    )
    check_request(request)
