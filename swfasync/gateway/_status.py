"""An execution's status as the gateway reports it: outcome, published state, run chain.

``GET /v1/workflows/{id}?wait=S`` holds the request until the chain's last run closes
(following continue-as-new) or ``S`` seconds pass, reading the history's tail at the pace
``handle.result()`` reads it.
"""

from __future__ import annotations

import time
from typing import Any, Final

import anyio
import msgspec

from .._client import listing
from .._client.client import Client
from .._client.handle import (
    CLOSE_EVENTS,
    FIRST_POLL_INTERVAL,
    POLL_GROWTH,
    WorkflowDescription,
    WorkflowHandle,
)
from .._wire import api
from .._wire import events as e
from .._wire.codec import AnyEvent
from .._wire.common import WorkflowExecution
from ._calls import send
from ._catalog import Catalog
from ._models import Failure, RunInfo, WorkflowStatus
from ._problems import HttpProblem

MAX_WAIT: Final = 60.0
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


def _tail_request(
    client: Client, workflow_id: str, run_id: str, *, size: int, last: bool
) -> api.GetWorkflowExecutionHistoryInput:
    """The first (``last``: the newest) ``size`` events of a run."""
    return api.GetWorkflowExecutionHistoryInput(
        domain=client.domain,
        execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        maximum_page_size=size,
        reverse_order=last,
    )


async def _event(client: Client, workflow_id: str, run_id: str, *, last: bool) -> AnyEvent:
    page = await send(client, _tail_request(client, workflow_id, run_id, size=1, last=last))
    return page.events[0]


async def _newest(
    client: Client, workflow_id: str, status: str
) -> api.WorkflowExecutionInfo | None:
    filters = listing.Filters.of(status=status, workflow_id=workflow_id)
    # One row: SWF lists the newest first.
    page = await send(client, listing.list_request(client.domain, status, filters, page_size=1))
    return page.execution_infos[0] if page.execution_infos else None


async def latest_run(client: Client, workflow_id: str) -> api.WorkflowExecutionInfo:
    """SWF's execution info of the id's open run, else of its latest closed one; 404
    when there is none. The open list is asked first: a run being waited on is open."""
    info = await _newest(client, workflow_id, "OPEN") or await _newest(
        client, workflow_id, "CLOSED"
    )
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
        run_id = latest_run_id(await latest_run(client, workflow_id))
    return await client.get_workflow_handle(workflow_id, run_id, workflow=workflow)


def latest_run_id(info: api.WorkflowExecutionInfo) -> str:
    return info.execution.run_id


def run_info(description: WorkflowDescription) -> RunInfo:
    return RunInfo(
        run_id=description.run_id,
        status=description.status,  # type: ignore[arg-type]
        close_status=description.close_status,  # type: ignore[arg-type]
        started_at=description.start_time.timestamp(),
        closed_at=description.close_time.timestamp() if description.close_time else None,
    )


async def _chain(handle: WorkflowHandle[Any]) -> tuple[AnyEvent, list[RunInfo]]:
    """The run's start event, and the runs it continued, oldest first (walked back
    through start events)."""
    client, workflow_id = handle.client, handle.workflow_id
    started = first = await _event(client, workflow_id, handle.run_id, last=False)
    runs: list[RunInfo] = []
    while isinstance(started, e.WorkflowExecutionStarted) and len(runs) < MAX_CHAIN:
        run_id = started.attributes.continued_execution_run_id
        if run_id is None:
            break
        previous: WorkflowHandle[Any] = WorkflowHandle(client, workflow_id, run_id)
        runs.append(run_info(await previous.describe()))
        started = await _event(client, workflow_id, run_id, last=False)
    runs.reverse()
    return first, runs


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


class _Closing(msgspec.Struct):
    event: AnyEvent
    before: AnyEvent | None


async def _close(handle: WorkflowHandle[Any], deadline: float) -> _Closing | None:
    """The run's close event (with the event before it) once it has one, or None when
    ``deadline`` passes first.

    The history's tail is read the way ``handle.result()`` reads it, first a millisecond
    after the call and then less and less often, so a wait sees the close as soon as the
    client would. The close event carries the result, and the event before it is usually
    the last decision, carrying the workflow's final published state.
    """
    interval = FIRST_POLL_INTERVAL
    while True:
        request = _tail_request(handle.client, handle.workflow_id, handle.run_id, size=2, last=True)
        tail = (await send(handle.client, request)).events
        if type(tail[0]) in CLOSE_EVENTS:
            return _Closing(tail[0], tail[1] if len(tail) > 1 else None)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        await anyio.sleep(min(interval, remaining))
        interval = min(MAX_POLL_INTERVAL, interval * POLL_GROWTH)


def _final_state(closing: _Closing) -> tuple[bool, str | None]:
    """(known, the published state) from the decision that closed the run, if the event
    before the close event is that decision (a run closed by one decision task whose last
    decision closed it: the usual case) and it published a state."""
    completed_by = getattr(closing.event.attributes, "decision_task_completed_event_id", None)
    before = closing.before
    if (
        isinstance(before, e.DecisionTaskCompleted)
        and before.event_id == completed_by
        # SWF's latestExecutionContext keeps the last context a decider gave: a decision
        # without one says nothing about it.
        and before.attributes.execution_context is not None
    ):
        return True, before.attributes.execution_context
    return False, None


async def follow(
    client: Client,
    workflow_id: str,
    run_id: str | None,
    wait: float | None,
    catalog: Catalog | None = None,
) -> WorkflowStatus:
    """The status of the chain's last run, waiting up to ``wait`` seconds for it to close.

    A closed run's status comes from its history (start event, close event, the closing
    decision's published state, or none for a served type without ``@workflow.state``);
    Describe is asked only for an open run, or where the history does not have it all.
    """
    handle = await latest_handle(client, workflow_id, run_id)
    deadline = time.monotonic() + (wait or 0.0)
    chain: list[tuple[AnyEvent, list[RunInfo]]] = []
    closings: list[_Closing | None] = []

    async def read_chain() -> None:
        chain.append(await _chain(handle))

    async def wait_close() -> None:
        closings.append(await _close(handle, deadline))

    # The start events never change: the chain is read while the run is waited on.
    async with anyio.create_task_group() as tg:
        tg.start_soon(read_chain)
        tg.start_soon(wait_close)
    (started, earlier), closing = chain[0], closings[0]
    followed: list[RunInfo] = []
    while closing is not None and isinstance(closing.event, e.WorkflowExecutionContinuedAsNew):
        followed.append(run_info(await handle.describe()))
        next_run = closing.event.attributes.new_execution_run_id
        handle = WorkflowHandle(client, workflow_id, next_run)
        closing = await _close(handle, deadline)
    if followed:
        started = await _event(client, workflow_id, handle.run_id, last=False)
    state_known, context = _final_state(closing) if closing is not None else (False, None)
    if not state_known and closing is not None and isinstance(started, e.WorkflowExecutionStarted):
        # A served type without @workflow.state publishes none: nothing to ask Describe.
        kind = started.attributes.workflow_type
        served = catalog.lookup(kind.name, kind.version) if catalog is not None else None
        state_known = served is not None and served.definition.state_method is None
    described = None if state_known else await handle.describe()
    if closing is not None and isinstance(started, e.WorkflowExecutionStarted):
        kind = started.attributes.workflow_type
        name, version, started_at = kind.name, kind.version, started.event_timestamp
        cancel_requested = isinstance(closing.event, e.WorkflowExecutionCanceled)
        if described is not None:
            context = described.latest_execution_context
        last = RunInfo(
            run_id=handle.run_id,
            status="CLOSED",
            close_status=CLOSE_EVENTS[type(closing.event)],  # type: ignore[arg-type]
            started_at=started_at,
            closed_at=closing.event.event_timestamp,
        )
    else:
        description = described if described is not None else await handle.describe()
        name, version = description.workflow_type, description.workflow_version
        cancel_requested = description.cancel_requested
        context = description.latest_execution_context
        last = run_info(description)
    result, failure = _outcome(closing.event if closing is not None else None)
    return WorkflowStatus(
        workflow_id=workflow_id,
        run_id=handle.run_id,
        workflow=name,
        version=version,
        status=last.status,
        close_status=last.close_status,
        started_at=last.started_at,
        closed_at=last.closed_at,
        cancel_requested=cancel_requested,
        state=json_raw(context),
        result=result,
        failure=failure,
        runs=[*earlier, *followed, last][-MAX_CHAIN:],
    )
