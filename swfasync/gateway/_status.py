"""An execution's status as the gateway reports it: outcome, published state, run chain.

``GET /v1/workflows/{id}?wait=S`` holds the request until the chain's last run closes
(following continue-as-new) or ``S`` seconds pass, through the client's own wait
(``WorkflowHandle.wait_closed``), so it is exactly as prompt as ``handle.result()``.
"""

from __future__ import annotations

import time
from typing import Any, Final

import anyio
import msgspec

from .._client.client import Client
from .._client.handle import WorkflowDescription, WorkflowHandle
from .._wire import events as e
from .._wire.codec import AnyEvent, decode_events
from ._models import Failure, RunInfo, WorkflowStatus
from ._problems import HttpProblem

MAX_WAIT: Final = 60.0
# A chain longer than this is cut at its oldest end (``runs`` starts there).
MAX_CHAIN: Final = 100


def json_raw(text: str | None) -> msgspec.Raw | None:
    """JSON text passed through as is; text that is not JSON goes out as a JSON string."""
    if not text:
        return None
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return msgspec.Raw(msgspec.json.encode(text))
    return msgspec.Raw(text.encode())


async def _event(client: Client, workflow_id: str, run_id: str, *, last: bool) -> AnyEvent:
    page = await client.raw.get_workflow_execution_history(
        domain=client.domain,
        execution={"workflowId": workflow_id, "runId": run_id},
        maximumPageSize=1,
        reverseOrder=last,
    )
    return decode_events(page["events"])[0]


async def latest_handle(
    client: Client, workflow_id: str, run_id: str | None
) -> WorkflowHandle[Any]:
    """A handle to ``run_id``, or to the id's latest run; 404 when there is none."""
    if run_id is not None:
        return WorkflowHandle(client, workflow_id, run_id)
    try:
        return await client.get_workflow_handle(workflow_id)
    except LookupError as error:
        raise HttpProblem(404, "workflow-not-found", str(error), workflow_id=workflow_id) from error


def run_info(description: WorkflowDescription) -> RunInfo:
    return RunInfo(
        run_id=description.run_id,
        status=description.status,  # type: ignore[arg-type]
        close_status=description.close_status,  # type: ignore[arg-type]
        started_at=description.start_time.timestamp(),
        closed_at=description.close_time.timestamp() if description.close_time else None,
    )


async def _earlier_runs(handle: WorkflowHandle[Any]) -> list[RunInfo]:
    """The runs this one continued, oldest first (walked back through start events)."""
    runs: list[RunInfo] = []
    run_id: str | None = handle.run_id
    while run_id is not None and len(runs) < MAX_CHAIN:
        started = await _event(handle.client, handle.workflow_id, run_id, last=False)
        if not isinstance(started, e.WorkflowExecutionStarted):
            break
        run_id = started.attributes.continued_execution_run_id
        if run_id is None:
            break
        previous: WorkflowHandle[Any] = WorkflowHandle(handle.client, handle.workflow_id, run_id)
        runs.append(run_info(await previous.describe()))
    runs.reverse()
    return runs


async def _outcome(handle: WorkflowHandle[Any]) -> tuple[msgspec.Raw | None, Failure | None]:
    event = await _event(handle.client, handle.workflow_id, handle.run_id, last=True)
    match event:
        case e.WorkflowExecutionCompleted(attributes=attrs):
            return json_raw(attrs.result), None
        case e.WorkflowExecutionFailed(attributes=attrs):
            return None, Failure(reason=attrs.reason, details=attrs.details)
        case e.WorkflowExecutionCanceled(attributes=attrs):
            return None, Failure(reason="canceled", details=attrs.details)
        case e.WorkflowExecutionTerminated(attributes=attrs):
            return None, Failure(reason=attrs.reason or "terminated", details=attrs.details)
        case e.WorkflowExecutionTimedOut(attributes=attrs):
            return None, Failure(reason=f"timed out ({attrs.timeout_type})")
    return None, None


async def _next_run(handle: WorkflowHandle[Any]) -> WorkflowHandle[Any] | None:
    event = await _event(handle.client, handle.workflow_id, handle.run_id, last=True)
    if isinstance(event, e.WorkflowExecutionContinuedAsNew):
        return WorkflowHandle(
            handle.client, handle.workflow_id, event.attributes.new_execution_run_id
        )
    return None


async def follow(
    client: Client, workflow_id: str, run_id: str | None, wait: float | None
) -> WorkflowStatus:
    """The status of the chain's last run, waiting up to ``wait`` seconds for it to close."""
    handle = await latest_handle(client, workflow_id, run_id)
    deadline = time.monotonic() + (wait or 0.0)
    followed: list[RunInfo] = []
    while True:
        description = await handle.describe()
        if description.status == "OPEN":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with anyio.move_on_after(remaining):
                description = await handle.wait_closed()
            if description.status == "OPEN":
                description = await handle.describe()  # fresh after the wait
                if description.status == "OPEN":
                    break
        if description.close_status != "CONTINUED_AS_NEW":
            break
        following = await _next_run(handle)
        if following is None:
            break
        followed.append(run_info(description))
        handle = following
    earlier = await _earlier_runs(handle) if not followed else []
    if followed:
        earlier = await _earlier_runs(WorkflowHandle(client, workflow_id, followed[0].run_id))
        earlier.extend(followed)
    result, failure = (None, None)
    if description.status == "CLOSED":
        result, failure = await _outcome(handle)
    return WorkflowStatus(
        workflow_id=workflow_id,
        run_id=handle.run_id,
        workflow=description.workflow_type,
        version=description.workflow_version,
        status=description.status,  # type: ignore[arg-type]
        close_status=description.close_status,  # type: ignore[arg-type]
        started_at=description.start_time.timestamp(),
        closed_at=description.close_time.timestamp() if description.close_time else None,
        cancel_requested=description.cancel_requested,
        state=json_raw(description.latest_execution_context),
        result=result,
        failure=failure,
        runs=[*earlier, run_info(description)][-MAX_CHAIN:],
    )
