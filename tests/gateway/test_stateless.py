"""Several gateways, one domain: nothing a request needs lives in one gateway process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp import web

import swfasync.gateway
from swfasync import Client
from swfasync.gateway import Gateway
from swfasync.testing import WorkflowEnvironment

from .conftest import SECRET, Api
from .test_tasks import handed
from .workflows import ACTIVITIES, TASK_LIST, WORKFLOWS


@asynccontextmanager
async def gateways(env: WorkflowEnvironment, count: int) -> AsyncIterator[list[Api]]:
    """``count`` gateways, each with a client (a connection) of its own."""
    async with AsyncExitStack() as stack:
        apis = []
        for _ in range(count):
            client = await stack.enter_async_context(Client.local(env.server.endpoint_url))
            gateway = Gateway(client, workflows=WORKFLOWS, callback_secret=SECRET)
            url = await stack.enter_async_context(gateway.serve("127.0.0.1", 0))
            apis.append(Api(await stack.enter_async_context(aiohttp.ClientSession(url))))
        yield apis


async def test_two_gateways_serve_one_domain_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    async with WorkflowEnvironment(
        workflows=WORKFLOWS, activities=ACTIVITIES, task_list=TASK_LIST
    ) as env:
        await env.client.register(workflows=WORKFLOWS, activities=ACTIVITIES, domain=False)
        async with gateways(env, 2) as (a, b):
            # Concurrent identical starts spread over both: one execution.
            body = {"workflow": "Approval", "args": ["o-1"]}
            answers = await asyncio.gather(
                *(api("PUT", "/v1/workflows/shared", body) for api in [a, b] * 25)
            )
            assert sorted(x.status for x in answers) == [200] * 49 + [201]
            assert len({x.body["run_id"] for x in answers}) == 1
            other = await b("PUT", "/v1/workflows/shared", {**body, "args": ["o-2"]})
            assert other.status == 409

            # A page token from one gateway is good on the other.
            for n in range(3):
                await a("PUT", f"/v1/workflows/more-{n}", {"workflow": "Approval", "args": ["x"]})
            page = await a("GET", "/v1/workflows?workflow=Approval&page_size=2")
            token = page.body["next_page_token"]
            rest = await b("GET", f"/v1/workflows?page_token={token}&page_size=2")
            listed = [w["workflow_id"] for w in page.body["workflows"] + rest.body["workflows"]]
            assert sorted(listed) == ["more-0", "more-1", "more-2", "shared"]

            # A callback URL made for one gateway's address is honoured by the other, once.
            monkeypatch.setenv("GATEWAY_TEST_URL", "http://127.0.0.1:1")  # the path counts
            monkeypatch.setenv("SWFASYNC_CALLBACK_SECRET", SECRET)
            await a("PUT", "/v1/workflows/pay-1", {"workflow": "Pay", "args": ["pay-1", 5]})
            url, _ = await handed("pay-1")
            path = urlsplit(url).path
            done = await b("PUT", path, {"status": "succeeded", "result": "r"})
            assert done.status == 200
            assert (await a("PUT", path, {"status": "succeeded", "result": "r"})).status == 410
            assert (await a("GET", "/v1/workflows/pay-1?wait=10")).body["result"] == "r"


async def test_the_app_mounts_under_a_prefix_in_an_existing_aiohttp_app() -> None:
    async with WorkflowEnvironment(
        workflows=WORKFLOWS, activities=ACTIVITIES, task_list=TASK_LIST
    ) as env:
        await env.client.register(workflows=WORKFLOWS, activities=ACTIVITIES, domain=False)

        async def home(request: web.Request) -> web.Response:
            return web.Response(text="the host app")

        parent = web.Application()
        parent.router.add_get("/", home)
        parent.add_subapp("/swf", Gateway(env.client, workflows=WORKFLOWS).app())
        runner = web.AppRunner(parent)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            async with aiohttp.ClientSession(url) as http:
                api = Api(http)
                started = await api(
                    "PUT", "/swf/v1/workflows/m", {"workflow": "Greet", "args": ["Jo"]}
                )
                assert started.status == 201
                done = await api("GET", "/swf/v1/workflows/m?wait=10")
                assert done.body["result"] == "Hi, Jo!"
                assert (await api("GET", "/")).body == "the host app"
                assert (await api("GET", "/swf/v1/nothing")).problem["status"] == 404
        finally:
            await runner.cleanup()


def test_importing_swfasync_does_not_import_the_gateway() -> None:
    code = "import sys, swfasync, swfasync.client; print('swfasync.gateway' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_exported_names() -> None:
    assert swfasync.gateway.__all__ == (
        "DEFAULT_PORT",
        "FAILURE_TYPE",
        "AuthHook",
        "BearerTokens",
        "Forbidden",
        "Gateway",
        "GatewayConfigError",
    )
