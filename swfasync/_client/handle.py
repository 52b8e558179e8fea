"""WorkflowHandle: one workflow execution seen from outside."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast, overload

import anyio

from .._engine import converter, task_failures
from .._engine.task_failures import DecisionFailure
from .._typing import Ts, signal_name_of
from .._wire import api
from .._wire import events as e
from .._wire.codec import AnyEvent, history_document, timestamp_to_datetime
from .._wire.common import ChildPolicy, WorkflowExecution
from ..exceptions import WorkflowDecisionFailedError, WorkflowFailureError
from . import checks
from .botocore_json import botocore_json
from .listing import ExecutionRecord

if TYPE_CHECKING:
    from .._engine.definitions import WorkflowDefinition
    from .client import Client

R = TypeVar("R")

# How far back from the newest event a decision failure is looked for, and in what pages.
DECISION_FAILURE_SCAN = 200
DECISION_FAILURE_PAGE = 50

# The events that close a run, and the close status each one means.
CLOSE_EVENTS: Final[dict[type[Any], str]] = {
    e.WorkflowExecutionCompleted: "COMPLETED",
    e.WorkflowExecutionFailed: "FAILED",
    e.WorkflowExecutionCanceled: "CANCELED",
    e.WorkflowExecutionTerminated: "TERMINATED",
    e.WorkflowExecutionTimedOut: "TIMED_OUT",
    e.WorkflowExecutionContinuedAsNew: "CONTINUED_AS_NEW",
}
# Looking for the close: a look every millisecond for the first ten (a short workflow
# closes within them), then each pause a quarter longer. A look by the fast transport
# costs about a quarter of a millisecond of CPU.
FIRST_POLL_INTERVAL: Final = 0.001
STEADY_LOOKS: Final = 10
POLL_GROWTH: Final = 1.25


@dataclass(frozen=True)
class WaitingActivity:
    """An activity task SWF scheduled that no worker has started yet.

    Attributes:
        activity_id, activity_type (``name/version``), task_list: what waits, and where
            a worker must poll to take it.
        scheduled_at: when it was scheduled.
        schedule_to_start_timeout: seconds it may wait for a worker; ``NONE``: forever.
    """

    activity_id: str
    activity_type: str
    task_list: str
    scheduled_at: datetime
    schedule_to_start_timeout: str | None

    @classmethod
    def of(cls, event: e.ActivityTaskScheduled) -> WaitingActivity:
        a = event.attributes
        return cls(
            activity_id=a.activity_id,
            activity_type=f"{a.activity_type.name}/{a.activity_type.version}",
            task_list=a.task_list.name,
            scheduled_at=timestamp_to_datetime(event.event_timestamp),
            schedule_to_start_timeout=a.schedule_to_start_timeout,
        )


_ACTIVITY_ENDS = (
    e.ActivityTaskCompleted,
    e.ActivityTaskFailed,
    e.ActivityTaskTimedOut,
    e.ActivityTaskCanceled,
)


@dataclass(frozen=True)
class WorkflowDescription(ExecutionRecord):
    """DescribeWorkflowExecution, condensed.

    Attributes:
        status: ``OPEN`` or ``CLOSED``.
        close_status: ``COMPLETED``, ``FAILED``, ``CANCELED``, ``TERMINATED``,
            ``CONTINUED_AS_NEW``, ``TIMED_OUT``; None while open.
        open_activity_tasks, open_decision_tasks, open_timers, open_child_workflows:
            SWF's open counts.
        latest_execution_context: the workflow's last published state (JSON text).
        raw: the whole answer in SWF's JSON shape, as botocore returns it (camelCase
            keys, timestamps as datetimes), for what the attributes leave out.
        decision_failure: while the execution's latest decision task failed (its
            workflow code raised, diverged from history or was refused by a guard): what
            failed, where in the workflow's code, and when it is retried. None while its
            decisions succeed, and once it is closed.
        waiting_activities: the activity tasks SWF scheduled that no worker has started
            yet, with their task lists and how long they may wait: one that waits long
            usually means no worker polls its task list.
    """

    cancel_requested: bool
    open_activity_tasks: int
    open_decision_tasks: int
    open_timers: int
    open_child_workflows: int
    latest_execution_context: str | None
    raw: dict[str, Any]
    decision_failure: DecisionFailure | None = None
    waiting_activities: tuple[WaitingActivity, ...] = ()


class WorkflowHandle(Generic[R]):
    """A workflow execution: wait for its result, signal, cancel, inspect it.

    Obtained from ``Client.start_workflow`` or ``Client.get_workflow_handle``.

    Attributes:
        newly_started: True when the call that made this handle started the run; False
            for a handle to an existing run (``get_workflow_handle``, or a start that
            found its run under ``USE_EXISTING`` or ``IDEMPOTENT``).
    """

    def __init__(
        self,
        client: Client,
        workflow_id: str,
        run_id: str,
        result_type: Any = Any,
        *,
        newly_started: bool = False,
        workflow: WorkflowDefinition | None = None,
    ) -> None:
        self.client = client
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.result_type = result_type
        self.newly_started = newly_started
        # The workflow's definition, where the handle's maker knew it: signals are checked.
        self._definition = workflow

    def __repr__(self) -> str:
        return f"WorkflowHandle(workflow_id={self.workflow_id!r}, run_id={self.run_id!r})"

    @property
    def _execution(self) -> WorkflowExecution:
        return WorkflowExecution(workflow_id=self.workflow_id, run_id=self.run_id)

    def _history_request(
        self, *, page_size: int, reverse: bool, token: str | None = None
    ) -> api.GetWorkflowExecutionHistoryInput:
        return api.GetWorkflowExecutionHistoryInput(
            domain=self.client.domain,
            execution=self._execution,
            maximum_page_size=page_size,
            reverse_order=reverse,
            next_page_token=token,
        )

    async def describe(self) -> WorkflowDescription:
        """The execution's status, open counts and latest published state."""
        detail = await self.client._send(
            api.DescribeWorkflowExecutionInput(domain=self.client.domain, execution=self._execution)
        )
        info, counts = detail.execution_info, detail.open_counts
        failure = await self.decision_failure() if info.execution_status == "OPEN" else None
        open_activities = counts.open_activity_tasks
        waiting = await self._waiting_activities(open_activities) if open_activities else ()
        return WorkflowDescription.from_info(
            info,
            cancel_requested=bool(info.cancel_requested),
            open_activity_tasks=open_activities,
            open_decision_tasks=counts.open_decision_tasks,
            open_timers=counts.open_timers,
            open_child_workflows=counts.open_child_workflow_executions,
            latest_execution_context=detail.latest_execution_context,
            raw=botocore_json(detail),
            decision_failure=failure,
            waiting_activities=waiting,
        )

    async def _waiting_activities(self, open_count: int) -> tuple[WaitingActivity, ...]:
        """The open activities not started yet, read back from the newest event until all
        ``open_count`` open activities are accounted for."""
        ended: set[int] = set()
        started: set[int] = set()
        waiting: list[WaitingActivity] = []
        found = 0
        token: str | None = None
        while found < open_count:
            page = await self.client._send(
                self._history_request(page_size=1000, reverse=True, token=token)
            )
            for event in page.events:
                if isinstance(event, e.ActivityTaskStarted):
                    started.add(event.attributes.scheduled_event_id)
                elif isinstance(event, _ACTIVITY_ENDS):
                    ended.add(event.attributes.scheduled_event_id)
                elif isinstance(event, e.ActivityTaskScheduled):
                    if event.event_id in ended:
                        continue
                    found += 1
                    if event.event_id not in started:
                        waiting.append(WaitingActivity.of(event))
            token = page.next_page_token
            if not token:
                break
        return tuple(reversed(waiting))

    async def decision_failure(self) -> DecisionFailure | None:
        """The failure of the execution's latest decision task, if that task failed.

        Read from the history's tail, where the worker records each failed decision task
        (``swfasync.decision_failure`` markers): None once a later decision task succeeded.
        """
        return task_failures.current_failure(await self._tail(DECISION_FAILURE_SCAN))

    async def _tail(self, limit: int) -> list[AnyEvent]:
        """Up to ``limit`` of the history's newest events, newest first, stopping at the
        first page that holds a DecisionTaskCompleted."""
        events: list[AnyEvent] = []
        token: str | None = None
        while len(events) < limit:
            page = await self.client._send(
                self._history_request(page_size=DECISION_FAILURE_PAGE, reverse=True, token=token)
            )
            found = page.events
            events.extend(found)
            token = page.next_page_token
            if not token or any(isinstance(ev, e.DecisionTaskCompleted) for ev in found):
                break
        return events

    async def _unless_decision_fails(self, waiting: Any, *, interval: float = 0.01) -> R:
        """``await waiting`` (the result), unless a decision task of the run it waits on
        fails first: then ``WorkflowDecisionFailedError``."""
        outcome: list[Any] = []
        errors: list[BaseException] = []
        found: list[WorkflowDecisionFailedError] = []

        async def wait(scope: anyio.CancelScope) -> None:
            try:
                outcome.append(await waiting)
            except Exception as error:
                errors.append(error)
            scope.cancel()

        async def watch(scope: anyio.CancelScope) -> None:
            handle: WorkflowHandle[Any] = self
            pause = interval
            while True:
                tail = await handle._tail(DECISION_FAILURE_SCAN)
                failure = task_failures.current_failure(tail)
                if failure is not None:
                    found.append(
                        WorkflowDecisionFailedError(handle.workflow_id, handle.run_id, failure)
                    )
                    scope.cancel()
                    return
                if tail and isinstance(tail[0], e.WorkflowExecutionContinuedAsNew):
                    next_run = tail[0].attributes.new_execution_run_id
                    handle = WorkflowHandle(self.client, self.workflow_id, next_run)
                    continue
                await anyio.sleep(pause)
                pause = min(pause * 1.5, 0.5)

        async with anyio.create_task_group() as group:
            group.start_soon(wait, group.cancel_scope)
            group.start_soon(watch, group.cancel_scope)
        if errors:
            raise errors[0]
        if outcome:
            value: R = outcome[0]
            return value
        raise found[0]

    async def published_state(self, type: Any = Any) -> Any:
        """The workflow's ``@workflow.state`` value as of its last decision (None if none)."""
        text = (await self.describe()).latest_execution_context
        if not text:
            return None
        return await self.client.data_converter.decode_result(text, type, field="execution_context")

    async def _events(self, *, reverse: bool, page_size: int) -> list[AnyEvent]:
        events: list[AnyEvent] = []
        token: str | None = None
        while True:
            page = await self.client._send(
                self._history_request(page_size=page_size, reverse=reverse, token=token)
            )
            events.extend(page.events)
            token = page.next_page_token
            if not token:
                return events

    async def history_json(self, *, reverse: bool = False, page_size: int = 1000) -> dict[str, Any]:
        """The whole history (all pages) as one GetWorkflowExecutionHistory-shaped body,
        with the execution's ``workflowExecution`` and ``workflowType`` beside the events,
        so that ``Replayer`` and ``swfasync replay`` replay it under its own ids."""
        events = await self._events(reverse=reverse, page_size=page_size)
        started = next((ev for ev in events if isinstance(ev, e.WorkflowExecutionStarted)), None)
        kind = started.attributes.workflow_type if started is not None else None
        return history_document(self._execution, kind, events)

    async def history(self) -> list[AnyEvent]:
        """Every event of the execution, decoded into the wire Structs."""
        return await self._events(reverse=False, page_size=1000)

    async def _last_event(self) -> AnyEvent:
        # Waiting rides out outages: only the caller's own deadline ends it.
        page = await self.client._send(
            self._history_request(page_size=1, reverse=True), retry_for=None
        )
        return page.events[0]

    async def _close_event(self, max_interval: float) -> AnyEvent:
        """The execution's close event, once there is one.

        One call per look (the history's last event is the close event once it has
        closed, and carries the result), every millisecond at first: a short workflow's
        close is seen within a millisecond or two of SWF recording it, and a long one is
        looked at every ``max_interval`` seconds.
        """
        interval = FIRST_POLL_INTERVAL
        looks = 0
        while True:
            event = await self._last_event()
            if type(event) in CLOSE_EVENTS:
                return event
            await anyio.sleep(interval)
            looks += 1
            if looks >= STEADY_LOOKS:
                interval = min(max_interval, interval * POLL_GROWTH)

    async def wait_closed(self, *, max_interval: float = 1.0) -> WorkflowDescription:
        """Wait until the execution closes, across outages (wrap it in ``anyio.fail_after``
        to bound the wait)."""
        await self._close_event(max_interval)
        return await self.describe()

    async def result(
        self,
        *,
        follow_runs: bool = True,
        max_interval: float = 1.0,
        raise_on_decision_failure: bool | None = None,
    ) -> R:
        """Wait for the execution to close and return its result.

        The wait has no deadline of its own and rides out SWF outages (connection
        failures, throttling, 5xx answers are retried); bound it with
        ``anyio.fail_after`` or ``asyncio.timeout``.

        Args:
            follow_runs: follow continue-as-new to the run that finally closes.
            max_interval: the longest pause between two looks at the execution (they
                start a millisecond apart and grow).
            raise_on_decision_failure: raise ``WorkflowDecisionFailedError`` as soon as a
                decision task fails instead of waiting for a fix to be deployed (default:
                the client's ``raise_on_decision_failure``; ``WorkflowEnvironment``'s
                client has it on).

        Raises:
            WorkflowFailureError: the execution closed as FAILED, CANCELED, TERMINATED or
                TIMED_OUT (or CONTINUED_AS_NEW with ``follow_runs=False``); it carries
                the close status, reason and details.
            WorkflowDecisionFailedError: with ``raise_on_decision_failure``, as soon as
                a decision task of the execution fails (the execution stays open and is
                retried); it carries the failure, with the workflow's file, line and stack.
        """
        if raise_on_decision_failure is None:
            raise_on_decision_failure = self.client.raise_on_decision_failure
        if raise_on_decision_failure:
            return await self._unless_decision_fails(
                self.result(
                    follow_runs=follow_runs,
                    max_interval=max_interval,
                    raise_on_decision_failure=False,
                )
            )
        handle: WorkflowHandle[R] = self
        while True:
            event = await handle._close_event(max_interval)
            match event:
                case e.WorkflowExecutionCompleted(attributes=attrs):
                    value: R = await self.client.data_converter.decode_result(
                        attrs.result, self.result_type
                    )
                    return value
                case e.WorkflowExecutionContinuedAsNew(attributes=attrs) if follow_runs:
                    handle = WorkflowHandle(
                        self.client, self.workflow_id, attrs.new_execution_run_id, self.result_type
                    )
                    continue
                case e.WorkflowExecutionFailed(attributes=attrs):
                    reason, details = attrs.reason, attrs.details
                case e.WorkflowExecutionCanceled(attributes=attrs):
                    reason, details = None, attrs.details
                case e.WorkflowExecutionTerminated(attributes=attrs):
                    reason, details = attrs.reason, attrs.details
                case e.WorkflowExecutionTimedOut(attributes=attrs):
                    reason, details = attrs.timeout_type, None
                case _:
                    reason, details = None, None
            if details is not None:
                details = await self.client.data_converter.decode_text(details, "details")
            raise WorkflowFailureError(
                handle.workflow_id,
                handle.run_id,
                CLOSE_EVENTS.get(type(event), "UNKNOWN"),
                reason=reason,
                details=details,
            )

    @overload
    async def signal(self, signal: Callable[[Any, *Ts], object], /, *args: *Ts) -> None: ...

    @overload
    async def signal(self, signal: str, /, *args: Any) -> None: ...

    # mypy reports the implementation of overloads that unpack a TypeVarTuple as not
    # accepting their parameters, though it takes anything (``Any``): a false positive.
    async def signal(self, signal: Any, /, *args: Any) -> None:  # type: ignore[misc]
        """Send a signal; its handler receives ``args`` (JSON-encoded).

        ``signal`` is the workflow class's ``@workflow.signal`` method
        (``handle.signal(Order.approve, "ana")``: type checkers check the arguments
        against it) or the signal's name.

        With the workflow's class known (the handle came from ``start_workflow`` or
        ``get_workflow_handle(..., workflow=...)``), a signal the class does not declare
        and arguments that do not fit the handler's annotations are refused first.

        Raises:
            SwfValidationError: the signal name breaks SWF's rules or is not declared.
            ArgumentTypeError: an argument does not fit the handler's annotation.
            WorkflowNotFoundError: the execution is closed or unknown.
        """
        signal_name = signal_name_of(signal)
        checks.check_signal_name(self._definition, signal_name)
        checks.check_signal_arguments(self._definition, signal_name, args)
        await self.client._send(
            api.SignalWorkflowExecutionInput(
                domain=self.client.domain,
                workflow_id=self.workflow_id,
                run_id=self.run_id,
                signal_name=signal_name,
                input=await self.client.data_converter.encode_args(args),
            )
        )

    async def cancel(self) -> None:
        """Request cancellation: the workflow sees ``CancelledError`` and decides."""
        await self.client._send(
            api.RequestCancelWorkflowExecutionInput(
                domain=self.client.domain, workflow_id=self.workflow_id, run_id=self.run_id
            )
        )

    async def terminate(
        self, reason: str | None = None, details: str | None = None, child_policy: str | None = None
    ) -> None:
        """Close the execution at once; no workflow code runs."""
        await self.client._send(
            api.TerminateWorkflowExecutionInput(
                domain=self.client.domain,
                workflow_id=self.workflow_id,
                run_id=self.run_id,
                reason=converter.truncate("reason", reason) if reason is not None else None,
                details=converter.truncate("details", details) if details is not None else None,
                child_policy=cast("ChildPolicy | None", child_policy),
            )
        )
