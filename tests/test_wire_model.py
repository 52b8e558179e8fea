"""The wire Structs against botocore's SWF model, and decoding of real recorded histories."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

import botocore.loaders
import msgspec
import pytest

from swfasync._wire import api, common, decisions, events
from swfasync._wire.codec import (
    UnknownEvent,
    decode_decision_task,
    decode_event_page,
    decode_events,
    encode_decisions,
)
from swfasync.exceptions import HistoryError

from .conftest import recorded_history_files

SHAPES: dict[str, dict[str, Any]] = botocore.loaders.Loader().load_service_model(
    "swf", "service-2"
)["shapes"]
MODULES = (common, events, decisions, api)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _struct(name: str) -> type[msgspec.Struct]:
    for module in MODULES:
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, msgspec.Struct):
            return found
    raise AssertionError(f"no Struct named {name}")


def _wire_names(struct: type[msgspec.Struct]) -> dict[str, str]:
    """encoded (wire) name -> attribute name."""
    info = msgspec.structs.fields(struct)
    return {f.encode_name: f.name for f in info}


def test_every_event_type_has_a_class_with_its_attributes() -> None:
    event_types = SHAPES["EventType"]["enum"]
    assert len(event_types) == 54
    assert set(events.HISTORYEVENT_CLASSES) == set(event_types)
    for event_type in event_types:
        cls = events.HISTORYEVENT_CLASSES[event_type]
        member = event_type[0].lower() + event_type[1:] + "EventAttributes"
        assert member in SHAPES["HistoryEvent"]["members"], member
        assert cls.__struct_config__.tag == event_type
        assert "attributes" in _wire_names(cls).values()
        assert _wire_names(cls)[member] == "attributes"


def test_every_decision_type_has_a_class_with_its_attributes() -> None:
    decision_types = SHAPES["DecisionType"]["enum"]
    assert len(decision_types) == 13
    assert set(decisions.DECISION_CLASSES) == set(decision_types)
    for decision_type in decision_types:
        cls = decisions.DECISION_CLASSES[decision_type]
        member = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
        assert _wire_names(cls)[member] == "attributes"


@pytest.mark.parametrize(
    "shape_name",
    sorted(
        name
        for name, shape in SHAPES.items()
        if shape["type"] == "structure"
        and not shape.get("exception")
        and name not in ("HistoryEvent", "Decision")
    ),
)
def test_structure_members_match_the_model(shape_name: str) -> None:
    shape = SHAPES[shape_name]
    struct = _struct(shape_name)
    wire = _wire_names(struct)
    assert set(wire) == set(shape["members"]), shape_name
    required = set(shape.get("required", ()))
    for field in msgspec.structs.fields(struct):
        is_required = field.required
        assert is_required == (field.encode_name in required), (shape_name, field.encode_name)
        assert field.name == _snake(field.encode_name)


def test_every_enum_matches_the_model() -> None:
    enums = {name: shape["enum"] for name, shape in SHAPES.items() if "enum" in shape}
    assert enums, "the model has enums"
    for name, values in enums.items():
        alias = getattr(common, name)
        assert list(typing.get_args(alias)) == values, name


def test_faults_are_listed() -> None:
    faults = sorted(n for n, s in SHAPES.items() if s.get("exception"))
    assert len(faults) == 11
    assert sorted(common.FAULT_NAMES) == faults


@pytest.mark.skipif(not recorded_history_files(), reason="../shared/histories is absent")
@pytest.mark.parametrize("path", recorded_history_files(), ids=lambda p: p.name)
def test_recorded_history_decodes(path: Path) -> None:
    decoded, _ = decode_event_page(path.read_bytes())
    assert decoded, "a recorded history has events"
    assert [e.event_id for e in decoded] == list(range(1, len(decoded) + 1))
    assert not [e for e in decoded if isinstance(e, UnknownEvent)]
    assert isinstance(decoded[0], events.WorkflowExecutionStarted)


def test_unknown_event_type_decodes_to_a_generic_event() -> None:
    body = (
        b'{"events": [{"eventId": 1, "eventTimestamp": 1.5E9, "eventType": "TimerStarted",'
        b' "timerStartedEventAttributes": {"timerId": "t", "startToFireTimeout": "5",'
        b' "decisionTaskCompletedEventId": 4}},'
        b' {"eventId": 2, "eventTimestamp": 1.5E9, "eventType": "QuantumLeap",'
        b' "quantumLeapEventAttributes": {"to": "1999"}}], "nextPageToken": "abc"}'
    )
    decoded, token = decode_event_page(body)
    assert token == "abc"
    assert isinstance(decoded[0], events.TimerStarted)
    assert decoded[0].attributes.timer_id == "t"
    assert decoded[1] == UnknownEvent(
        event_id=2, event_timestamp=1.5e9, event_type="QuantumLeap", attributes={"to": "1999"}
    )


def test_malformed_known_event_names_the_event_and_the_problem() -> None:
    body = (
        b'{"events": [{"eventId": 7, "eventTimestamp": 1.5E9, "eventType": "TimerStarted",'
        b' "timerStartedEventAttributes": {"timerId": 5}}]}'
    )
    with pytest.raises(HistoryError, match=r"malformed TimerStarted event.*timerId.*event 7"):
        decode_event_page(body)


def test_not_json_is_a_history_error() -> None:
    with pytest.raises(HistoryError, match="not valid JSON"):
        decode_event_page(b"{nope")


def test_events_from_botocore_dicts_with_datetimes() -> None:
    from datetime import UTC, datetime

    stamp = datetime(2026, 1, 2, tzinfo=UTC)
    decoded = decode_events(
        [
            {
                "eventId": 1,
                "eventTimestamp": stamp,
                "eventType": "MarkerRecorded",
                "markerRecordedEventAttributes": {
                    "markerName": "m",
                    "decisionTaskCompletedEventId": 0,
                },
            }
        ]
    )
    assert decoded[0].event_timestamp == stamp.timestamp()


def test_empty_decision_poll_and_decision_encoding() -> None:
    page, decoded = decode_decision_task(b'{"previousStartedEventId": 0, "startedEventId": 0}')
    assert page.task_token == ""
    assert decoded == []
    timer = decisions.StartTimer(
        attributes=decisions.StartTimerDecisionAttributes(timer_id="1", start_to_fire_timeout="5")
    )
    assert msgspec.json.decode(encode_decisions([timer])) == [
        {
            "decisionType": "StartTimer",
            "startTimerDecisionAttributes": {"timerId": "1", "startToFireTimeout": "5"},
        }
    ]
