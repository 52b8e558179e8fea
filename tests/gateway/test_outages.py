"""SWF throttling (429) and SWF out of reach (503), both with Retry-After.

The dev server never throttles, so a loopback proxy stands between the gateway's client
and the dev server: it forwards every call unchanged, and while told to, answers in
SWF's own words for throttling (HTTP 400, ``ThrottlingException``) instead.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from swfasync import Client
from swfasync.gateway import Gateway
from swfasync.testing import WorkflowEnvironment

from .conftest import Api
from .openapi_check import ResponseChecker
from .workflows import WORKFLOWS


class ThrottlingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.throttling = False
        self.throttled = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.throttling:
            self.throttled += 1
            return web.json_response(
                {"__type": "ThrottlingException", "message": "Rate exceeded"},
                status=400,
                content_type="application/x-amz-json-1.0",
            )
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.upstream, data=body, headers=headers) as answer,
        ):
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                headers={"Content-Type": answer.headers["Content-Type"]},
            )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_post("/", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()


@asynccontextmanager
async def gateway_over(endpoint: str) -> AsyncIterator[Api]:
    # A gateway's client gives up on SWF soon: its callers have their own retries.
    async with Client.local(endpoint, retry_timeout=0.5) as client:
        gateway = Gateway(client, workflows=WORKFLOWS)
        checker = ResponseChecker(gateway.openapi())
        async with gateway.serve("127.0.0.1", 0) as url, aiohttp.ClientSession(url) as http:
            yield Api(http, checker)


async def test_throttling_is_429_with_retry_after() -> None:
    async with WorkflowEnvironment() as env:
        await env.client.register(workflows=WORKFLOWS, domain=False)
        proxy = ThrottlingProxy(env.server.endpoint_url)
        async with proxy.running() as endpoint, gateway_over(endpoint) as api:
            body = {"workflow": "Greet", "args": ["Ann"]}
            assert (await api("PUT", "/v1/workflows/t1", body)).status == 201
            proxy.throttling = True
            for method, path, sent in [
                ("PUT", "/v1/workflows/t2", body),
                ("GET", "/v1/workflows/t1", None),
                ("GET", "/v1/workflows", None),
                ("POST", "/v1/tasks/complete", {"task_token": "t"}),
            ]:
                answer = await api(method, path, sent)
                assert answer.status == 429, (path, answer.body)
                assert int(answer.headers["Retry-After"]) >= 1
                assert answer.problem["retry_after"] == int(answer.headers["Retry-After"])
            assert proxy.throttled >= 4
            proxy.throttling = False
            assert (await api("GET", "/v1/workflows/t1")).status == 200


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_swf_out_of_reach_is_503_with_retry_after() -> None:
    async with gateway_over(f"http://127.0.0.1:{closed_port()}") as api:
        for method, path, sent in [
            ("PUT", "/v1/workflows/u1", {"workflow": "Greet", "args": ["Ann"]}),
            ("GET", "/v1/workflows/u1?run_id=r", None),
            ("POST", "/v1/tasks/heartbeat", {"task_token": "t"}),
        ]:
            answer = await api(method, path, sent)
            assert answer.status == 503, (path, answer.body)
            assert int(answer.headers["Retry-After"]) >= 1
        health = await api("GET", "/healthz")
        assert health.status == 200  # the gateway itself is alive


async def test_a_served_type_swf_does_not_know_is_404_saying_so() -> None:
    async with WorkflowEnvironment() as env, gateway_over(env.server.endpoint_url) as api:
        answer = await api("PUT", "/v1/workflows/n1", {"workflow": "Greet", "args": ["Ann"]})
        assert answer.status == 404
        assert answer.problem["type"].endswith("workflow-type-not-registered")
        assert answer.problem["field"] == "workflow"
