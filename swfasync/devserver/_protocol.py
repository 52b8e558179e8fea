"""The SWF JSON 1.0 protocol over aiohttp: ``POST /`` with ``X-Amz-Target:
SimpleWorkflowService.<Operation>``. SigV4 headers are accepted and not verified.

Every failure is a well-formed JSON error with HTTP 400 (413 for a body over ``MAX_BODY``
bytes), including what aiohttp refuses before the server sees a request: a request that is
not well-formed HTTP, a header the server does not support (a Content-Encoding other than
identity, an Expect other than 100-continue), a Host other than this server's (DNS
rebinding). An unexpected exception is logged and reported as ``InternalFailure`` rather
than a 500, so SDK retries stay quiet; a fault the operation does not declare is logged.

A body over ``OFFLOAD_BYTES`` is decoded and checked in a thread, one such body at a time:
the event loop goes on serving the others, held only while msgspec decodes (it keeps the
interpreter for that). Its cost grows with the body's size, never with what the body
asks for: a report counts every error and words the first ten. The worst body found at
``MAX_BODY`` is an invalid one of five million empty objects or arrays: about 25 bytes
of memory per byte of body (430 MiB), answered within 10 s on two busy cores, while the
loop is held for at most the second or so msgspec takes to decode it. A valid batch of
decisions is applied on the loop, at most the 25,000 events a history holds.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import StreamReader, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http import HttpVersion11, RawRequestMessage

from .._log import get_logger
from . import _decisions, _executions, _registry, _tasks, _visibility
from ._faults import ProtocolFault, RequestTooLargeFault, SwfFault
from ._state import Json
from ._validation import decode_request, service_model

if TYPE_CHECKING:
    from ._backend import Backend

log = get_logger("swfasync.devserver.protocol")

TARGET_PREFIX = "SimpleWorkflowService."
MAX_BODY = 16 * 1024 * 1024
# A body larger than this is decoded and checked off the event loop.
OFFLOAD_BYTES = 256 * 1024
# amz-1.0 is what SWF's own examples send; it means the body is as it is.
ACCEPTED_ENCODINGS = frozenset({"", "identity", "amz-1.0"})
CONTENT_TYPE = "application/x-amz-json-1.0"

SyncOp = Callable[["Backend", Json], Json]
PollOp = Callable[["Backend", Json, Callable[[], bool], float], Awaitable[Json]]

SYNC_OPERATIONS: dict[str, SyncOp] = {
    "RegisterDomain": _registry.register_domain,
    "DescribeDomain": _registry.describe_domain,
    "ListDomains": _registry.list_domains,
    "DeprecateDomain": _registry.deprecate_domain,
    "UndeprecateDomain": _registry.undeprecate_domain,
    "TagResource": _registry.tag_resource,
    "UntagResource": _registry.untag_resource,
    "ListTagsForResource": _registry.list_tags_for_resource,
    "RegisterWorkflowType": _registry.register_workflow_type,
    "RegisterActivityType": _registry.register_activity_type,
    "DescribeWorkflowType": _registry.describe_workflow_type,
    "DescribeActivityType": _registry.describe_activity_type,
    "ListWorkflowTypes": _registry.list_workflow_types,
    "ListActivityTypes": _registry.list_activity_types,
    "DeprecateWorkflowType": _registry.deprecate_workflow_type,
    "DeprecateActivityType": _registry.deprecate_activity_type,
    "UndeprecateWorkflowType": _registry.undeprecate_workflow_type,
    "UndeprecateActivityType": _registry.undeprecate_activity_type,
    "DeleteWorkflowType": _registry.delete_workflow_type,
    "DeleteActivityType": _registry.delete_activity_type,
    "StartWorkflowExecution": _executions.start_workflow_execution,
    "SignalWorkflowExecution": _executions.signal_workflow_execution,
    "RequestCancelWorkflowExecution": _executions.request_cancel_workflow_execution,
    "TerminateWorkflowExecution": _executions.terminate_workflow_execution,
    "RespondDecisionTaskCompleted": _decisions.respond_decision_task_completed,
    "RecordActivityTaskHeartbeat": _tasks.record_activity_task_heartbeat,
    "RespondActivityTaskCompleted": _tasks.respond_activity_task_completed,
    "RespondActivityTaskFailed": _tasks.respond_activity_task_failed,
    "RespondActivityTaskCanceled": _tasks.respond_activity_task_canceled,
    "CountPendingDecisionTasks": _tasks.count_pending_decision_tasks,
    "CountPendingActivityTasks": _tasks.count_pending_activity_tasks,
    "ListOpenWorkflowExecutions": _visibility.list_open_workflow_executions,
    "ListClosedWorkflowExecutions": _visibility.list_closed_workflow_executions,
    "CountOpenWorkflowExecutions": _visibility.count_open_workflow_executions,
    "CountClosedWorkflowExecutions": _visibility.count_closed_workflow_executions,
    "DescribeWorkflowExecution": _visibility.describe_workflow_execution,
    "GetWorkflowExecutionHistory": _visibility.get_workflow_execution_history,
}
# Checks of a request beyond the model's that need no state, run with the model's.
REQUEST_CHECKS: dict[str, Callable[[Json], None]] = {
    "RespondDecisionTaskCompleted": _decisions.check_request,
}
POLL_OPERATIONS: dict[str, PollOp] = {
    "PollForDecisionTask": _tasks.poll_for_decision_task,
    "PollForActivityTask": _tasks.poll_for_activity_task,
}

_encoder = msgspec.json.Encoder()


def _strip(value: Any) -> Any:
    """Drop absent (None) members: SWF omits them rather than sending null."""
    if isinstance(value, dict):
        return {k: v if k == "events" else _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _request_ids() -> Iterator[str]:
    """Request ids in SWF's UUID form, unique: a random prefix per process and
    a counter (a fresh uuid4 per response cost a system call for its randomness)."""
    prefix = str(uuid.uuid4())[:24]
    for number in itertools.count():
        yield f"{prefix}{number:012x}"


_next_request_id = _request_ids().__next__


def _response(status: int, body: Any) -> web.Response:
    return web.Response(
        status=status,
        body=_encoder.encode(body),
        headers={"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": _next_request_id()},
    )


def _fault_response(fault: SwfFault) -> web.Response:
    return _response(fault.status, {"__type": fault.wire_type, "message": fault.message})


def _prepare(operation: str, raw: bytes) -> Json:
    """The request to ``operation`` in ``raw``, decoded and checked."""
    req = decode_request(operation, raw)
    check = REQUEST_CHECKS.get(operation)
    if check is not None:
        check(req)
    return req


def _printable(text: str) -> str:
    """A header value as it can be shown in a message: aiohttp keeps the bytes that are not
    UTF-8 as lone surrogates, which no JSON encoder writes."""
    return text.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")


def _too_large(request: web.BaseRequest, operation: str) -> RequestTooLargeFault:
    """The fault for a body ``request.read()`` refused; only the declared length, if any,
    tells how large it was (aiohttp stops reading past the limit)."""
    declared = request.content_length
    size = f"of {declared} bytes" if declared is not None else f"of more than {MAX_BODY} bytes"
    return RequestTooLargeFault(
        f"Request body {size} for {_printable(operation)} exceeds the dev server's limit of "
        f"{MAX_BODY} bytes"
    )


async def _expect_continue(request: web.BaseRequest, expect: str) -> None:
    """Answer an ``Expect`` header as aiohttp's router does for the handlers it routes to
    (this server takes every request without a router), with a JSON fault for an
    expectation other than ``100-continue``."""
    if expect.lower() != "100-continue":
        raise ProtocolFault(
            "MalformedHttpRequestException",
            f"Unsupported Expect header: {_printable(expect)!r} (only 100-continue is)",
        )
    if request.version != HttpVersion11:
        return
    writer: Any = request.writer
    await writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    writer.output_size = 0  # the interim answer is not part of the response
    await writer.drain()


def _check_headers(request: web.BaseRequest, hosts: HostCheck) -> None:
    """Refuse, with a JSON fault, a request whose headers ask for what the server does
    not do, or that names a host other than this server (DNS rebinding)."""
    host = request.headers.get("Host")
    if not hosts.allows(host):
        raise ProtocolFault(
            "AccessDeniedException",
            f"Host header {_printable(host or '')!r} names neither this server's address nor "
            "localhost; allow it with DevServer(allowed_hosts=...) or --allow-host",
        )
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ACCEPTED_ENCODINGS:
        raise ProtocolFault(
            "SerializationException",
            f"Unsupported Content-Encoding: {_printable(encoding)!r}; send the body as plain JSON",
        )


class HostCheck:
    """The Host header values this server answers: its bound address and localhost (with
    any port), plus those allowed explicitly; ``*`` allows every host."""

    def __init__(self, bound: str, allowed: Sequence[str]) -> None:
        self.any = "*" in allowed
        names = {bound, "localhost", "127.0.0.1", "::1", *allowed}
        self.names = frozenset(name.strip("[]").lower() for name in names)

    def allows(self, host: str | None) -> bool:
        if self.any:
            return True
        if not host:
            return False
        name = host.strip().lower()
        if name.startswith("["):  # [IPv6]:port
            name = name[1 : name.find("]")] if "]" in name else name
        elif name.count(":") == 1:
            name = name.rsplit(":", 1)[0]
        return name in self.names


def _declared_faults() -> dict[str, frozenset[str]]:
    model = service_model()
    return {
        name: frozenset(shape.name for shape in model.operation_model(name).error_shapes)
        for name in model.operation_names
    }


# What any operation may answer besides its own faults: the protocol's and the front
# end's faults, which SWF documents as common to all actions.
COMMON_FAULTS = frozenset(
    {
        "AccessDeniedException",
        "InternalFailure",
        "MalformedHttpRequestException",
        "RequestEntityTooLargeException",
        "SerializationException",
        "UnknownOperationException",
        "ValidationException",
    }
)


def make_server(
    backend: Backend, long_poll_timeout: float, hosts: HostCheck | None = None
) -> web.Server:
    """The HTTP server: every path and method goes to one handler, with no router or
    application in between (they cost about a tenth of aiohttp's time per request)."""
    loop = asyncio.get_running_loop()
    host_check = hosts if hosts is not None else HostCheck("127.0.0.1", ())
    declared = _declared_faults()
    large_bodies = asyncio.Semaphore(1)

    def new_request(
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: web.RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        # One byte of slack: aiohttp before 3.14 refuses a body of exactly client_max_size,
        # so the limit itself is checked after reading, the same under every version.
        return web.BaseRequest(
            message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY + 1
        )

    async def handle(request: web.BaseRequest) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        try:
            _check_headers(request, host_check)
            expect = request.headers.get("Expect")
            if expect:
                if (request.content_length or 0) > MAX_BODY:
                    # Refused before the client sends it, so no "100 Continue" invites a
                    # body that would be discarded; the connection closes, the body never
                    # having been sent.
                    refusal = _fault_response(_too_large(request, target))
                    refusal.force_close()
                    return refusal
                await _expect_continue(request, expect)
            return await _handle(request)
        except SwfFault as fault:
            operation = target.removeprefix(TARGET_PREFIX)
            if fault.type_name not in COMMON_FAULTS | declared.get(operation, COMMON_FAULTS):
                log.error("undeclared_fault", operation=operation, fault=fault.type_name)
            return _fault_response(fault)
        except Exception:
            log.exception("request_failed", target=_printable(target))
            return _response(
                400,
                {
                    "__type": "com.amazon.coral.service#InternalFailure",
                    "message": "The dev server failed to process the request (see its log)",
                },
            )
        finally:
            backend.settle()

    async def _handle(request: web.BaseRequest) -> web.Response:
        target = request.headers.get("X-Amz-Target", "")
        if request.method != "POST" or not target.startswith(TARGET_PREFIX):
            raise ProtocolFault(
                "UnknownOperationException",
                f"Unknown operation: {_printable(target or request.method)}",
            )
        name = target[len(TARGET_PREFIX) :]
        if name not in SYNC_OPERATIONS and name not in POLL_OPERATIONS:
            raise ProtocolFault(
                "UnknownOperationException", f"Unknown operation: {_printable(name)}"
            )
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            # aiohttp reads the rest of the body after the answer (its lingering close),
            # so the client can read the fault and the connection stays usable
            raise _too_large(request, target) from None
        if len(raw) > MAX_BODY:
            raise _too_large(request, target)
        if len(raw) > OFFLOAD_BYTES:
            # Decoding and checking a large body takes long enough to hold up the other
            # requests: it runs in a thread, sharing the interpreter with them, one body
            # at a time, so the memory it takes (up to about 25 bytes per byte of an
            # invalid body) is taken once, however many such bodies arrive together.
            async with large_bodies:
                req = await asyncio.to_thread(_prepare, name, raw)
        else:
            req = _prepare(name, raw)
        # deadlines that passed before this request arrived are applied first
        backend.scheduler.fire_due()
        if name in POLL_OPERATIONS:
            transport = request.transport

            def alive() -> bool:
                return transport is not None and not transport.is_closing()

            result = await POLL_OPERATIONS[name](backend, req, alive, long_poll_timeout)
        else:
            result = SYNC_OPERATIONS[name](backend, req)
        return _response(200, _strip(result))

    # the body is read as sent: a compressed one is refused by its Content-Encoding
    return _Server(handle, request_factory=new_request, access_log=None, auto_decompress=False)


class _RequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering what it refuses itself (a request that is
    not well-formed HTTP, a body that breaks off) with a JSON fault instead of text."""

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        log.debug("malformed_http_request", status=status, error=repr(exc))
        if request.writer.output_size > 0:
            raise ConnectionError("the response has been sent in part; the connection is broken")
        if status >= 500:
            fault: SwfFault = ProtocolFault(
                "InternalFailure", "The dev server failed to process the request (see its log)"
            )
        else:
            fault = ProtocolFault(
                "MalformedHttpRequestException", "The request is not well-formed HTTP/1.1"
            )
        response = _fault_response(fault)
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> web.RequestHandler:
        # aiohttp builds its handler with the options given to the server
        return _RequestHandler(self, loop=self._loop, **self._kwargs)
