"""A dev server, a worker, and a gateway on loopback in front of them, with a client
that checks every response against the gateway's OpenAPI document."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from swfasync.gateway import Gateway
from swfasync.testing import WorkflowEnvironment

from .openapi_check import ResponseChecker
from .workflows import ACTIVITIES, TASK_LIST, WORKFLOWS

SECRET = "test-callback-secret-0123456789"


@dataclass
class Answer:
    status: int
    headers: Any
    body: Any

    @property
    def problem(self) -> dict[str, Any]:
        assert self.headers["Content-Type"] == "application/problem+json", self.body
        assert self.body["status"] == self.status
        return dict(self.body)


@dataclass
class Api:
    """HTTP to the gateway; every answer is checked against ``/openapi.json``."""

    http: aiohttp.ClientSession
    checker: ResponseChecker | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Answer:
        sent = {**self.headers, **(headers or {})}
        kwargs: dict[str, Any] = {"headers": sent}
        if data is not None:
            kwargs["data"] = data
        elif body is not None:
            kwargs["json"] = body
        async with self.http.request(method, path, **kwargs) as response:
            content_type = response.content_type
            if content_type in ("application/json", "application/problem+json"):
                value: Any = await response.json(content_type=None)
            else:
                value = await response.text()
            answer = Answer(response.status, response.headers, value)
        if self.checker is not None:
            self.checker.check(method, path, answer.status, content_type, value)
        return answer


@dataclass
class Served:
    env: WorkflowEnvironment
    gateway: Gateway
    url: str
    api: Api


@asynccontextmanager
async def serving(**gateway_options: Any) -> AsyncIterator[Served]:
    """The test workflows served by a gateway (callback secret, no auth by default)."""
    async with WorkflowEnvironment(
        workflows=WORKFLOWS, activities=ACTIVITIES, task_list=TASK_LIST
    ) as env:
        await env.client.register(workflows=WORKFLOWS, activities=ACTIVITIES, domain=False)
        options: dict[str, Any] = {"callback_secret": SECRET, **gateway_options}
        gateway = Gateway(env.client, workflows=WORKFLOWS, **options)
        async with gateway.serve("127.0.0.1", 0) as url, aiohttp.ClientSession(url) as http:
            api = Api(http)
            if gateway.auth is None:  # the served document is the one checked against
                api.checker = ResponseChecker((await api("GET", "/openapi.json")).body)
            else:
                api.checker = ResponseChecker(gateway.openapi())
            yield Served(env, gateway, url, api)


@pytest_asyncio.fixture
async def served(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    """``serving()`` held by a task of its own: the worker's task group must be left by
    the task that entered it, and pytest-asyncio tears fixtures down from another."""
    ready: asyncio.Future[Served] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def host() -> None:
        async with serving() as value:
            monkeypatch.setenv("GATEWAY_TEST_URL", value.url)
            monkeypatch.setenv("SWFASYNC_CALLBACK_SECRET", SECRET)
            ready.set_result(value)
            await stop.wait()

    task = asyncio.create_task(host())
    waiting: list[asyncio.Future[Any]] = [ready, task]
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        await task  # raises what setting up raised
    try:
        yield ready.result()
    finally:
        stop.set()
        await task
