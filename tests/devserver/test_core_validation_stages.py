"""The two stages of request validation agree: the msgspec type that passes a body in C
accepts exactly the bodies in which the worded checks find no error (for bodies whose
strings stay in the Basic Multilingual Plane, where msgspec's lengths and SWF's agree).

If the type accepted a body the checks refuse, that body would get through unchecked; if
it refused a valid one, the body would only be slower. Bodies are generated from each
operation's input shape, mostly well formed, with mistakes planted at any depth: a null,
a value of the wrong type, a string or list just outside its length limits, an integer
just outside its range, a string outside its enum, a number in string form SWF refuses,
a name that breaks SWF's name rule.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swfasync.devserver._rules import NUMERIC_SHAPES, carries_name_rule
from swfasync.devserver._validation import Report, _input_checks, service_model

OPERATIONS = sorted(service_model().operation_names)
WRONG_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 2.5, True, False, "", "x", [], [None], {}, {"name": "x"}]
)
NUMBERS = st.sampled_from(
    ["0", "7", "+3", "-1", "NONE", "1_0", " 5", "\u00b2", "\u0663", "99999999", "", "x"]
)
NAMES = st.sampled_from(["ok", "a:b", "a/b", "a|b", " a", "a ", "arn", "x\x00", "x\x85", "é"])


@st.composite
def values_of(draw: st.DrawFn, shape: Any, named: bool = False) -> Any:
    if draw(st.integers(0, 12)) == 0:
        return draw(WRONG_VALUES)
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in shape.required_members or draw(st.booleans()):
                rule = carries_name_rule(shape, name) or (named and name == "name")
                out[name] = draw(values_of(member, rule))
        return out
    if kind == "list":
        size = draw(near_limits(meta, 0, 3))
        return [draw(values_of(shape.member)) for _ in range(size)]
    if kind == "string":
        enum = getattr(shape, "enum", None) or []
        if enum and draw(st.integers(0, 5)):
            return draw(st.sampled_from(enum))
        if shape.name in NUMERIC_SHAPES and draw(st.integers(0, 5)):
            return draw(NUMBERS)
        if named and draw(st.integers(0, 5)):
            return draw(NAMES)
        return "é" * draw(near_limits(meta, 1, 8))
    if kind in ("integer", "long"):
        return draw(near_limits(meta, -2, 2))
    if kind == "boolean":
        return draw(st.booleans())
    assert kind == "timestamp", kind
    return draw(st.one_of(st.integers(0, 2_000_000_000), st.floats(0, 2e9)))


def near_limits(meta: dict[str, Any], low: int, high: int) -> st.SearchStrategy[int]:
    """A number in ``low..high`` or at, just under or just over one of the shape's limits."""
    edges = [meta[key] + step for key in ("min", "max") if key in meta for step in (-1, 0, 1)]
    return st.one_of(st.integers(low, high), st.sampled_from(edges or [low]))


@pytest.mark.parametrize("operation", OPERATIONS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_stage_accepts_exactly_the_valid_bodies(
    operation: str, data: st.DataObject
) -> None:
    shape = service_model().operation_model(operation).input_shape
    body = data.draw(values_of(shape))
    if not isinstance(body, dict):
        return  # refused before either stage, as not a JSON object
    accepting, check = _input_checks(operation)
    report = Report()
    check(body, "", report)
    try:
        msgspec.convert(body, accepting)
    except msgspec.ValidationError:
        assert report.count, f"refused by the fast stage alone: {body!r}"
    else:
        assert not report.count, f"accepted by the fast stage despite {report.messages}"
