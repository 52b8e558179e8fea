"""Run workflow code against a simulated SWF history, one decision task at a time."""

from __future__ import annotations

from typing import Any

from .._engine import converter
from .._engine.definitions import workflow_definition
from .._engine.instance import ActivationResult, WorkflowInstance
from .._wire import decisions as d
from .history import HistoryBuilder


class WorkflowSimulation:
    """A workflow run whose history a test writes (with ``builder``) and whose code decides.

    ``decide()`` starts a decision task, feeds the live instance only the events it has
    not seen (the incremental path a caching worker takes), and records its decisions in
    the history the way SWF would. Results, signals and timers are written with the
    builder's methods in between. The finished ``builder.events`` can then be replayed
    from scratch with :class:`Replayer` to check determinism.
    """

    def __init__(
        self,
        workflow: Any,
        *args: Any,
        workflow_id: str = "simulated-workflow",
        run_id: str = "simulated-run",
        task_list: str = "default",
    ) -> None:
        self.definition = workflow_definition(workflow)
        self.builder = HistoryBuilder(
            self.definition.name,
            self.definition.version,
            input=converter.encode_args(args),
            task_list=task_list,
        )
        self.instance = WorkflowInstance(self.definition, workflow_id=workflow_id, run_id=run_id)
        self._fed = 0
        self.activations: list[list[d.Decision]] = []

    def decide(self, *, refuse: dict[int, str] | None = None) -> list[d.Decision]:
        """Run one decision task; return (and record) its decisions."""
        self.builder.decision_task()
        result = self.feed()
        assert result is not None
        self.builder.complete_decision_task(
            result.decisions, execution_context=result.execution_context, refuse=refuse
        )
        self.activations.append(result.decisions)
        return result.decisions

    def feed(self) -> ActivationResult | None:
        """Give the instance the events written since it last saw the history."""
        new = self.builder.events[self._fed :]
        self._fed = len(self.builder.events)
        return self.instance.process(new)

    @property
    def closed(self) -> bool:
        return self.instance.closed or any(
            isinstance(
                dec,
                d.CompleteWorkflowExecution
                | d.FailWorkflowExecution
                | d.CancelWorkflowExecution
                | d.ContinueAsNewWorkflowExecution,
            )
            for dec in (self.activations[-1] if self.activations else [])
        )
