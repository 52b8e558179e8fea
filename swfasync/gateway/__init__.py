"""Workflows over HTTP: start, follow, signal and complete them from any language.

An optional part of swfasync (``import swfasync`` does not import it): an aiohttp
application over a :class:`~swfasync.Client`, JSON in and out (msgspec), errors as
``application/problem+json``, an OpenAPI 3.1 document generated from the served workflows'
annotations at ``/openapi.json``.

Example::

    from swfasync import Client
    from swfasync.gateway import BearerTokens, Gateway

    async with Client("orders") as client:
        gateway = Gateway(client, workflows=[Order], auth=BearerTokens(["s3cr3t"]))
        async with gateway.serve("0.0.0.0", 8081):
            await anyio.sleep_forever()

or from the shell: ``swfasync gateway myapp.workflows --port 8081 --auth-tokens tokens.txt``.

Endpoints (v1): ``PUT /v1/workflows/{id}`` (idempotent start: 201 new, 200 the same request
again, 409 a different one), ``POST /v1/workflows`` (id from ``Idempotency-Key``),
``GET /v1/workflows/{id}[?run_id=][&wait=S]``, ``GET /v1/workflows?status=&workflow=&tag=``,
``GET /v1/workflows/{id}/history[?format=timeline]``,
``POST /v1/workflows/{id}/signals/{name}``, ``POST /v1/workflows/{id}/cancel`` and
``/terminate``, ``POST /v1/tasks/{complete,fail,heartbeat}`` (by task token),
``PUT /v1/callbacks/{signed token}`` (the URL ``activity.callback_url()`` hands out),
``GET /openapi.json``, ``GET /healthz``.

Running beside FastAPI or Starlette (one process, one event loop): serve the gateway on
its own port from the ASGI application's lifespan::

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with Client("orders") as client:
            gateway = Gateway(client, workflows=[Order], auth=BearerTokens(tokens))
            async with gateway.serve("127.0.0.1", 8081):
                yield

    app = FastAPI(lifespan=lifespan)      # or Starlette(lifespan=lifespan)

and route ``/v1/`` to that port in the reverse proxy in front of both.
"""

from __future__ import annotations

from ._app import DEFAULT_PORT as DEFAULT_PORT
from ._app import Gateway as Gateway
from ._auth import AuthHook as AuthHook
from ._auth import BearerTokens as BearerTokens
from ._auth import Forbidden as Forbidden
from ._signing import GatewayConfigError as GatewayConfigError
from ._tasks import FAILURE_TYPE as FAILURE_TYPE

__all__ = (
    "DEFAULT_PORT",
    "FAILURE_TYPE",
    "AuthHook",
    "BearerTokens",
    "Forbidden",
    "Gateway",
    "GatewayConfigError",
)
