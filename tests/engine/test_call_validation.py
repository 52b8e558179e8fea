"""A command that breaks one of SWF's rules raises at the call inside workflow code: the
workflow can catch it; uncaught, it fails the execution with a reason naming the field, the
size and the limit. A batch SWF would refuse is never decided."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from swfasync import workflow
from swfasync._wire import decisions as d
from swfasync.exceptions import SwfValidationError
from swfasync.testing import WorkflowSimulation

from .helpers import kinds

BIG = "x" * 32_800


async def _activity(**options: Any) -> None:
    await workflow.execute_activity("work", version="1", **options)


async def _child(**options: Any) -> None:
    await workflow.execute_child_workflow("Child", version="1", **options)


async def _continue_as_new_big() -> None:
    workflow.continue_as_new(BIG)


async def _side_effect_big() -> None:
    workflow.side_effect(lambda: BIG)


async def _marker_257() -> None:
    workflow.record_marker("m" * 257)


async def _asyncio_sleep_long() -> None:
    await asyncio.sleep(timedelta(days=2000).total_seconds())


async def _timeout_long() -> None:
    async with asyncio.timeout(1e9):
        await workflow.sleep(1)


# name -> (the call, field, rule, size, limit)
CASES: dict[str, tuple[Callable[[], Awaitable[Any]], str, str, int | None, int | None]] = {
    "sleep negative": (lambda: workflow.sleep(-1), "workflow.sleep duration", "negative", None, 0),
    "sleep 2000 days": (
        lambda: workflow.sleep(timedelta(days=2000)),
        "workflow.sleep duration",
        "digits",
        172_800_000,
        99_999_999,
    ),
    "asyncio.sleep 2000 days": (
        _asyncio_sleep_long,
        "timer start_to_fire_timeout",
        "digits",
        172_800_000,
        99_999_999,
    ),
    "asyncio.timeout 1e9 s": (
        _timeout_long,
        "timer start_to_fire_timeout",
        "digits",
        1_000_000_000,
        99_999_999,
    ),
    "wait_condition negative": (
        lambda: workflow.wait_condition(lambda: False, timeout=-5),
        "wait_condition timeout",
        "negative",
        None,
        0,
    ),
    "activity id 257": (
        lambda: _activity(activity_id="a" * 257),
        "activity_id",
        "length",
        257,
        256,
    ),
    "activity id with ':'": (
        lambda: _activity(activity_id="a:1"),
        "activity_id",
        "characters",
        None,
        None,
    ),
    "activity input": (
        lambda: workflow.execute_activity("work", BIG, version="1"),
        "activity input",
        "length",
        32_804,
        32_768,
    ),
    "activity task list '/'": (
        lambda: _activity(task_list="a/b"),
        "task_list",
        "characters",
        None,
        None,
    ),
    "activity timeout 9 digits": (
        lambda: _activity(start_to_close_timeout=timedelta(days=2000)),
        "start_to_close_timeout",
        "digits",
        172_800_000,
        99_999_999,
    ),
    "activity priority": (
        lambda: _activity(priority=2**31),
        "task_priority",
        "range",
        2**31,
        2**31 - 1,
    ),
    "activity version 65": (
        lambda: workflow.execute_activity("work", version="v" * 65),
        "activity type version",
        "length",
        65,
        64,
    ),
    "child id 257": (lambda: _child(workflow_id="c" * 257), "workflow_id", "length", 257, 256),
    "child id with '|'": (
        lambda: _child(workflow_id="a|b"),
        "workflow_id",
        "characters",
        None,
        None,
    ),
    "child id arn": (lambda: _child(workflow_id="arn"), "workflow_id", "characters", None, None),
    "child input": (
        lambda: workflow.execute_child_workflow("Child", BIG, version="1"),
        "child workflow input",
        "length",
        32_804,
        32_768,
    ),
    "child execution timeout over a year": (
        lambda: _child(execution_start_to_close_timeout=timedelta(days=366)),
        "execution_start_to_close_timeout",
        "range",
        31_622_400,
        31_536_000,
    ),
    "child six tags": (lambda: _child(tag_list=list("abcdef")), "tag_list", "length", 6, 5),
    "continue_as_new input": (
        _continue_as_new_big,
        "continue_as_new input",
        "length",
        32_804,
        32_768,
    ),
    "side_effect value": (_side_effect_big, "side_effect value", "length", 32_802, 32_768),
    "marker name 257": (_marker_257, "marker_name", "length", 257, 256),
    "signal name 257": (
        lambda: workflow.signal_external("other", "s" * 257),
        "signal_name",
        "length",
        257,
        256,
    ),
    "signal target id with ':'": (
        lambda: workflow.signal_external("a:b", "go"),
        "workflow_id",
        "characters",
        None,
        None,
    ),
    "cancel target id 257": (
        lambda: workflow.request_cancel_external("w" * 257),
        "workflow_id",
        "length",
        257,
        256,
    ),
    "lambda name 65": (lambda: workflow.execute_lambda("f" * 65), "lambda_name", "length", 65, 64),
}


@workflow.defn(name="Checks", version="1")
async def checks(case: str, catch: bool) -> Any:
    call = CASES[case][0]
    if not catch:
        await call()
        return None
    try:
        await call()
    except SwfValidationError as error:
        return [error.field, error.rule, error.size, error.limit, str(error)]
    return None


@pytest.mark.parametrize("case", list(CASES))
def test_a_rule_broken_at_a_call_raises_there_and_the_workflow_can_catch_it(case: str) -> None:
    _, field, rule, size, limit = CASES[case]
    sim = WorkflowSimulation(checks, case, True)
    decisions = sim.decide()
    assert kinds(decisions) == ["CompleteWorkflowExecution"]  # nothing else was decided
    result = decisions[0].attributes.result  # type: ignore[union-attr]
    got_field, got_rule, got_size, got_limit, message = msgspec.json.decode(result or "null")
    assert (got_field, got_rule, got_size, got_limit) == (field, rule, size, limit)
    assert field in message
    for number in (size, limit):
        if number is not None:
            assert str(number) in message


@pytest.mark.parametrize("case", list(CASES))
def test_uncaught_it_fails_the_execution_with_a_reason_naming_field_size_and_limit(
    case: str,
) -> None:
    _, field, _, size, limit = CASES[case]
    sim = WorkflowSimulation(checks, case, False)
    decisions = sim.decide()
    assert kinds(decisions) == ["FailWorkflowExecution"]
    fail = decisions[0]
    assert isinstance(fail, d.FailWorkflowExecution)
    reason = fail.attributes.reason or ""
    assert field in reason
    for number in (size, limit):
        if number is not None:
            assert str(number) in reason


@workflow.defn(name="BigResult", version="1")
async def big_result() -> str:
    return BIG


def test_a_result_too_large_fails_the_execution_naming_its_size_and_the_limit() -> None:
    decisions = WorkflowSimulation(big_result).decide()
    assert kinds(decisions) == ["FailWorkflowExecution"]
    assert decisions[0].attributes.reason == (  # type: ignore[union-attr]
        "PayloadTooLargeError: result is 32802 characters long; SWF accepts at most 32768"
    )


@workflow.defn(name="AtTheLimits", version="1")
async def at_the_limits() -> str:
    workflow.record_marker("m" * 256, "d" * 32_766)
    await workflow.sleep(timedelta(seconds=99_999_999))
    return "x" * 32_766  # with its quotes, 32,768 characters


def test_values_at_the_limits_are_decided() -> None:
    sim = WorkflowSimulation(at_the_limits)
    decisions = sim.decide()
    assert kinds(decisions) == ["RecordMarker", "StartTimer"]
    assert decisions[1].attributes.start_to_fire_timeout == "99999999"  # type: ignore[union-attr]
    sim.builder.timer_fired("t1")
    assert kinds(sim.decide()) == ["CompleteWorkflowExecution"]
