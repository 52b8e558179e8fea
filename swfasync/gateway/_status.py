"""An execution's status as the gateway reports it: outcome, published state, run chain.

``GET /v1/workflows/{id}?wait=S`` holds the request until the chain's last run closes
(following continue-as-new) or ``S`` seconds pass, through the client's own wait
(``WorkflowHandle.wait_closed``), so it is exactly as prompt as ``handle.result()``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Final

import anyio
import msgspec

from .._client.client import Client
from .._client.handle import (
    CLOSE_EVENTS,
    FIRST_POLL_INTERVAL,
    POLL_GROWTH,
    WorkflowDescription,
    WorkflowHandle,
)
from .._wire import events as e
from .._wire.codec import AnyEvent, decode_events
from ._calls import swf_call
from ._models import Failure, RunInfo, WorkflowStatus
from ._problems import HttpProblem

MAX_WAIT: Final = 60.0
# Runs are listed from here on: SWF keeps closed ones for the domain's retention only.
EPOCH: Final = datetime(1970, 1, 2, tzinfo=UTC)
MAX_POLL_INTERVAL: Final = 1.0
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
    page = await swf_call(
        client,
        "get_workflow_execution_history",
        {
            "domain": client.domain,
            "execution": {"workflowId": workflow_id, "runId": run_id},
            "maximumPageSize": 1,
            "reverseOrder": last,
        },
    )
    return decode_events(page["events"])[0]


async def _newest(client: Client, workflow_id: str, status: str) -> dict[str, Any] | None:
    page = await swf_call(
        client,
        f"list_{status}_workflow_executions",
        {
            "domain": client.domain,
            ("startTimeFilter" if status == "open" else "closeTimeFilter"): {"oldestDate": EPOCH},
            "executionFilter": {"workflowId": workflow_id},
            "maximumPageSize": 1,  # newest first, as SWF lists them
        },
    )
    infos: list[dict[str, Any]] = page.get("executionInfos", [])
    return infos[0] if infos else None


async def latest_run(client: Client, workflow_id: str) -> dict[str, Any]:
    """SWF's execution info of the id's open run, else of its latest closed one; 404
    when there is none. Both lists are asked at once: one round trip."""
    found: dict[str, dict[str, Any] | None] = {}

    async def look(status: str) -> None:
        found[status] = await _newest(client, workflow_id, status)

    async with anyio.create_task_group() as tg:
        tg.start_soon(look, "open")
        tg.start_soon(look, "closed")
    info = found["open"] or found["closed"]
    if info is None:
        raise HttpProblem(
            404,
            "workflow-not-found",
            f"no execution of {workflow_id} in domain {client.domain!r}",
            workflow_id=workflow_id,
        )
    return info


async def latest_handle(
    client: Client, workflow_id: str, run_id: str | None, *, workflow: Any = None
) -> WorkflowHandle[Any]:
    """A handle to ``run_id``, or to the id's latest run; 404 when there is none.

    ``workflow`` (a served class) makes the handle check signals against it.
    """
    if run_id is None:
        run_id = str(latest_run_id(await latest_run(client, workflow_id)))
    return await client.get_workflow_handle(workflow_id, run_id, workflow=workflow)


def latest_run_id(info: dict[str, Any]) -> str:
    return str(info["execution"]["runId"])


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


def _outcome(event: AnyEvent | None) -> tuple[msgspec.Raw | None, Failure | None]:
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


async def _close_event(handle: WorkflowHandle[Any], deadline: float) -> AnyEvent | None:
    """The run's close event once it has one, or None when ``deadline`` passes first.

    The history's last event is read the way ``handle.result()`` reads it, first a
    millisecond after the call and then less and less often, so a wait sees the close as
    soon as the client would; the close event carries the result, so no second read is
    needed once it is there.
    """
    interval = FIRST_POLL_INTERVAL
    while True:
        event = await _event(handle.client, handle.workflow_id, handle.run_id, last=True)
        if type(event) in CLOSE_EVENTS:
            return event
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await anyio.sleep(min(interval, remaining))
        interval = min(MAX_POLL_INTERVAL, interval * POLL_GROWTH)


async def follow(
    client: Client, workflow_id: str, run_id: str | None, wait: float | None
) -> WorkflowStatus:
    """The status of the chain's last run, waiting up to ``wait`` seconds for it to close."""
    handle = await latest_handle(client, workflow_id, run_id)
    deadline = time.monotonic() + (wait or 0.0)
    followed: list[RunInfo] = []
    close = await _close_event(handle, deadline)
    while isinstance(close, e.WorkflowExecutionContinuedAsNew):
        followed.append(run_info(await handle.describe()))
        handle = WorkflowHandle(client, workflow_id, close.attributes.new_execution_run_id)
        close = await _close_event(handle, deadline)
    first = WorkflowHandle(client, workflow_id, followed[0].run_id) if followed else handle
    earlier: list[RunInfo] = []
    described: list[WorkflowDescription] = []

    async def read_chain() -> None:
        earlier.extend(await _earlier_runs(first))

    async def describe() -> None:
        described.append(await handle.describe())

    # Independent reads: one round trip for both.
    async with anyio.create_task_group() as tg:
        tg.start_soon(read_chain)
        tg.start_soon(describe)
    description = described[0]
    result, failure = _outcome(close)
    # The close event is the word on the run's end, should Describe not show it yet.
    last = run_info(description)
    if close is not None:
        last = RunInfo(
            run_id=handle.run_id,
            status="CLOSED",
            close_status=CLOSE_EVENTS[type(close)],  # type: ignore[arg-type]
            started_at=last.started_at,
            closed_at=close.event_timestamp,
        )
    return WorkflowStatus(
        workflow_id=workflow_id,
        run_id=handle.run_id,
        workflow=description.workflow_type,
        version=description.workflow_version,
        status=last.status,
        close_status=last.close_status,
        started_at=last.started_at,
        closed_at=last.closed_at,
        cancel_requested=description.cancel_requested,
        state=json_raw(description.latest_execution_context),
        result=result,
        failure=failure,
        runs=[*earlier, *followed, last][-MAX_CHAIN:],
    )
