"""The messaging part's pure pieces: schema, ids, binding, statuses, tags, attributes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import swfasync.messaging
from swfasync.messaging import (
    DEFAULT_CODES,
    DEFAULT_EVENTS,
    STATUSES,
    File,
    FileArgument,
    Rejected,
    StatusMapping,
    StatusNotification,
    StringArgument,
    Submission,
    SubmissionMapping,
    bind_by_name,
    decode_message,
    decode_notification,
    workflow_id_for,
)
from swfasync.messaging._notification import encode_notification, fifo_id, message_attributes
from swfasync.messaging._sqs import ATTRIBUTE_LIMIT, Received, dead_letter_attributes
from swfasync.messaging._tags import make_tags, read_tags

from .workflows import Waiting, counting, submission, tutorial


def test_exported_names() -> None:
    assert set(swfasync.messaging.__all__) == {
        "DEFAULT_CODES",
        "DEFAULT_EVENTS",
        "DETAIL_ATTRIBUTE",
        "FIELD_ATTRIBUTE",
        "REASONS",
        "REASON_ATTRIBUTE",
        "SOURCE_ATTRIBUTE",
        "STATUSES",
        "BooleanArgument",
        "ConsumerStats",
        "Failure",
        "File",
        "FileArgument",
        "FileProperties",
        "IntegerArgument",
        "Ledger",
        "LocalMessaging",
        "MessagingError",
        "MotoServer",
        "NumberArgument",
        "Reason",
        "Rejected",
        "RunCursor",
        "SqliteLedger",
        "SqsSubmissions",
        "StartRequest",
        "StatusMapping",
        "StatusNotification",
        "StatusNotifier",
        "StringArgument",
        "Submission",
        "SubmissionMapping",
        "WorkflowArgument",
        "bind_by_name",
        "decode_message",
        "decode_notification",
        "workflow_id_for",
    }


def test_importing_swfasync_does_not_import_messaging() -> None:
    code = (
        "import sys, swfasync, swfasync.testing; "
        "print(any('messaging' in m or m.startswith('moto') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


# -- schema -------------------------------------------------------------------------------


def test_the_documents_message_decodes() -> None:
    message = decode_message(json.dumps(submission("00000000")), Submission)
    assert message.app_id == "my_awesome_app"
    assert message.workflow_slug == "tutorial"
    assert message.workflow_arguments == [
        StringArgument(name="object_id", value="my test workflow run"),
        FileArgument(
            name="file",
            value="input.txt",
            properties=message.workflow_arguments[1].properties,
        ),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda m: m.pop("app_id"), "$"),
        (lambda m: m.update(job_number=7), "$.job_number"),
        (lambda m: m.update(job_number=""), "$.job_number"),
        (lambda m: m.update(extra=1), "$.extra"),
        (
            lambda m: m["AWF_workflow_arguments"][0].update(type="blob"),
            "$.AWF_workflow_arguments[0].type",
        ),
        (lambda m: m["AWF_workflow_arguments"][1].pop("properties"), "$.AWF_workflow_arguments[1]"),
        (
            lambda m: m["AWF_workflow_arguments"][1]["properties"].update(mime_type="text"),
            "$.AWF_workflow_arguments[1].properties.mime_type",
        ),
        (
            lambda m: m["AWF_workflow_arguments"][1]["properties"].update(size=3),
            "$.AWF_workflow_arguments[1].properties.size",
        ),
        (
            lambda m: m["AWF_workflow_arguments"][0].update(value=3),
            "$.AWF_workflow_arguments[0].value",
        ),
    ],
)
def test_a_schema_violation_names_its_field(change: Any, field: str) -> None:
    message = submission("1")
    change(message)
    with pytest.raises(Rejected) as caught:
        decode_message(json.dumps(message), Submission)
    assert caught.value.reason == "schema_violation"
    assert caught.value.field == field


@pytest.mark.parametrize("body", ["", "{", "[1,", "not json", b"\xff"])
def test_malformed_json(body: str | bytes) -> None:
    with pytest.raises(Rejected) as caught:
        decode_message(body, Submission)
    assert caught.value.reason == "malformed_json"


# -- ids and binding --------------------------------------------------------------------


@given(st.text(min_size=1), st.text(min_size=1), st.text(min_size=1), st.text(min_size=1))
def test_derived_ids_are_distinct_and_allowed_by_swf(a: str, b: str, c: str, d: str) -> None:
    first, second = workflow_id_for(a, b), workflow_id_for(c, d)
    assert (first == second) == ((a, b) == (c, d))
    for forbidden in ":/|":
        assert forbidden not in first
    assert all(0x20 < ord(ch) < 0x7F for ch in first)


def test_arguments_bind_by_name_with_defaults_between() -> None:
    assert bind_by_name(counting, [("start", 1)]) == [1]
    assert bind_by_name(counting, [("label", "x"), ("start", 1)]) == [1, 1, "x"]
    assert bind_by_name(Waiting, [("object_id", "o")]) == ["o"]


@pytest.mark.parametrize(
    "named", [[("step", 2)], [("start", 1), ("start", 2)], [("start", 1), ("nope", 2)]]
)
def test_arguments_that_do_not_bind(named: list[tuple[str, Any]]) -> None:
    with pytest.raises(Rejected) as caught:
        bind_by_name(counting, named)
    assert caught.value.reason == "invalid_arguments"


def test_the_default_mapping() -> None:
    mapping = SubmissionMapping([counting], slugs={"tutorial": tutorial}, id_prefix="awf-")
    request = mapping(decode_message(json.dumps(submission("42")), Submission))
    assert request.workflow is tutorial
    assert request.workflow_id == "awf-my_awesome_app+42"
    assert request.args == [
        "my test workflow run",
        File(value="input.txt", url="https://files.example/input.txt", mime_type="text/plain"),
    ]
    assert (request.app_id, request.slug, request.job_number) == (
        "my_awesome_app",
        "tutorial",
        "42",
    )
    with pytest.raises(Rejected) as caught:
        mapping(decode_message(json.dumps(submission("1", slug="nope")), Submission))
    assert (caught.value.reason, caught.value.field) == ("unknown_workflow", "$.AWF_workflow_slug")


# -- statuses, tags, attributes ---------------------------------------------------------


def test_nine_statuses_with_codes_one_to_nine() -> None:
    assert len(STATUSES) == 9
    assert [DEFAULT_CODES[s] for s in STATUSES] == list(range(1, 10))
    assert set(DEFAULT_EVENTS.values()) == set(STATUSES)


def test_status_mapping_defaults_and_configuration() -> None:
    mapping = StatusMapping()
    assert mapping.status_of("WorkflowExecutionStarted", continued=False) == "Workflow Created"
    assert mapping.status_of("WorkflowExecutionStarted", continued=True) is None
    assert mapping.status_of("WorkflowExecutionCompleted", continued=True) == STATUSES[4]
    assert mapping.status_of("ActivityTaskScheduled", continued=False) is None
    custom = StatusMapping(
        events={**DEFAULT_EVENTS, "WorkflowExecutionSignaled": "Workflow Signaled"},
        codes={**DEFAULT_CODES, "Workflow Signaled": 10},
        repeat_on_continue=True,
    )
    assert custom.status_of("WorkflowExecutionSignaled", continued=False) == "Workflow Signaled"
    assert custom.code_of("Workflow Signaled") == 10
    assert custom.status_of("WorkflowExecutionStarted", continued=True) == "Workflow Created"


def test_tags_round_trip_and_respect_swfs_length() -> None:
    tags = make_tags("app", "slug", "job:1")
    assert read_tags([*tags, "swfasync-request:abc"]) == read_tags(tags)
    assert read_tags(tags).job_number == "job:1"
    assert make_tags(None, "s", None) == ["slug:s"]
    with pytest.raises(Rejected) as caught:
        make_tags("a" * 250, "s", "j")
    assert (caught.value.reason, caught.value.field) == ("invalid_request", "$.app_id")


def test_dead_letter_attributes_stay_within_sqs_limit() -> None:
    own = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(10)}
    message = Received("m-1", "r", "{}", {}, own)
    attributes = dead_letter_attributes(message, "schema_violation", "bad", "$.x")
    assert len(attributes) == ATTRIBUTE_LIMIT
    assert attributes["swfasync.reason"]["StringValue"] == "schema_violation"
    assert attributes["swfasync.field"]["StringValue"] == "$.x"


def test_a_notification_round_trips_with_its_attributes() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    note = StatusNotification(
        notification_id="run:5",
        workflow_id="w",
        run_id="run",
        app_id=None,
        workflow_slug="tutorial",
        job_number=None,
        status=STATUSES[4],
        status_code=5,
        event_id=5,
        event_type="WorkflowExecutionCompleted",
        timestamp=now,
        workflow_type="tutorial",
        workflow_version="1",
        started_at=now,
        result={"ok": True},
    )
    assert decode_notification(encode_notification(note)) == note
    assert set(message_attributes(note)) == {"workflow_slug", "status"}
    assert fifo_id("short") == "short"
    assert len(fifo_id("x" * 300)) == 64
