"""Shared helpers for engine tests: short descriptions of decisions, replay checks."""

from __future__ import annotations

from typing import Any

from swfasync._wire import decisions as d
from swfasync.testing import Replayer, WorkflowSimulation


def kinds(decisions: list[d.Decision]) -> list[str]:
    return [type(x).__name__ for x in decisions]


def summary(decisions: list[d.Decision]) -> list[tuple[str, Any]]:
    """(decision type, its id or main value) for compact assertions."""
    out: list[tuple[str, Any]] = []
    for x in decisions:
        a: Any = x.attributes
        ident = (
            getattr(a, "activity_id", None)
            or getattr(a, "timer_id", None)
            or getattr(a, "marker_name", None)
            or getattr(a, "workflow_id", None)
            or getattr(a, "result", None)
            or getattr(a, "reason", None)
        )
        out.append((type(x).__name__, ident))
    return out


def assert_replays(sim: WorkflowSimulation, *workflows: Any) -> None:
    """A fresh instance replaying the whole history must agree with the live run."""
    result = Replayer([sim.definition.cls, *workflows]).replay(
        sim.builder.to_json(), workflow_id=sim.instance.workflow_id, run_id=sim.instance.run_id
    )
    assert result.ok, result.error
