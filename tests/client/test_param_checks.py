"""The compiled parameter checks accept exactly what botocore's ParamValidator accepts.

Values are generated from the shapes themselves: mostly well formed, with each kind of
mistake botocore reports planted at any depth (a wrong type, a missing required member, an
unknown member, a string or list under its ``min``, an integer under its ``min``).
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError
from botocore.model import ShapeResolver
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from swfasync._client.fast_transport import HOT_OPERATIONS
from swfasync._client.param_checks import ParamChecker, UnsupportedShapeError, compile_predicate

SWF_MODEL = botocore.session.get_session().get_service_model("swf")

# Values of every Python type botocore tells apart, planted where a shape wants another.
WRONG_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 2.5, True, "", "x", b"x", [], ("x",), {}, {"name": "x"}, {"x"}]
)
UNKNOWN_NAMES = st.sampled_from(["unknown", "Name", "tasklist", "taskToken"])


def botocore_accepts(value: Any, shape: Any) -> bool:
    return not ParamValidator().validate(value, shape).has_errors()


@st.composite
def values_of(draw: st.DrawFn, shape: Any) -> Any:
    # Mostly right, so that a single planted mistake decides the outcome.
    if draw(st.integers(0, 15)) == 0:
        return draw(WRONG_VALUES)
    return draw(well_typed(shape))


def well_typed(shape: Any) -> st.SearchStrategy[Any]:
    """Values of the shape's own Python type, right or wrong inside."""
    kind = shape.type_name
    if kind == "structure":
        return structures(shape)
    if kind == "list":
        items = st.lists(values_of(shape.member), max_size=3)
        return st.one_of(items, items.map(tuple))
    if kind == "string":
        return st.text(min_size=1, max_size=3)
    if kind == "integer":
        return st.integers(min_value=-3, max_value=3)
    assert kind == "boolean", kind
    return st.booleans()


@st.composite
def structures(draw: st.DrawFn, shape: Any) -> dict[str, Any]:
    required = set(shape.required_members)
    members = {name: values_of(member) for name, member in shape.members.items()}
    value: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {name: s for name, s in members.items() if name in required},
            optional={name: s for name, s in members.items() if name not in required},
        )
    )
    if value and draw(st.integers(0, 15)) == 0:
        del value[draw(st.sampled_from(sorted(value)))]
    if draw(st.integers(0, 15)) == 0:
        value[draw(UNKNOWN_NAMES)] = draw(WRONG_VALUES)
    return value


@pytest.mark.parametrize("operation", HOT_OPERATIONS)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_accepts_exactly_what_botocore_accepts(operation: str, data: st.DataObject) -> None:
    shape = SWF_MODEL.operation_model(operation).input_shape
    value = data.draw(structures(shape))
    accepted = botocore_accepts(value, shape)
    event("botocore accepts" if accepted else "botocore refuses")
    assert compile_predicate(shape)(value) == accepted


def test_a_refused_value_gets_botocores_report() -> None:
    shape: Any = SWF_MODEL.operation_model("RespondDecisionTaskCompleted").input_shape
    params = {
        "taskToken": "t",
        "decisions": [{"decisionType": "StartTimer", "startTimerDecisionAttributes": {}}],
    }
    with pytest.raises(ParamValidationError) as refused:
        ParamChecker(shape).check(params)
    report = ParamValidator().validate(params, shape).generate_report()
    assert str(refused.value) == f"Parameter validation failed:\n{report}"
    assert 'decisions[0].startTimerDecisionAttributes: "timerId"' in report


# Shapes the SWF operations do not use, from a model of our own: a list's ``min`` and a
# member bound to the host name (its implicit minimum length of 1), which are checked, and
# a timestamp and a map, which the checker refuses to compile.
SYNTHETIC_MODEL: dict[str, Any] = {
    "Input": {
        "type": "structure",
        "required": ["Items"],
        "members": {
            "Items": {"shape": "TwoOrMore"},
            "Host": {"shape": "Text", "hostLabel": True},
            "Count": {"shape": "Positive"},
        },
    },
    "TwoOrMore": {"type": "list", "member": {"shape": "Text"}, "min": 2},
    "Text": {"type": "string"},
    "Positive": {"type": "integer", "min": 1},
    "Stamp": {"type": "timestamp"},
    "Lookup": {"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}},
    "WithStamp": {"type": "structure", "members": {"at": {"shape": "Stamp"}}},
}
SYNTHETIC = ShapeResolver(SYNTHETIC_MODEL)


@pytest.mark.parametrize(
    "value",
    [
        {"Items": ["a", "b"]},
        {"Items": ("a", "")},
        {"Items": ["a"]},
        {"Items": []},
        {"Items": ["a", "b"], "Host": "h"},
        {"Items": ["a", "b"], "Host": ""},
        {"Items": ["a", "b"], "Count": 1},
        {"Items": ["a", "b"], "Count": 0},
        {"Items": ["a", "b"], "Count": True},
        {"Items": ["a", 1]},
        {"Host": "h"},
    ],
)
def test_list_minimums_and_host_labels_as_botocore_checks_them(value: dict[str, Any]) -> None:
    shape = SYNTHETIC.get_shape_by_name("Input")
    assert compile_predicate(shape)(value) == botocore_accepts(value, shape)


@pytest.mark.parametrize(("name", "kind"), [("WithStamp", "timestamp"), ("Lookup", "map")])
def test_shapes_it_does_not_cover_are_refused_when_compiled(name: str, kind: str) -> None:
    with pytest.raises(UnsupportedShapeError, match=f"of type '{kind}'") as refused:
        compile_predicate(SYNTHETIC.get_shape_by_name(name))
    assert refused.value.type_name == kind
