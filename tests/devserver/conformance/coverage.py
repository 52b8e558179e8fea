"""What the conformance suite exercised on the dev server, against what botocore's model has.

Every client the suite uses against the dev server reports into ``COVERAGE`` (one registry
for the test session): each operation that returned a success, each decision type sent in a
successful RespondDecisionTaskCompleted, each event type seen in any response, each fault
returned. ``test_zz_coverage.py`` compares it with the model when the whole suite has run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .validation import SWF_FAULT_PREFIX, service_model

__all__ = ["COVERAGE", "Coverage", "model_universe"]


@dataclass
class Coverage:
    """Sets of model names seen exercised on the server under test."""

    operations: set[str] = field(default_factory=set)
    decisions: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    faults: set[str] = field(default_factory=set)

    def record(self, operation: str, request: Mapping[str, object] | None, body: object) -> None:
        """Record one successful call: its operation, decisions sent and events received."""
        self.operations.add(operation)
        if operation == "RespondDecisionTaskCompleted" and request is not None:
            decisions = request.get("decisions") or []
            if isinstance(decisions, list):
                self.decisions.update(str(d.get("decisionType")) for d in decisions)
        if isinstance(body, dict):
            self.events.update(_event_types(body.get("events")))

    def record_fault(self, fault_type: str) -> None:
        """Record a fault the server returned (its short name)."""
        self.faults.add(fault_type.removeprefix(SWF_FAULT_PREFIX))


def _event_types(events: object) -> Iterable[str]:
    if isinstance(events, list):
        for event in events:
            if isinstance(event, dict) and isinstance(event.get("eventType"), str):
                yield event["eventType"]


def model_universe() -> Coverage:
    """Everything botocore's SWF model defines, in the same sets."""
    model = service_model()
    return Coverage(
        operations=set(model.operation_names),
        decisions=set(model.shape_for("DecisionType").metadata["enum"]),
        events=set(model.shape_for("EventType").metadata["enum"]),
        faults={shape.name for shape in model.error_shapes},
    )


COVERAGE = Coverage()
