"""``Gateway``: the aiohttp application over a ``Client``, and running it on a port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import msgspec
from aiohttp import web

from .._client.client import Client
from .._log import get_logger
from . import _openapi, _tasks, _workflows
from ._auth import AuthHook, is_loopback
from ._catalog import Catalog
from ._models import Health
from ._problems import HttpProblem, Scope, from_error
from ._signing import GatewayConfigError, secrets_from
from ._workflows import Reply

log = get_logger("swfasync.gateway")

DEFAULT_PORT: Final = 8081
_encoder = msgspec.json.Encoder()

Handler = Callable[[web.Request], Awaitable[Any]]


class Gateway:
    """Workflows over HTTP: an aiohttp application over one ``Client`` (one domain).

    The gateway keeps no state of its own: idempotent starts are decided by SWF (through
    ``IdReusePolicy.IDEMPOTENT``), callback URLs are verified by signature and their reuse
    refused by SWF, list pages carry their filters in the page token. Any number of
    gateway processes can serve one domain behind a load balancer.

    Example::

        async with Client("orders") as client:
            gateway = Gateway(client, workflows=[Order], auth=BearerTokens(["s3cr3t"]))
            async with gateway.serve("127.0.0.1", 8081) as url:
                ...

    Mount it in an existing aiohttp application with ``parent.add_subapp("/swf",
    gateway.app())``; the host application then decides where it listens, so give ``auth``
    whenever that is beyond loopback (``serve`` and ``swfasync gateway`` check it).

    A request waits on SWF for as long as the client's ``retry_timeout`` lets a call
    retry an outage or throttling before it answers 503 or 429: give the gateway a client
    with a few seconds there (``swfasync gateway`` uses 5), as HTTP callers retry too.

    Args:
        client: an open client; its domain is the gateway's.
        workflows: the ``@workflow.defn`` types that can be started (others are 404).
        auth: ``async (request, operation) -> bool``; ``BearerTokens`` is built in. None
            allows every request, and ``serve`` then refuses any non-loopback address.
        callback_secret: the key(s) signing callback URLs (the first signs, all verify);
            default ``SWFASYNC_CALLBACK_SECRET`` (comma-separated).
    """

    def __init__(
        self,
        client: Client,
        *,
        workflows: Iterable[Any] = (),
        auth: AuthHook | None = None,
        callback_secret: str | bytes | Sequence[str | bytes] | None = None,
    ) -> None:
        self.client = client
        self.catalog = Catalog(workflows)
        self.auth = auth
        self.secrets = secrets_from(callback_secret)
        self._openapi: bytes | None = None

    # -- the application ----------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document this gateway serves at ``/openapi.json``."""
        return _openapi.build(
            self.catalog, domain=self.client.domain, secured=self.auth is not None
        )

    def app(self) -> web.Application:
        """A new aiohttp application serving the gateway's endpoints."""
        app = web.Application(middlewares=[_problem_middleware])
        client, catalog = self.client, self.catalog
        wid = "workflow_id"
        routes: list[tuple[str, str, str, Scope, Handler]] = [
            ("PUT", "/v1/workflows/{workflow_id}", "startWorkflow", "workflow",
             lambda r: _workflows.start(client, catalog, r, r.match_info[wid])),
            ("POST", "/v1/workflows", "startWorkflowByKey", "workflow",
             lambda r: _workflows.start(client, catalog, r, _workflows.generated_id(r))),
            ("GET", "/v1/workflows", "listWorkflows", "workflow",
             lambda r: _workflows.list_page(client, r)),
            ("GET", "/v1/workflows/{workflow_id}", "getWorkflow", "workflow",
             lambda r: _workflows.get(client, catalog, r, r.match_info[wid])),
            ("GET", "/v1/workflows/{workflow_id}/history", "getHistory", "workflow",
             lambda r: _workflows.history(client, r, r.match_info[wid])),
            ("POST", "/v1/workflows/{workflow_id}/signals/{signal_name}", "signalWorkflow",
             "workflow",
             lambda r: _workflows.signal(
                 client, catalog, r, r.match_info[wid], r.match_info["signal_name"])),
            ("POST", "/v1/workflows/{workflow_id}/cancel", "cancelWorkflow", "workflow",
             lambda r: _workflows.cancel(client, r, r.match_info[wid])),
            ("POST", "/v1/workflows/{workflow_id}/terminate", "terminateWorkflow", "workflow",
             lambda r: _workflows.terminate(client, r, r.match_info[wid])),
            ("POST", "/v1/tasks/complete", "completeTask", "task",
             lambda r: _tasks.complete(client, r)),
            ("POST", "/v1/tasks/fail", "failTask", "task", lambda r: _tasks.fail(client, r)),
            ("POST", "/v1/tasks/heartbeat", "heartbeatTask", "task",
             lambda r: _tasks.heartbeat(client, r)),
            ("GET", "/openapi.json", "getOpenApi", "workflow", self._openapi_body),
        ]  # fmt: skip
        for method, path, operation, scope, call in routes:
            app.router.add_route(method, path, self._endpoint(operation, scope, call))
        secrets = self.secrets
        app.router.add_route(
            "PUT",
            "/v1/callbacks/{token}",
            self._endpoint(
                "completeCallback",
                "task",
                lambda r: _tasks.callback(client, secrets, r, r.match_info["token"]),
                public=True,
            ),
        )
        app.router.add_route(
            "GET", "/healthz", self._endpoint("healthz", "workflow", self._health, public=True)
        )
        return app

    async def _openapi_body(self, request: web.Request) -> Reply:
        if self._openapi is None:
            self._openapi = _encoder.encode(self.openapi())
        return Reply(200, msgspec.Raw(self._openapi))

    async def _health(self, request: web.Request) -> Health:
        return Health(domain=self.client.domain, workflows=self.catalog.keys)

    def _endpoint(
        self, operation: str, scope: Scope, call: Handler, *, public: bool = False
    ) -> Handler:
        auth = self.auth

        async def handle(request: web.Request) -> web.StreamResponse:
            try:
                if auth is not None and not public and not await auth(request, operation):
                    raise HttpProblem(
                        401,
                        "unauthorized",
                        "this operation needs valid credentials",
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                return _respond(await call(request))
            except Exception as error:
                problem = from_error(
                    error,
                    scope=scope,
                    workflow_id=request.match_info.get("workflow_id"),
                    run_id=request.query.get("run_id"),
                )
                if problem is None:
                    log.exception("gateway_request_failed", operation=operation, path=request.path)
                    problem = HttpProblem(500, "internal-error", f"{type(error).__name__}: {error}")
                elif problem.status >= 500:
                    log.warning("gateway_swf_unavailable", operation=operation, error=str(error))
                return problem.response(request.path)

        return handle

    # -- running it ---------------------------------------------------------------------

    def check_listen(self, host: str) -> None:
        """Refuse to listen beyond this machine without auth configured."""
        if self.auth is None and not is_loopback(host):
            raise GatewayConfigError(
                f"refusing to listen on {host!r} without auth: give auth= (e.g."
                " BearerTokens) or listen on 127.0.0.1"
            )

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> AsyncIterator[str]:
        """Serve on ``host:port`` (0 picks a free port) and yield the base URL.

        Raises:
            GatewayConfigError: ``host`` is not a loopback address and no ``auth`` is set.
        """
        self.check_listen(host)
        # A caller that hangs up on a ?wait= stops its polling of SWF at once.
        runner = web.AppRunner(self.app(), access_log=None, handler_cancellation=True)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = int(runner.addresses[0][1])
            shown = f"[{host}]" if ":" in host else host
            url = f"http://{shown}:{bound}"
            log.info("gateway_listening", url=url, domain=self.client.domain)
            yield url
        finally:
            await runner.cleanup()


def _respond(answer: Any) -> web.StreamResponse:
    if isinstance(answer, web.StreamResponse):
        return answer
    status, headers = 200, {}
    if isinstance(answer, Reply):
        status, headers, answer = answer.status, answer.headers, answer.body
    if isinstance(answer, str):
        return web.Response(status=status, text=answer, headers=headers)
    return web.Response(
        status=status,
        body=_encoder.encode(answer),
        content_type="application/json",
        headers=headers,
    )


@web.middleware
async def _problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The router's own refusals (no such path, wrong method) as problems too."""
    try:
        response: web.StreamResponse = await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        problem = HttpProblem(
            error.status,
            "not-found" if error.status == 404 else "http-error",
            f"{request.method} {request.path}: {error.reason}",
            headers={"Allow": error.headers["Allow"]} if "Allow" in error.headers else None,
        )
        return problem.response(request.path)
    return response
