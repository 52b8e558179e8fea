"""Decision tasks: poll, find or rebuild the run's live state, activate, answer SWF.

``DecisionTaskHandler`` is the seam between the network and the engine. It keeps live
``WorkflowInstance`` objects per run in an LRU cache bounded by count and by an estimate of
their memory. When SWF's next task for a run follows directly on the decision the cached
instance made, only the new events are fed (the engine's incremental path); anything else
— a miss, a timed-out or unanswered previous task, new workflow code — replays the run's
full history from scratch, which produces the same decisions (tests/worker/test_sticky.py
checks that on live runs; tests/engine/test_replay_property.py on generated programs).

The worker pairs the cache with a sticky task list (see ``Worker``): each decision names
the process's own task list for the run's next decision task, so that task comes back to
the process holding the run, and is polled with ``startAtPreviousStartedEvent`` so only
the tail of the history travels. A sticky task nobody starts in time is handed back by SWF
to the workflow's own task list, where any worker rebuilds the run from its full history.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from .._client.transport import SwfTransport
from .._engine import converter, task_failures
from .._engine.converter import JsonPayloadConverter
from .._engine.definitions import WorkflowDefinition, activity_definition, workflow_definition
from .._engine.failures import encode_failure
from .._engine.instance import ActivationResult, WorkflowInstance, WorkflowTaskError
from .._log import get_logger
from .._wire import api
from .._wire import decisions as d
from .._wire import events as e
from .._wire.codec import AnyEvent
from .._wire.common import TaskList, WorkflowExecution
from ..exceptions import HistoryError, UnknownTypeError

log = get_logger("swfasync.worker")

PAGE_SIZE: Final = 1000

# What a cached instance is charged beyond its payloads: the engine's objects, the event
# loop, the coroutine frames. Measured by benchmarks/bench_memory.py (tracemalloc).
INSTANCE_BASE_BYTES: Final = 12_000
# Per event applied: command records, the id index, results held by the workflow's code.
EVENT_BYTES: Final = 120

# A decision task that failed again is answered after a pause in real time, doubling from
# REPEAT_PAUSE from the third failure on, up to MAX_REPEAT_PAUSE and at most a quarter of
# the task's own start-to-close timeout. Against SWF the retry timer's backoff dominates;
# under a dev server that skips time over timers, the pause is what keeps a broken
# workflow from being retried hundreds of times a second.
REPEAT_PAUSE: Final = 0.1
MAX_REPEAT_PAUSE: Final = 2.0

_PAYLOAD_FIELDS: Final = ("input", "result", "details", "control", "reason")

_CLOSING_DECISIONS: Final = (
    d.CompleteWorkflowExecution,
    d.FailWorkflowExecution,
    d.CancelWorkflowExecution,
    d.ContinueAsNewWorkflowExecution,
)


class DecisionTask(msgspec.Struct, frozen=True, kw_only=True):
    """One polled decision task (a Struct: one is made for every task polled).

    ``events`` is the whole history up to ``started_event_id``, unless the task was polled
    with ``startAtPreviousStartedEvent``: then it starts at the previous decision task and
    ``partial`` is true.
    """

    task_token: str
    workflow_id: str
    run_id: str
    workflow_type: str
    workflow_version: str
    started_event_id: int
    previous_started_event_id: int
    events: list[AnyEvent]
    partial: bool = False


async def poll_decision_task(
    swf: SwfTransport,
    *,
    domain: str,
    task_list: str,
    identity: str,
    start_at_previous_started_event: bool = False,
) -> DecisionTask | None:
    """Long-poll for a decision task and fetch all its pages; None when the poll ended empty.

    With ``start_at_previous_started_event`` SWF sends only the events since the previous
    decision task (the sticky path, where the worker usually holds the rest in memory).
    """

    def page_request(next_page_token: str | None = None) -> api.PollForDecisionTaskInput:
        return api.PollForDecisionTaskInput(
            domain=domain,
            task_list=TaskList(name=task_list),
            identity=identity,
            maximum_page_size=PAGE_SIZE,
            start_at_previous_started_event=True if start_at_previous_started_event else None,
            next_page_token=next_page_token,
        )

    first = await swf.send(page_request())
    if first is None or not first.task_token:
        return None
    events: list[AnyEvent] = list(first.events)
    next_page = first.next_page_token
    while next_page:
        page = await swf.send(page_request(next_page))
        if page is None:  # SWF answers every page of a task it handed out
            raise HistoryError(
                f"PollForDecisionTask answered the request for a further page of the task "
                f"for {first.workflow_execution.workflow_id} with no task"
            )
        events.extend(page.events)
        next_page = page.next_page_token
    execution = first.workflow_execution
    kind = first.workflow_type
    return DecisionTask(
        task_token=first.task_token,
        workflow_id=execution.workflow_id,
        run_id=execution.run_id,
        workflow_type=kind.name,
        workflow_version=kind.version,
        started_event_id=first.started_event_id,
        previous_started_event_id=first.previous_started_event_id or 0,
        events=events,
        partial=bool(events) and events[0].event_id > 1,
    )


async def fetch_full_history(
    swf: SwfTransport, *, domain: str, task: DecisionTask
) -> list[AnyEvent]:
    """The run's history from event 1 to the task's DecisionTaskStarted, all pages.

    GetWorkflowExecutionHistory returns the history as it is now, which may already hold
    events recorded after the task started (a signal, a completed activity): those belong
    to the next decision task and are cut off.
    """
    request = api.GetWorkflowExecutionHistoryInput(
        domain=domain,
        execution=WorkflowExecution(workflow_id=task.workflow_id, run_id=task.run_id),
        maximum_page_size=PAGE_SIZE,
    )
    events: list[AnyEvent] = []
    while True:
        page = await swf.send(request)
        events.extend(page.events)
        if not page.next_page_token or (events and events[-1].event_id >= task.started_event_id):
            break
        request = msgspec.structs.replace(request, next_page_token=page.next_page_token)
    return [ev for ev in events if ev.event_id <= task.started_event_id]


def closes_run(result: ActivationResult | None) -> bool:
    """Whether the activation's decisions end the run (complete, fail, cancel, continue).

    The engine puts a closing decision last, after everything else the activation decided.
    """
    return (
        result is not None
        and bool(result.decisions)
        and isinstance(result.decisions[-1], _CLOSING_DECISIONS)
    )


def estimate_bytes(events: Sequence[AnyEvent]) -> int:
    """A cheap estimate of the memory that applying ``events`` adds to a live instance.

    Payloads dominate (a workflow keeps its inputs and activity results referenced), so
    they count in full; the rest is a per-event constant. ``bench_memory`` compares the
    estimate with tracemalloc's measurement.
    """
    total = EVENT_BYTES * len(events)
    for event in events:
        attributes = getattr(event, "attributes", None)
        for name in _payload_fields(type(attributes)):
            value = getattr(attributes, name)
            if isinstance(value, str):
                total += len(value)
    return total


_payload_fields_by_type: dict[type, tuple[str, ...]] = {}


def _payload_fields(attributes_type: type) -> tuple[str, ...]:
    """The payload fields an event's attributes have (most have none or one), looked up
    once per type: the estimate runs on every decision."""
    fields = _payload_fields_by_type.get(attributes_type)
    if fields is None:
        declared = getattr(attributes_type, "__struct_fields__", ())
        fields = tuple(name for name in _PAYLOAD_FIELDS if name in declared)
        _payload_fields_by_type[attributes_type] = fields
    return fields


@dataclass
class CachedRun:
    """A run's live workflow instance and the memory it is charged in the cache."""

    instance: WorkflowInstance
    estimated_bytes: int


class DecisionTaskHandler:
    """Turns decision tasks into activations, keeping live instances per run.

    The cache holds at most ``max_cached`` runs and about ``max_cached_bytes`` of their
    estimated memory, evicting the least recently used first. ``max_cached=0`` turns it
    off: every decision task is a full replay.

    ``decide`` answers every task: with the workflow's decisions, or, when the activation
    fails, with a record of the failure and a retry timer (see ``_engine.task_failures``):
    ``decision_retry_initial`` seconds after the first failure, doubling up to
    ``decision_retry_maximum``. An error of one of ``failure_exception_types`` fails the
    execution instead (``NondeterminismError`` may be one of them).

    Thread-safety: SWF never has two decision tasks of one run outstanding, and a run's
    instance is taken out of the cache for the whole activation (so an abandoned,
    deadlocked activation can never be found again), so a plain dict guarded by the GIL is
    enough here.
    """

    def __init__(
        self,
        workflows: Iterable[Any],
        *,
        domain: str,
        max_cached: int = 500,
        max_cached_bytes: int = 256 * 1024 * 1024,
        failure_exception_types: Iterable[type[BaseException]] = (),
        decision_retry_initial: float = 1.0,
        decision_retry_maximum: float = 600.0,
        identity: str | None = None,
        activity_task_list: str | None = None,
        activities: Iterable[Any] = (),
        payload_converter: JsonPayloadConverter = converter.DEFAULT,
    ) -> None:
        self.domain = domain
        self.payload_converter = payload_converter
        self.max_cached = max_cached
        self.max_cached_bytes = max_cached_bytes
        self.failure_exception_types = tuple(failure_exception_types)
        self.decision_retry_initial = decision_retry_initial
        self.decision_retry_maximum = decision_retry_maximum
        self.identity = identity
        # Where this process's activity worker takes each activity type it runs (its
        # registered default task list), to tell when a decision sends one elsewhere.
        self.activity_task_list = activity_task_list
        self._served: dict[tuple[str, str], str | None] = {}
        for activity in activities:
            found = activity_definition(activity)
            self._served[(found.name, found.version)] = found.task_list or activity_task_list
        self._warned_task_lists: set[str] = set()
        self._definitions = self._index(workflows)
        self._cache: OrderedDict[str, CachedRun] = OrderedDict()
        self._cached_bytes = 0
        self.cache_hits = 0
        self.full_replays = 0

    @staticmethod
    def _index(workflows: Iterable[Any]) -> dict[tuple[str, str], WorkflowDefinition]:
        definitions = (workflow_definition(workflow) for workflow in workflows)
        return {(definition.name, definition.version): definition for definition in definitions}

    @property
    def definitions(self) -> list[WorkflowDefinition]:
        return list(self._definitions.values())

    @property
    def cached_runs(self) -> int:
        return len(self._cache)

    @property
    def cached_bytes(self) -> int:
        """The estimated memory of the cached instances (see ``estimate_bytes``)."""
        return self._cached_bytes

    def replace_workflows(self, workflows: Iterable[Any]) -> None:
        """Swap the workflow code (a deployment); cached instances of old code are dropped."""
        self._definitions = self._index(workflows)
        self._cache.clear()
        self._cached_bytes = 0

    def evict(self, run_id: str) -> None:
        entry = self._cache.pop(run_id, None)
        if entry is not None:
            self._cached_bytes -= entry.estimated_bytes

    def take(self, task: DecisionTask) -> CachedRun | None:
        """Take the run's live state out of the cache if it can answer ``task`` incrementally.

        Taken, not looked at: while the activation runs, no other activation's eviction can
        reach it, and an abandoned (deadlocked) activation leaves nothing behind. A cached
        state that does not follow on from ``task`` is dropped.
        """
        entry = self._cache.pop(task.run_id, None)
        if entry is None:
            return None
        self._cached_bytes -= entry.estimated_bytes
        return entry if _follows_on(entry.instance, task) else None

    def activate(
        self, task: DecisionTask, cached: CachedRun | None = None
    ) -> ActivationResult | None:
        """Run the workflow code for ``task``; raises what the engine raises.

        With ``cached`` (from ``take``) only the events after its last decision are
        applied; without, ``task.events`` must be the full history and is replayed.
        """
        definition = self._definitions.get((task.workflow_type, task.workflow_version))
        if definition is None:
            raise UnknownTypeError(
                f"this worker has no workflow {task.workflow_type}/{task.workflow_version}"
            )
        if cached is not None:
            last = cached.instance.last_started_event_id
            events = [ev for ev in task.events if ev.event_id > last]
            self.cache_hits += 1
        else:
            if task.partial:
                raise ValueError(
                    f"decision task of run {task.run_id} carries only the events since "
                    "its previous decision task; a full replay needs the whole history"
                )
            cached = CachedRun(
                WorkflowInstance(
                    definition,
                    workflow_id=task.workflow_id,
                    run_id=task.run_id,
                    domain=self.domain,
                    failure_exception_types=self.failure_exception_types,
                    payload_converter=self.payload_converter,
                ),
                INSTANCE_BASE_BYTES,
            )
            events = task.events
            self.full_replays += 1
        result = cached.instance.process(events)
        if self.max_cached > 0 and result is not None and not closes_run(result):
            cached.estimated_bytes += estimate_bytes(events)
            self._keep(task.run_id, cached)
        return result

    def decide(self, task: DecisionTask, cached: CachedRun | None = None) -> ActivationResult:
        """The answer to ``task``: ``activate``'s, or the record of its failure.

        A failed activation leaves nothing in the cache. Its answer is a failure marker and
        a retry timer, or, for an error of ``failure_exception_types``, the decision that
        fails the execution; either way ``failure`` or the closing decision says which.
        """
        try:
            result = self.activate(task, cached)
        except Exception as error:
            self.evict(task.run_id)
            return self.failure_answer(task, error)
        if result is None:
            return ActivationResult([], None)
        for decision in result.decisions:
            if type(decision) is d.ScheduleActivityTask:
                self._check_served(task, decision.attributes)
        return result

    def answer_delay(self, task: DecisionTask, failure: task_failures.DecisionFailure) -> float:
        """Seconds to hold the answer that records ``failure`` (see ``REPEAT_PAUSE``)."""
        if failure.attempt < 3:
            return 0.0
        pause = min(REPEAT_PAUSE * 2.0 ** min(failure.attempt - 3, 20), MAX_REPEAT_PAUSE)
        started = task.events[0] if task.events else None
        if isinstance(started, e.WorkflowExecutionStarted):
            timeout = started.attributes.task_start_to_close_timeout
            if timeout and timeout.isdigit():
                pause = min(pause, int(timeout) / 4)
        return pause

    def _check_served(
        self, task: DecisionTask, attributes: d.ScheduleActivityTaskDecisionAttributes
    ) -> None:
        """Warn, once per task list, of an activity sent where this process polls nothing.

        SWF keeps such a task scheduled, silently, until its schedule-to-start timeout
        (``NONE``: forever) unless some worker polls that task list. Another process may
        well poll it: the warning says so, and how to bound the wait.
        """
        kind = attributes.activity_type
        if attributes.task_list is not None:
            target: str | None = attributes.task_list.name
        else:
            if (kind.name, kind.version) not in self._served:
                return  # its registered default task list is not known here
            target = self._served[(kind.name, kind.version)]
        if target is None or target == self.activity_task_list:
            return
        if target in self._warned_task_lists:
            return
        self._warned_task_lists.add(target)
        _task_log(task).warning(
            "activity_task_list_not_polled_here",
            task_list=target,
            activity_type=f"{kind.name}/{kind.version}",
            activity_id=attributes.activity_id,
            schedule_to_start_timeout=attributes.schedule_to_start_timeout,
            hint=(
                f"no activity worker of this process polls task list {target!r}; unless "
                "another one does, the activity waits there until its "
                "schedule_to_start_timeout (NONE: forever); pass one to bound the wait"
            ),
        )

    def failure_answer(self, task: DecisionTask, error: BaseException) -> ActivationResult:
        """What to answer for a decision task whose activation raised ``error``."""
        root = (
            error.__cause__ if isinstance(error, WorkflowTaskError) and error.__cause__ else error
        )
        if isinstance(root, self.failure_exception_types):
            reason, details = encode_failure(root)
            _task_log(task).error("workflow_failed_by_decision_error", error=repr(root))
            fail = d.FailWorkflowExecution(
                attributes=d.FailWorkflowExecutionDecisionAttributes(reason=reason, details=details)
            )
            return ActivationResult([fail], None)
        attempt = task_failures.consecutive_failures(task.events) + 1
        delay = task_failures.retry_delay(
            attempt, self.decision_retry_initial, self.decision_retry_maximum
        )
        failure = task_failures.describe_error(
            root,
            attempt=attempt,
            started_event_id=task.started_event_id,
            retry_after=delay,
            identity=self.identity,
        )
        _task_log(task).error(
            "decision_task_failed",
            error=repr(root),
            file=failure.file,
            line=failure.line,
            attempt=attempt,
            retry_in=delay,
            stack=failure.stack,
        )
        return ActivationResult(
            task_failures.failure_decisions(failure, delay), None, failure=failure
        )

    def _keep(self, run_id: str, entry: CachedRun) -> None:
        self._cache[run_id] = entry
        self._cached_bytes += entry.estimated_bytes
        while self._cache and (
            len(self._cache) > self.max_cached or self._cached_bytes > self.max_cached_bytes
        ):
            _, evicted = self._cache.popitem(last=False)
            self._cached_bytes -= evicted.estimated_bytes


def _task_log(task: DecisionTask) -> Any:
    return log.bind(
        workflow_id=task.workflow_id,
        run_id=task.run_id,
        workflow_type=f"{task.workflow_type}/{task.workflow_version}",
        started_event_id=task.started_event_id,
    )


def _follows_on(instance: WorkflowInstance, task: DecisionTask) -> bool:
    # The cached instance's last decision must be the one SWF recorded as completed (after
    # a timed-out or unanswered task its unrecorded commands would not match), and the
    # task must carry every event after it: a sticky page starts at the previous decision
    # task, which is this instance's only when no other worker decided in between.
    last = instance.last_started_event_id
    if last <= 0 or instance.closed or not task.events or task.events[0].event_id > last + 1:
        return False
    return any(
        isinstance(ev, e.DecisionTaskCompleted) and ev.attributes.started_event_id == last
        for ev in task.events
        if ev.event_id > last
    )
