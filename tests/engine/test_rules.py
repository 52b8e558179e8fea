"""SWF's rules as the SDK checks them: at the limit passes, one past it fails, and the
error names the field, the size and the limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session
import pytest

from swfasync._wire import rules
from swfasync.exceptions import PayloadError, PayloadTooLargeError, SwfValidationError

EMOJI = "\N{GRINNING FACE}"  # outside the BMP: two UTF-16 code units


def _name(field: str) -> Callable[[Any], Any]:
    return lambda value: rules.check_name(field, value)


def _payload(field: str) -> Callable[[Any], Any]:
    return lambda value: rules.check_payload(field, value)


# (label, check, value at the limit, value past it, field, size past it, limit)
TABLE: list[tuple[str, Callable[[Any], Any], Any, Any, str, int, int]] = [
    *[
        (
            f"{field} payload",
            _payload(field),
            "x" * limit,
            "x" * (limit + 1),
            field,
            limit + 1,
            limit,
        )
        for field, limit in [
            ("input", 32_768),
            ("result", 32_768),
            ("details", 32_768),
            ("control", 32_768),
            ("execution_context", 32_768),
            ("reason", 256),
            ("heartbeat_details", 2_048),
        ]
    ],
    (
        "input counted in UTF-16",
        _payload("input"),
        EMOJI * 16_384,
        EMOJI * 16_384 + "x",
        "input",
        32_769,
        32_768,
    ),
    *[
        (f"{field} length", _name(field), "i" * limit, "i" * (limit + 1), field, limit + 1, limit)
        for field, limit in [
            ("workflow_id", 256),
            ("activity_id", 256),
            ("timer_id", 256),
            ("marker_name", 256),
            ("signal_name", 256),
            ("task_list", 256),
            ("domain", 256),
            ("type_name", 256),
            ("type_version", 64),
            ("lambda_id", 256),
            ("lambda_name", 64),
        ]
    ],
    (
        "workflow_id counted in UTF-16",
        _name("workflow_id"),
        EMOJI * 128,
        EMOJI * 128 + "i",
        "workflow_id",
        257,
        256,
    ),
    (
        "timeout digits",
        lambda v: rules.check_duration("start_to_close_timeout", v),
        "99999999",
        "100000000",
        "start_to_close_timeout",
        9,
        8,
    ),
    (
        "timer seconds",
        lambda v: rules.check_seconds("timer", v),
        99_999_999,
        99_999_999.5,
        "timer",
        100_000_000,
        99_999_999,
    ),
    (
        "execution timeout range",
        lambda v: rules.check_duration(
            "execution_start_to_close_timeout", v, maximum=rules.MAX_EXECUTION_TIMEOUT
        ),
        "31536000",
        "31536001",
        "execution_start_to_close_timeout",
        31_536_001,
        31_536_000,
    ),
    (
        "priority range",
        lambda v: rules.check_priority("task_priority", v),
        "2147483647",
        "2147483648",
        "task_priority",
        2_147_483_648,
        2_147_483_647,
    ),
    (
        "tag count",
        lambda v: rules.check_tags("tag_list", v),
        ["t"] * 5,
        ["t"] * 6,
        "tag_list",
        6,
        5,
    ),
    (
        "tag length",
        lambda v: rules.check_tags("tag_list", v),
        ["t" * 256],
        ["t" * 257],
        "tag_list[0]",
        257,
        256,
    ),
]


@pytest.mark.parametrize(
    ("label", "check", "at_limit", "past_limit", "field", "size", "limit"),
    TABLE,
    ids=[row[0] for row in TABLE],
)
def test_at_the_limit_passes_and_past_it_fails_naming_field_size_and_limit(
    label: str,
    check: Callable[[Any], Any],
    at_limit: Any,
    past_limit: Any,
    field: str,
    size: int,
    limit: int,
) -> None:
    assert check(at_limit) == at_limit
    with pytest.raises(SwfValidationError) as caught:
        check(past_limit)
    error = caught.value
    assert (error.field, error.size, error.limit) == (field, size, limit)
    message = str(error)
    assert field in message
    assert str(size) in message
    assert str(limit) in message
    assert isinstance(error, ValueError)


def test_a_payload_error_is_both_a_payload_error_and_a_validation_error() -> None:
    with pytest.raises(PayloadTooLargeError) as caught:
        rules.check_payload("result", "x" * 40_000)
    assert isinstance(caught.value, PayloadError)
    assert isinstance(caught.value, SwfValidationError)
    assert caught.value.rule == "length"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("order:1", "':'"),
        ("a/b", "'/'"),
        ("a|b", "'|'"),
        ("a\x00b", "U+0000"),
        ("a\tb", "U+0009"),
        ("a\x1fb", "U+001F"),
        ("a\x7fb", "U+007F"),
        ("a\x9fb", "U+009F"),
    ],
)
def test_ids_refuse_the_characters_swf_forbids(value: str, shown: str) -> None:
    with pytest.raises(SwfValidationError) as caught:
        rules.check_name("workflow_id", value)
    assert caught.value.rule == "characters"
    assert shown in str(caught.value)
    assert "workflow_id" in str(caught.value)


@pytest.mark.parametrize("value", ["arnold", "order-1#2", "a\xa0b", "naïve", EMOJI, "a.b_c-d"])
def test_ids_accept_everything_else(value: str) -> None:
    assert rules.check_name("workflow_id", value) == value


def test_an_id_cannot_be_the_literal_arn_nor_empty() -> None:
    with pytest.raises(SwfValidationError, match="literal 'arn'"):
        rules.check_name("activity_id", "arn")
    with pytest.raises(SwfValidationError, match="at least 1") as caught:
        rules.check_name("activity_id", "")
    assert (caught.value.size, caught.value.limit) == (0, 1)


def test_a_task_list_cannot_start_or_end_with_whitespace() -> None:
    for value in (" orders", "orders "):
        with pytest.raises(SwfValidationError, match="whitespace"):
            rules.check_name("task_list", value)
    assert rules.check_name("workflow_id", " spaced ") == " spaced "


@pytest.mark.parametrize("value", ["-1", "1.5", "1e3", "", "٣"])
def test_a_duration_is_whole_non_negative_seconds(value: str) -> None:
    with pytest.raises(SwfValidationError, match="start_to_fire_timeout"):
        rules.check_duration("start_to_fire_timeout", value)


def test_none_is_a_duration_only_where_swf_allows_it() -> None:
    assert rules.check_duration("heartbeat_timeout", "NONE") == "NONE"
    with pytest.raises(SwfValidationError, match="cannot be NONE"):
        rules.check_duration("start_to_fire_timeout", "NONE", allow_none=False)


@pytest.mark.parametrize("value", [-1.0, -0.001, float("nan")])
def test_negative_seconds_are_refused(value: float) -> None:
    with pytest.raises(SwfValidationError, match="cannot be negative") as caught:
        rules.check_seconds("workflow.sleep duration", value)
    assert caught.value.rule == "negative"
    assert caught.value.limit == 0


def test_infinite_seconds_are_refused() -> None:
    with pytest.raises(SwfValidationError, match="infinite"):
        rules.check_seconds("timer", float("inf"))


def test_priority_bounds_and_form() -> None:
    assert rules.check_priority("task_priority", "-2147483648") == "-2147483648"
    with pytest.raises(SwfValidationError) as caught:
        rules.check_priority("task_priority", "-2147483649")
    assert caught.value.limit == -2_147_483_648
    with pytest.raises(SwfValidationError, match="needs an integer"):
        rules.check_priority("task_priority", "high")


def _model_max(shape_name: str) -> int:
    model = botocore.session.get_session().get_service_model("swf")
    value: int = model.shape_for(shape_name).metadata["max"]
    return value


@pytest.mark.parametrize(
    ("field", "shape"),
    [
        ("input", "Data"),
        ("result", "Data"),
        ("details", "Data"),
        ("control", "Data"),
        ("execution_context", "Data"),
        ("reason", "FailureReason"),
        ("heartbeat_details", "LimitedData"),
        ("workflow_id", "WorkflowId"),
        ("activity_id", "ActivityId"),
        ("timer_id", "TimerId"),
        ("marker_name", "MarkerName"),
        ("signal_name", "SignalName"),
        ("task_list", "Name"),
        ("domain", "DomainName"),
        ("type_name", "Name"),
        ("type_version", "Version"),
        ("lambda_id", "FunctionId"),
        ("lambda_name", "FunctionName"),
        ("lambda_role", "Arn"),
        ("tag", "Tag"),
        ("run_id", "WorkflowRunIdOptional"),
        ("identity", "Identity"),
        ("task_token", "TaskToken"),
    ],
)
def test_limits_are_botocores_model(field: str, shape: str) -> None:
    assert rules.LIMITS[field] == _model_max(shape)


def test_duration_digits_are_botocores_model() -> None:
    assert _model_max("DurationInSeconds") == rules.DURATION_DIGITS
    assert _model_max("DurationInSecondsOptional") == rules.DURATION_DIGITS
