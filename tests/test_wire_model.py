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


# -- the model's constraints, generated into the Structs requests reach -------------------------

OPERATIONS: dict[str, dict[str, Any]] = botocore.loaders.Loader().load_service_model(
    "swf", "service-2"
)["operations"]


def _reached_by_requests() -> list[str]:
    """Every structure a request holds, at any depth (decisions included)."""
    seen: set[str] = set()
    stack = [op["input"]["shape"] for op in OPERATIONS.values()]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = SHAPES[name]
        if shape["type"] == "structure":
            stack += [m["shape"] for m in shape["members"].values()]
        elif shape["type"] == "list":
            stack.append(shape["member"]["shape"])
    return sorted(n for n in seen if SHAPES[n]["type"] == "structure" and n != "Decision")


def _unwrap(info: msgspec.inspect.Type) -> tuple[msgspec.inspect.Type, dict[str, Any]]:
    """A member's type without ``| None`` and its ``Meta`` extras."""
    extra: dict[str, Any] = {}
    while True:
        if isinstance(info, msgspec.inspect.Metadata):
            extra.update(info.extra or {})
            info = info.type
        elif isinstance(info, msgspec.inspect.UnionType) and any(
            isinstance(t, msgspec.inspect.NoneType) for t in info.types
        ):
            (info,) = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        else:
            return info, extra


def _states_name_rule(member: dict[str, Any]) -> bool:
    text = re.sub(r"<[^>]+>", "", member.get("documentation", ""))
    return "not be the literal string arn" in re.sub(r"\s+", " ", text)


def _assert_shape_constraints(shape_name: str, info: msgspec.inspect.Type, where: str) -> None:
    """``info`` carries every constraint the model puts on shape ``shape_name``."""
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if "enum" in shape:
        assert isinstance(info, msgspec.inspect.LiteralType), where
        assert set(info.values) == set(shape["enum"]), where
    elif kind == "string":
        assert isinstance(info, msgspec.inspect.StrType), where
        assert (info.min_length, info.max_length) == (shape.get("min"), shape.get("max")), where
    elif kind in ("integer", "long"):
        assert isinstance(info, msgspec.inspect.IntType), where
        assert (info.ge, info.le) == (shape.get("min"), shape.get("max")), where
    elif kind == "list":
        assert isinstance(info, msgspec.inspect.ListType), where
        assert (info.min_length, info.max_length) == (shape.get("min"), shape.get("max")), where
        item, _ = _unwrap(info.item_type)
        _assert_shape_constraints(shape["member"]["shape"], item, where + "[]")


def _expected_rule(structure: str, member_name: str) -> str | None:
    """The SWF rule a member follows, read from the model and the SDK's rules."""
    from swfasync._wire.rules import PAYLOAD_FIELDS

    member = SHAPES[structure]["members"][member_name]
    shape_name = member["shape"]
    shape = SHAPES[shape_name]
    if _states_name_rule(member):
        return "task_list" if shape["type"] == "structure" else "name"
    if shape_name.startswith("Duration"):
        return "duration_or_none" if shape_name.endswith("Optional") else "duration"
    if shape_name == "TaskPriority":
        return "priority"
    if shape["type"] != "string" or "enum" in shape:
        return None
    if _snake(member_name) in PAYLOAD_FIELDS:
        return "payload"
    return "utf16" if "min" in shape or "max" in shape else None


@pytest.mark.parametrize("shape_name", _reached_by_requests())
def test_request_structs_carry_every_constraint_of_the_model(shape_name: str) -> None:
    info = msgspec.inspect.type_info(_struct(shape_name))
    assert isinstance(info, msgspec.inspect.StructType)
    members = SHAPES[shape_name]["members"]
    for field in info.fields:
        where = f"{shape_name}.{field.encode_name}"
        member_type, extra = _unwrap(field.type)
        _assert_shape_constraints(members[field.encode_name]["shape"], member_type, where)
        assert extra.get("swf") == _expected_rule(shape_name, field.encode_name), where


def test_the_constraints_reach_decisions_and_the_name_rule_is_found() -> None:
    """The walk above covers the decisions, and the documentation gives the name rule to
    the members SWF's reference lists (so a reworded sentence cannot pass unnoticed)."""
    reached = _reached_by_requests()
    assert "ScheduleActivityTaskDecisionAttributes" in reached
    named = {
        (s, m)
        for s in reached
        for m, member in SHAPES[s]["members"].items()
        if _states_name_rule(member)
    }
    assert {
        ("StartWorkflowExecutionInput", "workflowId"),
        ("ScheduleActivityTaskDecisionAttributes", "activityId"),
        ("ScheduleActivityTaskDecisionAttributes", "taskList"),
        ("StartTimerDecisionAttributes", "timerId"),
        ("PollForDecisionTaskInput", "taskList"),
        ("RegisterDomainInput", "name"),
    } <= named


def test_event_attributes_carry_no_constraints() -> None:
    """What SWF sends is SWF's to vouch for: decoding a history checks no Meta of its own."""
    for cls in events.HISTORYEVENT_CLASSES.values():
        event = msgspec.inspect.type_info(cls)
        assert isinstance(event, msgspec.inspect.StructType)
        (attributes,) = [f.type for f in event.fields if f.name == "attributes"]
        assert isinstance(attributes, msgspec.inspect.StructType)
        for field in attributes.fields:
            if isinstance(field.type, msgspec.inspect.StructType):
                continue  # a shared Struct (a task list) is the same class as in requests
            assert not isinstance(field.type, msgspec.inspect.Metadata), field
            plain, _ = _unwrap(field.type)
            if isinstance(plain, msgspec.inspect.StrType | msgspec.inspect.IntType):
                assert plain == type(plain)(), (cls.__name__, field.name)
