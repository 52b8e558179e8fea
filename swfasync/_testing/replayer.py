"""Replaying recorded histories against workflow code, without SWF."""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from .._engine.definitions import WorkflowDefinition, workflow_definition
from .._engine.instance import WorkflowInstance
from .._payloads.data_converter import DEFAULT_DATA_CONVERTER, DataConverter
from .._wire import decisions as d
from .._wire.codec import AnyEvent
from ..exceptions import UnknownTypeError
from .recorded import HistorySource as HistorySource
from .recorded import RecordedHistory, read_history

T = TypeVar("T")


def _run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end from synchronous code, on a loop of its own (in a
    thread of its own if this thread runs one already)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# Where a history names no execution: code deriving values from these ids (default child
# workflow ids, the seeded ``workflow.random()``) decides differently than it did.
PLACEHOLDER_WORKFLOW_ID: Final = "replayed-workflow"
PLACEHOLDER_RUN_ID: Final = "replayed-run"


@dataclass(frozen=True)
class ReplayResult:
    """How a replay went.

    Attributes:
        workflow_type: ``name/version`` of the replayed workflow.
        event_count: events replayed.
        decisions: what the code decided at the history's open decision task, if the
            history ends with one (empty for a closed execution).
        error: the ``NondeterminismError`` (or other failure) the replay hit, or None.
        assumed_ids: which of ``workflow_id``/``run_id`` neither the history nor the
            caller gave, so placeholders stood in for them.
    """

    workflow_type: str
    event_count: int
    decisions: list[d.Decision] = field(default_factory=list)
    error: BaseException | None = None
    assumed_ids: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


def load_history(source: HistorySource) -> list[AnyEvent]:
    """Events from a history file, a GetWorkflowExecutionHistory body, pages, or events.

    Raises:
        HistoryError: the source cannot be read, is not a history, or its events are
            inconsistent (ids out of order, duplicated, missing, dangling references);
            it names the file, the event id and the field.
    """
    return read_history(source).events


class Replayer:
    """Replays histories against workflow definitions and reports any non-determinism.

    Example::

        result = Replayer([Order]).replay(Path("tests/histories/order.json"))
        assert result.ok, result.error
    """

    def __init__(
        self,
        workflows: Iterable[Any],
        *,
        data_converter: DataConverter | None = None,
        workflow_failure_exception_types: Iterable[type[BaseException]] = (),
    ) -> None:
        """``workflow_failure_exception_types``: the worker's (``Worker(...,
        workflow_failure_exception_types=...)``), so that an execution it failed for one
        of them replays to the same ``FailWorkflowExecution`` instead of raising."""
        # Histories written through codecs are decoded with it (the engine reads the
        # converter's text), and its payload converter decodes the values.
        self.data_converter = data_converter or DEFAULT_DATA_CONVERTER
        self.workflow_failure_exception_types = tuple(workflow_failure_exception_types)
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
        child workflow ids, the seeded ``workflow.random()``): they are taken from the
        arguments, else from the history's ``workflowExecution`` (``swfasync history
        --json`` writes it), else placeholders stand in and ``assumed_ids`` says so.

        Raises:
            HistoryError: the history cannot be read or is inconsistent (whatever
                ``raise_on_error`` says: it is the history at fault, not the code).
            UnknownTypeError: no workflow given here has the history's type.
            NondeterminismError: (and any other failure of the code) with
                ``raise_on_error``; else it is the result's ``error``.
        """
        recorded = read_history(history)
        if self.data_converter.active:
            recorded = _run_coroutine(self._decoded(recorded))
        return self._replay(recorded, workflow_id, run_id, raise_on_error)

    async def replay_async(
        self,
        history: HistorySource,
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        raise_on_error: bool = True,
    ) -> ReplayResult:
        """:meth:`replay`, decoding the payloads on the running loop (codecs that do I/O,
        such as S3 offload, then do not hold it up)."""
        recorded = await self._decoded(read_history(history))
        return self._replay(recorded, workflow_id, run_id, raise_on_error)

    async def _decoded(self, recorded: RecordedHistory) -> RecordedHistory:
        if not self.data_converter.active:
            return recorded
        events = await self.data_converter.decode_events(recorded.events)
        return dataclasses.replace(recorded, events=events)

    def _replay(
        self,
        recorded: RecordedHistory,
        workflow_id: str | None,
        run_id: str | None,
        raise_on_error: bool,
    ) -> ReplayResult:
        assumed = tuple(
            name
            for name, value in (
                ("workflow_id", workflow_id or recorded.workflow_id),
                ("run_id", run_id or recorded.run_id),
            )
            if not value
        )
        workflow_id = workflow_id or recorded.workflow_id or PLACEHOLDER_WORKFLOW_ID
        run_id = run_id or recorded.run_id or PLACEHOLDER_RUN_ID
        name, version = recorded.workflow_type
        definition = self.definition_for(name, version)
        instance = WorkflowInstance(
            definition,
            workflow_id=workflow_id,
            run_id=run_id,
            failure_exception_types=self.workflow_failure_exception_types,
            payload_converter=self.data_converter.values,
        )
        label = f"{name}/{version}"
        events = recorded.events
        try:
            outcome = instance.process(events)
        except Exception as error:
            if raise_on_error:
                raise
            return ReplayResult(label, len(events), error=error, assumed_ids=assumed)
        decisions = outcome.decisions if outcome is not None else []
        return ReplayResult(label, len(events), decisions=decisions, assumed_ids=assumed)
