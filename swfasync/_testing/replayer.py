"""Replaying recorded histories against workflow code, without SWF."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from .._engine.definitions import WorkflowDefinition, workflow_definition
from .._engine.instance import WorkflowInstance
from .._wire import decisions as d
from .._wire import events as e
from .._wire.codec import AnyEvent, decode_event_page, decode_events
from ..exceptions import HistoryError, UnknownTypeError

HistorySource = bytes | str | Path | Sequence[AnyEvent] | dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class ReplayResult:
    """How a replay went.

    Attributes:
        workflow_type: ``name/version`` of the replayed workflow.
        event_count: events replayed.
        decisions: what the code decided at the history's open decision task, if the
            history ends with one (empty for a closed execution).
        error: the ``NondeterminismError`` (or other failure) the replay hit, or None.
    """

    workflow_type: str
    event_count: int
    decisions: list[d.Decision] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def load_history(source: HistorySource) -> list[AnyEvent]:
    """Events from a GetWorkflowExecutionHistory body, a file, pages, or decoded events."""
    if isinstance(source, Path):
        source = source.read_bytes()
    if isinstance(source, str):
        source = source.encode()
    if isinstance(source, bytes):
        body = msgspec.json.decode(source)
        if isinstance(body, list):  # a list of pages
            return load_history(body)
        return decode_event_page(source)[0]
    if isinstance(source, dict):
        return decode_events(source.get("events", []))
    items: list[Any] = list(source)
    if items and isinstance(items[0], dict) and "events" in items[0]:
        merged: list[Any] = [ev for page in items for ev in page.get("events", [])]
        return decode_events(merged)
    if items and isinstance(items[0], dict):
        return decode_events(items)
    return items


def _recorded_execution(source: HistorySource) -> dict[str, str]:
    body: Any = source
    if isinstance(source, Path):
        body = source.read_bytes()
    if isinstance(body, bytes | str):
        body = msgspec.json.decode(body)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    execution = body.get("workflowExecution") if isinstance(body, dict) else None
    return execution if isinstance(execution, dict) else {}


class Replayer:
    """Replays histories against workflow definitions and reports any non-determinism.

    Example::

        result = Replayer([Order]).replay(Path("tests/histories/order.json"))
        assert result.ok, result.error
    """

    def __init__(self, workflows: Iterable[Any]) -> None:
        self._definitions: dict[tuple[str, str], WorkflowDefinition] = {}
        for workflow in workflows:
            definition = workflow_definition(workflow)
            self._definitions[(definition.name, definition.version)] = definition

    def definition_for(self, name: str, version: str) -> WorkflowDefinition:
        found = self._definitions.get((name, version))
        if found is None:
            known = ", ".join(f"{n}/{v}" for n, v in sorted(self._definitions)) or "none"
            raise UnknownTypeError(f"no workflow {name}/{version} to replay with (known: {known})")
        return found

    def replay(
        self,
        history: HistorySource,
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        raise_on_error: bool = True,
    ) -> ReplayResult:
        """Replay one execution's history (all pages) through its workflow code.

        The workflow and run ids matter to code that derives values from them (default
        child workflow ids, the seeded ``workflow.random()``); they are taken from the
        history's ``workflowExecution`` where it has one, else from the arguments.
        """
        recorded = _recorded_execution(history)
        workflow_id = workflow_id or recorded.get("workflowId") or "replayed-workflow"
        run_id = run_id or recorded.get("runId") or "replayed-run"
        events = load_history(history)
        if not events or not isinstance(events[0], e.WorkflowExecutionStarted):
            raise HistoryError("a history must begin with WorkflowExecutionStarted")
        kind = events[0].attributes.workflow_type
        definition = self.definition_for(kind.name, kind.version)
        instance = WorkflowInstance(definition, workflow_id=workflow_id, run_id=run_id)
        label = f"{kind.name}/{kind.version}"
        try:
            outcome = instance.process(events)
        except Exception as error:
            if raise_on_error:
                raise
            return ReplayResult(label, len(events), error=error)
        decisions = outcome.decisions if outcome is not None else []
        return ReplayResult(label, len(events), decisions=decisions)
