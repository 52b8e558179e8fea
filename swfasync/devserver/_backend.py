"""The dev server's state machine core: executions, history recording, decision-task
scheduling, closing (with parent notification and child policies), timeouts, and the
write-through to SQLite (when the server has a database file).

All state changes happen synchronously on the one event loop that owns the server; each
request or timer firing ends with ``settle()``, which schedules the decision tasks the new
events call for, hands tasks to waiting pollers, re-arms deadlines and commits once
(nothing when the request changed nothing).
"""

from __future__ import annotations

import asyncio
import base64
import heapq
import itertools
import os
from collections.abc import Awaitable, Callable

import msgspec

from .._log import get_logger
from ._clock import Clock
from ._faults import UnknownResourceFault
from ._polling import QueuedTask, TaskQueues
from ._scheduler import Key, Scheduler
from ._state import (
    DAY,
    EVENT_LIMIT,
    DecisionTask,
    Domain,
    Execution,
    Json,
    PageTokens,
    TypeRecord,
    deadline,
    type_key,
)
from ._store import Store

log = get_logger("swfasync.devserver")

_event_encoder = msgspec.json.Encoder()

LambdaFn = Callable[[str | None], "str | Awaitable[str | None] | None"]

# Events that do not, by themselves, call for a new decision task.
QUIET_EVENTS = frozenset(
    {
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "ActivityTaskStarted",
        "ActivityTaskCancelRequested",
        "TimerStarted",
        "TimerCanceled",
        "MarkerRecorded",
        "StartChildWorkflowExecutionInitiated",
        "SignalExternalWorkflowExecutionInitiated",
        "RequestCancelExternalWorkflowExecutionInitiated",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "WorkflowExecutionCompleted",
        "WorkflowExecutionFailed",
        "WorkflowExecutionCanceled",
        "WorkflowExecutionTerminated",
        "WorkflowExecutionTimedOut",
        "WorkflowExecutionContinuedAsNew",
    }
)

CHILD_CLOSE_EVENTS = {
    "COMPLETED": "ChildWorkflowExecutionCompleted",
    "FAILED": "ChildWorkflowExecutionFailed",
    "CANCELED": "ChildWorkflowExecutionCanceled",
    "TERMINATED": "ChildWorkflowExecutionTerminated",
    "TIMED_OUT": "ChildWorkflowExecutionTimedOut",
}


def attrs_key(event_type: str) -> str:
    return event_type[0].lower() + event_type[1:] + "EventAttributes"


def new_run_id() -> str:
    return base64.b64encode(os.urandom(33)).decode()


class Backend:
    def __init__(self, store: Store | None, clock: Clock, time_skipping: bool) -> None:
        self.store = store  # None: state lives in this process only
        self.clock = clock
        self.domains: dict[str, Domain] = {}
        self.types: dict[str, TypeRecord] = {}
        self.executions: dict[str, Execution] = {}
        # the same executions by domain: visibility operations read one domain at a time
        self.domain_executions: dict[str, dict[str, Execution]] = {}
        # (when it leaves visibility, run id) for every closed execution, earliest first
        self.retention_queue: list[tuple[float, str]] = []
        # each event is encoded once, when recorded: pages and the store reuse its JSON
        self.histories: dict[str, list[msgspec.Raw]] = {}
        self.open_ids: dict[tuple[str, str], str] = {}  # (domain, workflow id) -> run id
        self.lambdas: dict[str, LambdaFn] = {}
        self.queues = TaskQueues(self._task_is_valid)
        self.page_tokens = PageTokens(os.urandom(32))
        self.scheduler = Scheduler(clock, self._fire, self.may_skip_to, time_skipping)
        self._seq = itertools.count()
        self._touched: dict[str, Execution] = {}
        # executions a failed write left unwritten: the next write takes them along
        self._unwritten: dict[str, Execution] = {}
        self._persisted: dict[str, int] = {}  # run id -> events committed to the store
        self._persisted_offset: float | None = None
        self._dirty_domains: set[str] = set()
        self._dirty_types: set[str] = set()
        self._deleted_types: set[str] = set()
        self._deleted_runs: set[str] = set()
        self._lambda_tasks: set[asyncio.Task[None]] = set()
        self._load()

    # -- loading ----------------------------------------------------------------------

    def _load(self) -> None:
        store = self.store
        if store is None:
            return
        for domain in store.domains():
            self.domains[domain.name] = domain
        for record in store.types():
            self.types[record.key] = record
        offset = store.meta("clock_offset")
        if offset is not None and hasattr(self.clock, "offset"):
            self.clock.offset = max(self.clock.offset, float(offset))
            self._persisted_offset = float(offset)
        executions = sorted(store.executions(), key=lambda e: e.start_ts)
        for ex in executions:
            self._add_execution(ex)
            self.histories[ex.run_id] = store.events(ex.run_id)
            self._persisted[ex.run_id] = len(self.histories[ex.run_id])
            if ex.is_open:
                self.open_ids[(ex.domain, ex.workflow_id)] = ex.run_id
            else:
                self._retain(ex)
        # re-queue every scheduled, not yet started task, in its original order
        pending: list[tuple[int, Execution, str]] = []
        for ex in executions:
            if not ex.is_open:
                continue
            if ex.decision is not None and not ex.decision.started_event_id:
                pending.append((ex.decision.seq, ex, ""))
            pending.extend((a.seq, ex, a.activity_id) for a in ex.activities.values())
        top = 0
        for seq, ex, ref in sorted(pending, key=lambda p: p[0]):
            top = max(top, seq + 1)
            if ref == "":
                assert ex.decision is not None
                self._enqueue_decision(ex, ex.decision)
            elif not ex.activities[ref].started_event_id:
                self._enqueue_activity(ex, ref)
        self._seq = itertools.count(top)
        for ex in executions:
            if ex.is_open:
                self.scheduler.sync(ex.run_id, self._deadlines(ex))
                for call in ex.lambdas.values():
                    if call.started_event_id:
                        self.run_lambda(ex, call.lambda_id)

    # -- lookups ----------------------------------------------------------------------

    def next_seq(self) -> int:
        return next(self._seq)

    def domain(self, name: str, *, registered: bool = False) -> Domain:
        found = self.domains.get(name)
        if found is None:
            raise UnknownResourceFault(f"Unknown domain: {name}")
        if registered and found.status != "REGISTERED":
            raise UnknownResourceFault(f"Domain is deprecated: {name}")
        return found

    def find_type(self, kind: str, domain: str, ref: Json) -> TypeRecord | None:
        return self.types.get(type_key(kind, domain, ref["name"], ref["version"]))

    def get_type(self, kind: str, domain: str, ref: Json) -> TypeRecord:
        record = self.find_type(kind, domain, ref)
        if record is None:
            label = "WorkflowType" if kind == "workflow" else "ActivityType"
            raise UnknownResourceFault(
                f"Unknown type: {label}=[name={ref['name']}, version={ref['version']}]"
            )
        return record

    def open_execution(self, domain: str, workflow_id: str, run_id: str | None) -> Execution:
        if run_id:
            ex = self.executions.get(run_id)
            if ex is None or ex.domain != domain or ex.workflow_id != workflow_id:
                ex = None
        else:
            found = self.open_ids.get((domain, workflow_id))
            ex = self.executions.get(found) if found else None
        if ex is None or not ex.is_open:
            raise UnknownResourceFault(
                f"Unknown execution: WorkflowExecution=[workflowId={workflow_id}, "
                f"runId={run_id or ''}]"
            )
        return ex

    def events(self, ex: Execution) -> list[msgspec.Raw]:
        return self.histories[ex.run_id]

    def _add_execution(self, ex: Execution) -> None:
        self.executions[ex.run_id] = ex
        self.domain_executions.setdefault(ex.domain, {})[ex.run_id] = ex

    # -- recording --------------------------------------------------------------------

    def touch(self, ex: Execution) -> None:
        self._touched[ex.run_id] = ex

    def add_event(self, ex: Execution, event_type: str, attrs: Json) -> int:
        """Append an event to an open execution's history; returns its id (0 if dropped)."""
        if not ex.is_open:
            return 0
        history = self.histories[ex.run_id]
        if len(history) >= EVENT_LIMIT - 1 and event_type != "WorkflowExecutionTerminated":
            self.terminate(
                ex, reason=None, details=None, child_policy=None, cause="EVENT_LIMIT_EXCEEDED"
            )
            return 0
        event_id = len(history) + 1
        event = {
            "eventTimestamp": self.clock.now(),
            "eventType": event_type,
            "eventId": event_id,
            attrs_key(event_type): {k: v for k, v in attrs.items() if v is not None},
        }
        history.append(msgspec.Raw(_event_encoder.encode(event)))
        ex.event_count = event_id
        if event_type not in QUIET_EVENTS:
            ex.needs_decision = True
        self.touch(ex)
        return event_id

    # -- starting ---------------------------------------------------------------------

    def start_execution(
        self,
        domain: str,
        workflow_id: str,
        workflow_type: Json,
        params: Json,
        *,
        parent: Json | None = None,
        parent_initiated_event_id: int = 0,
        continued_from: str | None = None,
        run_id: str | None = None,
    ) -> Execution:
        """Open a new run; ``params`` are already resolved against the type's defaults."""
        now = self.clock.now()
        ex = Execution(
            domain=domain,
            workflow_id=workflow_id,
            run_id=run_id or new_run_id(),
            workflow_type={"name": workflow_type["name"], "version": workflow_type["version"]},
            start_ts=now,
            task_list=params["taskList"]["name"],
            task_priority=params.get("taskPriority"),
            child_policy=params["childPolicy"],
            execution_timeout=params["executionStartToCloseTimeout"],
            task_timeout=params["taskStartToCloseTimeout"],
            tag_list=list(params.get("tagList") or []),
            lambda_role=params.get("lambdaRole"),
            parent=parent,
            parent_initiated_event_id=parent_initiated_event_id,
            execution_deadline=deadline(now, params["executionStartToCloseTimeout"]),
        )
        self._add_execution(ex)
        self.histories[ex.run_id] = []
        self._persisted[ex.run_id] = 0
        self.open_ids[(domain, workflow_id)] = ex.run_id
        self.add_event(
            ex,
            "WorkflowExecutionStarted",
            {
                "input": params.get("input"),
                "executionStartToCloseTimeout": ex.execution_timeout,
                "taskStartToCloseTimeout": ex.task_timeout,
                "childPolicy": ex.child_policy,
                "taskList": {"name": ex.task_list},
                "taskPriority": ex.task_priority,
                "workflowType": ex.workflow_type,
                "tagList": ex.tag_list or None,
                "continuedExecutionRunId": continued_from,
                "parentWorkflowExecution": ex.parent,
                "parentInitiatedEventId": parent_initiated_event_id,
                "lambdaRole": ex.lambda_role,
            },
        )
        return ex

    # -- decision tasks ---------------------------------------------------------------

    def schedule_decision(self, ex: Execution) -> None:
        if not ex.is_open:
            return
        current = ex.decision
        if current is not None and (not current.started_event_id or ex.queued_decision):
            return  # coalesced into the task already scheduled
        ex.needs_decision = False
        task_list = ex.sticky_task_list or ex.task_list
        sticky_timeout = ex.sticky_timeout if ex.sticky_task_list else None
        event_id = self.add_event(
            ex,
            "DecisionTaskScheduled",
            {
                "taskList": {"name": task_list},
                "taskPriority": ex.task_priority,
                "startToCloseTimeout": ex.task_timeout,
                "scheduleToStartTimeout": sticky_timeout,
            },
        )
        if not event_id:
            return
        task = DecisionTask(
            scheduled_event_id=event_id,
            task_list=task_list,
            priority=ex.priority,
            seq=self.next_seq(),
            schedule_to_start_deadline=deadline(self.clock.now(), sticky_timeout),
        )
        if current is None:
            ex.decision = task
            self._enqueue_decision(ex, task)
        else:
            ex.queued_decision = task

    def finish_decision(self, ex: Execution) -> None:
        """The started decision task is over: dispatch the one scheduled meanwhile."""
        ex.decision, ex.queued_decision = ex.queued_decision, None
        if ex.decision is not None:
            ex.decision.seq = self.next_seq()
            self._enqueue_decision(ex, ex.decision)

    def _enqueue_decision(self, ex: Execution, task: DecisionTask) -> None:
        self.queues.push(
            ("decision", ex.domain, task.task_list),
            QueuedTask((-task.priority, task.seq), ex.run_id, "", task.scheduled_event_id),
        )

    def _enqueue_activity(self, ex: Execution, activity_id: str) -> None:
        act = ex.activities[activity_id]
        self.queues.push(
            ("activity", ex.domain, act.task_list),
            QueuedTask((-act.priority, act.seq), ex.run_id, activity_id, act.scheduled_event_id),
        )

    def enqueue_activity(self, ex: Execution, activity_id: str) -> None:
        self._enqueue_activity(ex, activity_id)

    def _task_is_valid(self, kind: str, task: QueuedTask) -> bool:
        ex = self.executions.get(task.run_id)
        if ex is None or not ex.is_open:
            return False
        if kind == "decision":
            d = ex.decision
            return (
                d is not None
                and d.scheduled_event_id == task.scheduled_event_id
                and not d.started_event_id
            )
        act = ex.activities.get(task.ref)
        return (
            act is not None
            and act.scheduled_event_id == task.scheduled_event_id
            and not act.started_event_id
        )

    # -- closing ----------------------------------------------------------------------

    def close(self, ex: Execution, close_status: str, event_type: str, attrs: Json) -> None:
        if not ex.is_open:
            return
        self.add_event(ex, event_type, attrs)
        if not ex.is_open:  # the event limit closed it instead
            return
        ex.status = "CLOSED"
        ex.close_status = close_status
        ex.close_ts = self.clock.now()
        self._retain(ex)
        ex.decision = ex.queued_decision = None
        ex.needs_decision = False
        ex.activities.clear()
        ex.timers.clear()
        ex.lambdas.clear()
        self.open_ids.pop((ex.domain, ex.workflow_id), None)
        self.touch(ex)
        if close_status in ("TERMINATED", "TIMED_OUT"):
            self._apply_child_policy(ex, attrs.get("childPolicy") or ex.child_policy)
        if close_status != "CONTINUED_AS_NEW":
            self._notify_parent(ex, close_status, attrs)

    def _retain(self, ex: Execution) -> None:
        """Queue a closed execution for removal once its domain's retention period ends."""
        assert ex.close_ts is not None
        domain = self.domains.get(ex.domain)
        days = int(domain.retention_days) if domain is not None else 0
        heapq.heappush(self.retention_queue, (ex.close_ts + days * DAY, ex.run_id))

    def terminate(
        self,
        ex: Execution,
        *,
        reason: str | None,
        details: str | None,
        child_policy: str | None,
        cause: str | None,
    ) -> None:
        self.close(
            ex,
            "TERMINATED",
            "WorkflowExecutionTerminated",
            {
                "reason": reason,
                "details": details,
                "childPolicy": child_policy or ex.child_policy,
                "cause": cause,
            },
        )

    def request_cancel(self, ex: Execution, attrs: Json) -> None:
        self.add_event(ex, "WorkflowExecutionCancelRequested", attrs)
        ex.cancel_requested = True

    def _apply_child_policy(self, parent: Execution, policy: str) -> None:
        for child in list(parent.children.values()):
            target = self.executions.get(child.run_id) if child.run_id else None
            if target is None or not target.is_open:
                continue
            if policy == "TERMINATE":
                self.terminate(
                    target,
                    reason=None,
                    details=None,
                    child_policy=None,
                    cause="CHILD_POLICY_APPLIED",
                )
            elif policy == "REQUEST_CANCEL":
                self.request_cancel(target, {"cause": "CHILD_POLICY_APPLIED"})

    def _notify_parent(self, ex: Execution, close_status: str, attrs: Json) -> None:
        if ex.parent is None:
            return
        parent = self.executions.get(ex.parent["runId"])
        if parent is None or not parent.is_open:
            return
        child = parent.children.pop(str(ex.parent_initiated_event_id), None)
        if child is None:
            return
        event: Json = {
            "workflowExecution": ex.ref,
            "workflowType": ex.workflow_type,
            "initiatedEventId": child.initiated_event_id,
            "startedEventId": child.started_event_id,
        }
        if close_status == "COMPLETED":
            event["result"] = attrs.get("result")
        elif close_status == "FAILED":
            event["reason"] = attrs.get("reason")
            event["details"] = attrs.get("details")
        elif close_status == "CANCELED":
            event["details"] = attrs.get("details")
        elif close_status == "TIMED_OUT":
            event["timeoutType"] = "START_TO_CLOSE"
        self.add_event(parent, CHILD_CLOSE_EVENTS[close_status], event)

    # -- deadlines --------------------------------------------------------------------

    def _deadlines(self, ex: Execution) -> dict[Key, float]:
        out: dict[Key, float] = {}
        if not ex.is_open:
            return out
        run = ex.run_id
        if ex.execution_deadline is not None:
            out[("execution", run, "")] = ex.execution_deadline
        d = ex.decision
        if d is not None:
            if d.schedule_to_start_deadline is not None and not d.started_event_id:
                out[("decision_schedule_to_start", run, str(d.scheduled_event_id))] = (
                    d.schedule_to_start_deadline
                )
            if d.start_to_close_deadline is not None and d.started_event_id:
                out[("decision_start_to_close", run, str(d.started_event_id))] = (
                    d.start_to_close_deadline
                )
        for a in ex.activities.values():
            for kind, when in (
                ("SCHEDULE_TO_START", a.schedule_to_start_deadline),
                ("SCHEDULE_TO_CLOSE", a.schedule_to_close_deadline),
                ("START_TO_CLOSE", a.start_to_close_deadline),
                ("HEARTBEAT", a.heartbeat_deadline),
            ):
                if when is not None:
                    out[("activity_" + kind, run, a.activity_id)] = when
        for t in ex.timers.values():
            out[("timer", run, t.timer_id)] = t.fire_at
        for call in ex.lambdas.values():
            if call.deadline is not None:
                out[("lambda", run, call.lambda_id)] = call.deadline
        return out

    def _fire(self, key: Key) -> None:
        kind, run_id, ident = key
        ex = self.executions.get(run_id)
        if ex is None or not ex.is_open:
            return
        from ._timeouts import fire

        fire(self, ex, kind, ident)
        self.settle()

    def idle(self) -> bool:
        """True when no decision, activity or Lambda task is scheduled or running."""
        for run_id in self.open_ids.values():
            ex = self.executions[run_id]
            if ex.decision is not None or ex.activities or ex.lambdas:
                return False
        return True

    def may_skip_to(self, when: float) -> bool:
        """Time skipping's rule (documented on ``DevServer``): jump only while the server
        is idle, and never onto or past the timeout of an execution that waits for the
        outside world."""
        if not self.idle():
            return False
        for run_id in self.open_ids.values():
            ex = self.executions[run_id]
            limit = ex.execution_deadline
            if limit is not None and limit <= when and not self._waits_on_clock(ex):
                return False
        return True

    def _waits_on_clock(self, ex: Execution) -> bool:
        """True if a timer of ``ex``, or of an open child execution at any depth, is pending.

        Otherwise, with no task outstanding, only a signal, a cancellation request or a
        termination from outside can move ``ex`` on: skipping to its execution timeout
        would decide for the test that nobody ever comes.
        """
        if ex.timers:
            return True
        for child in ex.children.values():
            run = self.executions.get(child.run_id) if child.run_id else None
            if run is not None and run.is_open and self._waits_on_clock(run):
                return True
        return False

    # -- Lambda -----------------------------------------------------------------------

    def run_lambda(self, ex: Execution, lambda_id: str) -> None:
        from ._lambda import invoke

        task = asyncio.get_running_loop().create_task(invoke(self, ex.run_id, lambda_id))
        self._lambda_tasks.add(task)
        task.add_done_callback(self._lambda_tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._lambda_tasks):
            task.cancel()
        await asyncio.gather(*self._lambda_tasks, return_exceptions=True)

    # -- settling ---------------------------------------------------------------------

    def mark_domain(self, name: str) -> None:
        self._dirty_domains.add(name)

    def mark_type(self, key: str) -> None:
        self._dirty_types.add(key)

    def drop_type(self, key: str) -> None:
        self._deleted_types.add(key)

    def drop_execution(self, ex: Execution) -> None:
        self.executions.pop(ex.run_id, None)
        self.domain_executions.get(ex.domain, {}).pop(ex.run_id, None)
        self.histories.pop(ex.run_id, None)
        self._persisted.pop(ex.run_id, None)
        self._touched.pop(ex.run_id, None)
        self._unwritten.pop(ex.run_id, None)
        self._deleted_runs.add(ex.run_id)

    def settle(self) -> None:
        """Finish a state change: schedule decisions, dispatch tasks, re-arm, commit."""
        done: dict[str, Execution] = {}
        while True:
            batch = dict(self._touched)
            self._touched.clear()
            for ex in batch.values():
                if ex.is_open and ex.needs_decision:
                    self.schedule_decision(ex)
            self.queues.dispatch()
            done.update(batch)
            if not self._touched:
                break
        for ex in done.values():
            self.scheduler.sync(ex.run_id, self._deadlines(ex))
        self._flush(done)
        self.scheduler.state_changed()

    def _flush(self, executions: dict[str, Execution]) -> bool:
        """Write what this state change touched, and what failed writes left, in one
        transaction; True once the database holds every change.

        A write that fails is logged, not raised: the change stands in memory (the request
        that made it is answered) and every later flush writes it again."""
        store = self.store
        if store is None:  # nothing to write: the marks are only dropped
            if (
                self._dirty_domains
                or self._dirty_types
                or self._deleted_types
                or self._deleted_runs
            ):
                self._forget_changes()
            return True
        if self._unwritten:
            self._unwritten.update(executions)
            executions = self._unwritten
        try:
            self._write(store, executions)
        except Exception as exc:
            self._unwritten = executions
            log.exception(
                "store_write_failed",
                db=store.path,
                error=str(exc),
                unwritten_executions=len(executions),
            )
            return False
        if self._unwritten:
            self._unwritten = {}
        self._forget_changes()
        return True

    def _forget_changes(self) -> None:
        """The marked changes are written (or there is no store to write them to)."""
        self._dirty_domains.clear()
        self._dirty_types.clear()
        self._deleted_types.clear()
        self._deleted_runs.clear()

    def _write(self, store: Store, executions: dict[str, Execution]) -> None:
        """One transaction. What is recorded as written (``_persisted``,
        ``_persisted_offset``) changes only once it has committed; after a rollback the
        next write starts from what the database holds."""
        offset = getattr(self.clock, "offset", None)
        if not (isinstance(offset, float) and offset and offset != self._persisted_offset):
            offset = None
        if not (
            executions
            or offset is not None
            or self._dirty_domains
            or self._dirty_types
            or self._deleted_types
            or self._deleted_runs
        ):
            return  # a read, or a poll that found nothing: no transaction to pay for
        written: list[tuple[str, int]] = []
        store.begin()
        try:
            for name in self._dirty_domains:
                if name in self.domains:
                    store.put_domain(self.domains[name])
            for key in self._deleted_types:
                store.delete_type(key)
            for key in self._dirty_types:
                if key in self.types:
                    store.put_type(self.types[key])
            for run_id in self._deleted_runs:
                store.delete_execution(run_id)
            for ex in executions.values():
                if ex.run_id not in self.executions:
                    continue
                history = self.histories[ex.run_id]
                start = self._persisted[ex.run_id]
                store.put_execution(ex, start + 1, history[start:])
                written.append((ex.run_id, len(history)))
            if offset is not None:
                store.put_meta("clock_offset", repr(offset))
            store.commit()
        except BaseException:
            store.rollback()
            raise
        for run_id, events in written:
            self._persisted[run_id] = events
        if offset is not None:
            self._persisted_offset = offset

    def close_store(self) -> None:
        """Write what failed writes left, if anything, and close the database file; what
        still cannot be written is named in the log, never dropped without a word."""
        store = self.store
        if store is None:
            return
        if not self._flush({}):
            log.error(
                "store_changes_lost_at_close",
                db=store.path,
                executions=sorted(self._unwritten),
                domains=sorted(self._dirty_domains),
                types=sorted(self._dirty_types | self._deleted_types),
                deleted_executions=len(self._deleted_runs),
            )
        store.close()
