"""Decision tasks: poll (all pages), activate the workflow, answer SWF.

``DecisionTaskHandler`` is the seam between the network and the engine. It receives a
run's whole event list and its ids, and keeps live ``WorkflowInstance`` objects per run in
an LRU cache: when SWF's next task for a run follows directly on the decision the cached
instance made, only the new events are fed (the engine's incremental path); anything else
— a miss, a timed-out or failed previous task — replays the full history.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from .._engine.definitions import WorkflowDefinition, workflow_definition
from .._engine.instance import ActivationResult, WorkflowInstance
from .._wire import events as e
from .._wire.codec import AnyEvent, decode_events
from ..exceptions import UnknownTypeError

log = structlog.get_logger("swfasync.worker")


@dataclass(frozen=True)
class DecisionTask:
    """One polled decision task with its full history."""

    task_token: str
    workflow_id: str
    run_id: str
    workflow_type: str
    workflow_version: str
    started_event_id: int
    previous_started_event_id: int
    events: list[AnyEvent]


async def poll_decision_task(
    swf: Any, *, domain: str, task_list: str, identity: str
) -> DecisionTask | None:
    """Long-poll for a decision task; None when the poll ended empty.

    The history arrives in pages; every page is fetched before the task is handled
    (a cache hit still needs the tail, and SWF pages oldest-first).
    """
    request: dict[str, Any] = {
        "domain": domain,
        "taskList": {"name": task_list},
        "identity": identity,
        "maximumPageSize": 1000,
    }
    first = await swf.poll_for_decision_task(**request)
    token = first.get("taskToken")
    if not token:
        return None
    raw_events: list[Any] = list(first.get("events", []))
    next_page = first.get("nextPageToken")
    while next_page:
        page = await swf.poll_for_decision_task(**request, nextPageToken=next_page)
        raw_events.extend(page.get("events", []))
        next_page = page.get("nextPageToken")
    execution = first["workflowExecution"]
    kind = first["workflowType"]
    return DecisionTask(
        task_token=token,
        workflow_id=execution["workflowId"],
        run_id=execution["runId"],
        workflow_type=kind["name"],
        workflow_version=kind["version"],
        started_event_id=int(first.get("startedEventId", 0)),
        previous_started_event_id=int(first.get("previousStartedEventId", 0)),
        events=decode_events(raw_events),
    )


class DecisionTaskHandler:
    """Turns decision tasks into activations, keeping live instances per run.

    Thread-safety: SWF never has two decision tasks of one run outstanding, and the worker
    evicts a run before it could be touched by an abandoned (deadlocked) activation, so a
    plain dict guarded by the GIL is enough here.
    """

    def __init__(self, workflows: Iterable[Any], *, domain: str, max_cached: int = 500) -> None:
        self.domain = domain
        self.max_cached = max_cached
        self._definitions: dict[tuple[str, str], WorkflowDefinition] = {}
        for workflow in workflows:
            definition = workflow_definition(workflow)
            self._definitions[(definition.name, definition.version)] = definition
        self._cache: OrderedDict[str, WorkflowInstance] = OrderedDict()
        self.cache_hits = 0
        self.full_replays = 0

    @property
    def definitions(self) -> list[WorkflowDefinition]:
        return list(self._definitions.values())

    def replace_workflows(self, workflows: Iterable[Any]) -> None:
        """Swap the workflow code (a deployment); cached instances of old code are dropped."""
        self._definitions = {}
        for workflow in workflows:
            definition = workflow_definition(workflow)
            self._definitions[(definition.name, definition.version)] = definition
        self._cache.clear()

    def evict(self, run_id: str) -> None:
        self._cache.pop(run_id, None)

    def activate(self, task: DecisionTask) -> ActivationResult | None:
        """Run the workflow code for ``task``; raises what the engine raises."""
        definition = self._definitions.get((task.workflow_type, task.workflow_version))
        if definition is None:
            raise UnknownTypeError(
                f"this worker has no workflow {task.workflow_type}/{task.workflow_version}"
            )
        instance = self._cache.pop(task.run_id, None)
        events: list[AnyEvent] = task.events
        if instance is not None and self._follows_on(instance, task):
            events = [ev for ev in task.events if ev.event_id > instance.last_started_event_id]
            self.cache_hits += 1
        else:
            instance = WorkflowInstance(
                definition, workflow_id=task.workflow_id, run_id=task.run_id, domain=self.domain
            )
            self.full_replays += 1
        result = instance.process(events)
        if self.max_cached > 0 and not instance.closed and result is not None:
            self._cache[task.run_id] = instance
            while len(self._cache) > self.max_cached:
                self._cache.popitem(last=False)
        return result

    @staticmethod
    def _follows_on(instance: WorkflowInstance, task: DecisionTask) -> bool:
        # The cached instance's last decision must be the one SWF recorded as completed;
        # after a timed-out or unanswered task its unrecorded commands would not match.
        last = instance.last_started_event_id
        return last > 0 and any(
            isinstance(ev, e.DecisionTaskCompleted) and ev.attributes.started_event_id == last
            for ev in task.events
            if ev.event_id > last
        )
