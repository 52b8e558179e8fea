"""The ``/v1/workflows`` endpoints: start, follow, list, history, signal, cancel, terminate.

Each handler reads the request, makes the client calls and returns a Struct; the
application encodes it and turns errors into problems (``_app``).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any, Final
from urllib.parse import quote

import msgspec
from aiohttp import web
from botocore.exceptions import ClientError

from .._client import idempotency, listing
from .._client.client import Client, IdReusePolicy
from .._client.connection import error_code
from .._client.timeline import format_timeline
from .._wire import api
from .._wire.codec import event_to_builtins
from . import _bodies, _status
from ._calls import send
from ._catalog import Catalog
from ._models import (
    Accepted,
    History,
    SignalRequest,
    StartRequest,
    StartResponse,
    Terminated,
    TerminateRequest,
    WorkflowList,
    WorkflowStatus,
    WorkflowSummary,
)
from ._problems import HttpProblem, bad_request

DEFAULT_PAGE_SIZE: Final = 100


class Reply(msgspec.Struct):
    """A handler's answer: status code, body, extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = msgspec.field(default_factory=dict)


def _run_id(request: web.Request) -> str | None:
    return request.query.get("run_id") or None


async def start(client: Client, catalog: Catalog, request: web.Request, workflow_id: str) -> Reply:
    """Start idempotently: 201 new, 200 the same request started before, 409 another."""
    body = await _bodies.read(request, StartRequest)
    served = catalog.find(body.workflow, body.version)
    try:
        handle = await client.start_workflow(
            served.target,
            *body.args,
            id=workflow_id,
            version=served.definition.version,
            task_list=body.task_list,
            execution_timeout=body.execution_timeout,
            tag_list=body.tags,
            id_reuse_policy=IdReusePolicy.IDEMPOTENT,
        )
    except ClientError as error:
        if error_code(error) != "UnknownResourceFault":
            raise
        # Served here, but SWF does not know the type (or the domain): nothing has
        # registered it yet. A worker for it registers it when it starts.
        raise HttpProblem(
            404,
            "workflow-type-not-registered",
            f"SWF does not know {served.key} in domain {client.domain!r}: start a worker"
            f" for it (which registers it) or register it ({error})",
            field="workflow",
        ) from error
    location = f"/v1/workflows/{quote(workflow_id, safe='')}?run_id={quote(handle.run_id, safe='')}"
    if handle.newly_started:
        answer = StartResponse(workflow_id=workflow_id, run_id=handle.run_id, status="OPEN")
        return Reply(201, answer, {"Location": location})
    description = await handle.describe()
    answer = StartResponse(
        workflow_id=workflow_id,
        run_id=handle.run_id,
        status=description.status,  # type: ignore[arg-type]
    )
    return Reply(200, answer, {"Location": location})


def generated_id(request: web.Request) -> str:
    """The ``Idempotency-Key`` header, or a new id (a retry without the header starts
    another execution: say so to callers who need idempotency)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        if not key.strip():
            raise bad_request("the Idempotency-Key header is empty", field="Idempotency-Key")
        return key
    return str(uuid.uuid4())


def _wait(request: web.Request) -> float | None:
    text = request.query.get("wait")
    if text is None:
        return None
    try:
        wait = float(text)
    except ValueError:
        raise bad_request(f"wait must be a number of seconds, got {text!r}", field="wait") from None
    if not 0 <= wait <= _status.MAX_WAIT:
        raise bad_request(
            f"wait is {text} seconds; it must be between 0 and {_status.MAX_WAIT:g}", field="wait"
        )
    return wait


async def get(
    client: Client, catalog: Catalog, request: web.Request, workflow_id: str
) -> WorkflowStatus:
    """Status, outcome and run chain, held up to ``?wait=`` seconds for the close."""
    return await _status.follow(client, workflow_id, _run_id(request), _wait(request), catalog)


def _encode_page_token(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(state)).decode().rstrip("=")


def _decode_page_token(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = msgspec.json.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise bad_request(
            "page_token is not one this gateway gave out", field="page_token"
        ) from None
    if not isinstance(state, dict) or not isinstance(state.get("n"), str):
        raise bad_request("page_token is not one this gateway gave out", field="page_token")
    return state


def _summary(info: api.WorkflowExecutionInfo) -> WorkflowSummary:
    return WorkflowSummary(
        workflow_id=info.execution.workflow_id,
        run_id=info.execution.run_id,
        workflow=info.workflow_type.name,
        version=info.workflow_type.version,
        status=info.execution_status,
        close_status=info.close_status,
        started_at=info.start_timestamp,
        closed_at=info.close_timestamp,
        # The client's own request fingerprint (IDEMPOTENT starts) is not a user's tag.
        tags=[t for t in info.tag_list or () if not t.startswith(idempotency.TAG_PREFIX)],
    )


async def list_page(client: Client, request: web.Request) -> WorkflowList:
    """One page of open or closed executions, filtered by workflow name or tag.

    The page token carries the filters with SWF's own token, so the next page needs only
    ``page_token`` and is answered by any gateway process.
    """
    query = request.query
    token = query.get("page_token")
    if token:
        state = _decode_page_token(token)
    else:
        status = query.get("status", "open")
        if status not in ("open", "closed"):
            raise bad_request(f"status is 'open' or 'closed', not {status!r}", field="status")
        if query.get("workflow") and query.get("tag"):
            raise bad_request(
                "SWF filters a list by one of workflow and tag, not both", field="tag"
            )
        state = {"s": status, "w": query.get("workflow"), "t": query.get("tag")}
    size_text = query.get("page_size", str(DEFAULT_PAGE_SIZE))
    if not size_text.isdigit() or not 1 <= int(size_text) <= 1000:
        raise bad_request(f"page_size is 1 to 1000, not {size_text!r}", field="page_size")
    status = "OPEN" if state["s"] == "open" else "CLOSED"
    filters = listing.Filters.of(status=status, workflow_type=state.get("w"), tag=state.get("t"))
    listed = listing.list_request(client.domain, status, filters, page_size=int(size_text))
    if state.get("n"):
        listed = msgspec.structs.replace(listed, next_page_token=state["n"])
    page = await send(client, listed)
    following = page.next_page_token
    return WorkflowList(
        workflows=[_summary(info) for info in page.execution_infos],
        next_page_token=_encode_page_token({**state, "n": following}) if following else None,
    )


async def history(client: Client, request: web.Request, workflow_id: str) -> Reply:
    """Every event (all pages), as SWF's JSON or as a text timeline."""
    form = request.query.get("format", "json")
    if form not in ("json", "timeline"):
        raise bad_request(f"format is 'json' or 'timeline', not {form!r}", field="format")
    handle = await _status.latest_handle(client, workflow_id, _run_id(request))
    events = await handle.history()
    if form == "timeline":
        return Reply(200, "\n".join(format_timeline(events)) + "\n")
    body = History(
        workflow_id=workflow_id,
        run_id=handle.run_id,
        events=[event_to_builtins(event) for event in events],
    )
    return Reply(200, body)


async def _closed_or_missing(client: Client, workflow_id: str, run_id: str | None) -> HttpProblem:
    """SWF said UnknownResource to a signal, cancel or terminate: 409 when the execution
    exists but is closed, 404 when there is none."""
    try:
        handle = await _status.latest_handle(client, workflow_id, run_id)
        description = await handle.describe()
    except (HttpProblem, ClientError):
        return HttpProblem(
            404, "workflow-not-found", f"no execution of {workflow_id}", workflow_id=workflow_id
        )
    return HttpProblem(
        409,
        "workflow-closed",
        f"execution {workflow_id} is closed ({description.close_status})",
        workflow_id=workflow_id,
        run_id=description.run_id,
    )


async def _steer(client: Client, workflow_id: str, run_id: str | None, action: Any) -> None:
    try:
        await action()
    except ClientError as error:
        if error_code(error) != "UnknownResourceFault":
            raise
        raise await _closed_or_missing(client, workflow_id, run_id) from error


async def signal(
    client: Client, catalog: Catalog, request: web.Request, workflow_id: str, signal_name: str
) -> Reply:
    """Send a signal (202). When the execution's workflow type is served here, the client
    checks the signal against its class first: an undeclared signal is 404, arguments
    that do not fit the handler 400."""
    body = await _bodies.read(request, SignalRequest, empty_ok=True)
    run_id = _run_id(request)
    if run_id is None:
        info = await _status.latest_run(client, workflow_id)
        run_id = _status.latest_run_id(info)
        name, version = info.workflow_type.name, info.workflow_type.version
    else:
        described = await (await _status.latest_handle(client, workflow_id, run_id)).describe()
        name, version = described.workflow_type, described.workflow_version
    served = catalog.lookup(name, version)
    handle = await _status.latest_handle(
        client, workflow_id, run_id, workflow=served.target if served else None
    )
    await _steer(client, workflow_id, run_id, lambda: handle.signal(signal_name, *body.args))
    return Reply(202, Accepted(workflow_id=workflow_id, run_id=handle.run_id))


async def cancel(client: Client, request: web.Request, workflow_id: str) -> Reply:
    """Request cancellation (202): the workflow sees it at its next decision."""
    run_id = _run_id(request)
    handle = await _status.latest_handle(client, workflow_id, run_id)
    await _steer(client, workflow_id, run_id, handle.cancel)
    return Reply(202, Accepted(workflow_id=workflow_id, run_id=handle.run_id))


async def terminate(client: Client, request: web.Request, workflow_id: str) -> Reply:
    """Close the execution at once (200)."""
    body = await _bodies.read(request, TerminateRequest, empty_ok=True)
    run_id = _run_id(request)
    handle = await _status.latest_handle(client, workflow_id, run_id)
    await _steer(
        client,
        workflow_id,
        run_id,
        lambda: handle.terminate(reason=body.reason, details=body.details),
    )
    return Reply(200, Terminated(workflow_id=workflow_id, run_id=handle.run_id))
