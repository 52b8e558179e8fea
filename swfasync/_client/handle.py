"""WorkflowHandle: one workflow execution seen from outside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import anyio

from .._engine import converter
from .._wire import events as e
from .._wire.codec import AnyEvent, decode_events, event_to_builtins
from ..exceptions import WorkflowFailureError

if TYPE_CHECKING:
    from .client import Client

R = TypeVar("R")


@dataclass(frozen=True)
class WorkflowDescription:
    """DescribeWorkflowExecution, condensed.

    Attributes:
        status: ``OPEN`` or ``CLOSED``.
        close_status: ``COMPLETED``, ``FAILED``, ``CANCELED``, ``TERMINATED``,
            ``CONTINUED_AS_NEW``, ``TIMED_OUT``; None while open.
        open_activity_tasks, open_decision_tasks, open_timers, open_child_workflows:
            SWF's open counts.
        latest_execution_context: the workflow's last published state (JSON text).
        raw: the whole response as botocore returned it.
    """

    workflow_id: str
    run_id: str
    workflow_type: str
    workflow_version: str
    status: str
    close_status: str | None
    start_time: datetime
    close_time: datetime | None
    cancel_requested: bool
    open_activity_tasks: int
    open_decision_tasks: int
    open_timers: int
    open_child_workflows: int
    latest_execution_context: str | None
    raw: dict[str, Any]


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
    ) -> None:
        self.client = client
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.result_type = result_type
        self.newly_started = newly_started

    def __repr__(self) -> str:
        return f"WorkflowHandle(workflow_id={self.workflow_id!r}, run_id={self.run_id!r})"

    @property
    def _execution(self) -> dict[str, str]:
        return {"workflowId": self.workflow_id, "runId": self.run_id}

    async def describe(self) -> WorkflowDescription:
        """The execution's status, open counts and latest published state."""
        raw = await self.client.raw.describe_workflow_execution(
            domain=self.client.domain, execution=self._execution
        )
        info = raw["executionInfo"]
        counts = raw.get("openCounts", {})
        return WorkflowDescription(
            workflow_id=info["execution"]["workflowId"],
            run_id=info["execution"]["runId"],
            workflow_type=info["workflowType"]["name"],
            workflow_version=info["workflowType"]["version"],
            status=info["executionStatus"],
            close_status=info.get("closeStatus"),
            start_time=info["startTimestamp"],
            close_time=info.get("closeTimestamp"),
            cancel_requested=bool(info.get("cancelRequested", False)),
            open_activity_tasks=int(counts.get("openActivityTasks", 0)),
            open_decision_tasks=int(counts.get("openDecisionTasks", 0)),
            open_timers=int(counts.get("openTimers", 0)),
            open_child_workflows=int(counts.get("openChildWorkflowExecutions", 0)),
            latest_execution_context=raw.get("latestExecutionContext"),
            raw=raw,
        )

    async def published_state(self, type: Any = Any) -> Any:
        """The workflow's ``@workflow.state`` value as of its last decision (None if none)."""
        text = (await self.describe()).latest_execution_context
        if not text:
            return None
        return converter.decode_result(text, type, field="execution_context")

    async def _events(self, *, reverse: bool, page_size: int) -> list[AnyEvent]:
        events: list[AnyEvent] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "domain": self.client.domain,
                "execution": self._execution,
                "maximumPageSize": page_size,
                "reverseOrder": reverse,
            }
            if token:
                kwargs["nextPageToken"] = token
            page = await self.client.raw.get_workflow_execution_history(**kwargs)
            # The SDK's own connection decodes events already; a caller-supplied
            # aiobotocore client hands over botocore's dicts.
            events.extend(decode_events(page.get("events", [])))
            token = page.get("nextPageToken")
            if not token:
                return events

    async def history_json(self, *, reverse: bool = False, page_size: int = 1000) -> dict[str, Any]:
        """The whole history (all pages) as one GetWorkflowExecutionHistory-shaped body."""
        events = await self._events(reverse=reverse, page_size=page_size)
        return {"events": [event_to_builtins(event) for event in events]}

    async def history(self) -> list[AnyEvent]:
        """Every event of the execution, decoded into the wire Structs."""
        return await self._events(reverse=False, page_size=1000)

    async def _close_event(self) -> AnyEvent:
        page = await self.client.raw.get_workflow_execution_history(
            domain=self.client.domain,
            execution=self._execution,
            maximumPageSize=1,
            reverseOrder=True,
        )
        return decode_events(page["events"])[0]

    async def wait_closed(self, *, max_interval: float = 1.0) -> WorkflowDescription:
        """Wait until the execution closes (polling Describe with growing intervals)."""
        interval = 0.02
        while True:
            description = await self.describe()
            if description.status == "CLOSED":
                return description
            await anyio.sleep(interval)
            interval = min(max_interval, interval * 1.5)

    async def result(self, *, follow_runs: bool = True) -> R:
        """Wait for the execution to close and return its result.

        Args:
            follow_runs: follow continue-as-new to the run that finally closes.

        Raises:
            WorkflowFailureError: the execution closed as FAILED, CANCELED, TERMINATED or
                TIMED_OUT (or CONTINUED_AS_NEW with ``follow_runs=False``); it carries
                the close status, reason and details.
        """
        handle: WorkflowHandle[R] = self
        while True:
            description = await handle.wait_closed()
            event = await handle._close_event()
            match event:
                case e.WorkflowExecutionCompleted(attributes=attrs):
                    value: R = converter.decode_result(attrs.result, self.result_type)
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
            raise WorkflowFailureError(
                handle.workflow_id,
                handle.run_id,
                description.close_status or "UNKNOWN",
                reason=reason,
                details=details,
            )

    async def signal(self, signal_name: str, *args: Any) -> None:
        """Send a signal; its handler receives ``args`` (JSON-encoded)."""
        await self.client.raw.signal_workflow_execution(
            domain=self.client.domain,
            workflowId=self.workflow_id,
            runId=self.run_id,
            signalName=signal_name,
            input=converter.encode_args(args),
        )

    async def cancel(self) -> None:
        """Request cancellation: the workflow sees ``CancelledError`` and decides."""
        await self.client.raw.request_cancel_workflow_execution(
            domain=self.client.domain, workflowId=self.workflow_id, runId=self.run_id
        )

    async def terminate(
        self, reason: str | None = None, details: str | None = None, child_policy: str | None = None
    ) -> None:
        """Close the execution at once; no workflow code runs."""
        kwargs: dict[str, Any] = {
            "domain": self.client.domain,
            "workflowId": self.workflow_id,
            "runId": self.run_id,
        }
        if reason is not None:
            kwargs["reason"] = converter.truncate("reason", reason)
        if details is not None:
            kwargs["details"] = converter.truncate("details", details)
        if child_policy is not None:
            kwargs["childPolicy"] = child_policy
        await self.client.raw.terminate_workflow_execution(**kwargs)
