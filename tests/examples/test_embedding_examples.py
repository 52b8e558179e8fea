"""The embedding examples started and stopped from different tasks, as servers and test
clients do: aiohttp's cleanup_ctx under its test server, a FastAPI lifespan."""

from __future__ import annotations

import asyncio

import httpx
from aiohttp.test_utils import TestClient, TestServer

from swfasync.devserver import DevServer

from .test_examples import load


async def test_the_aiohttp_service_starts_and_stops_in_different_tasks() -> None:
    example = load("aiohttp_service")
    async with DevServer() as server:
        http = TestClient(TestServer(example.create_app(server.endpoint_url)))
        await asyncio.create_task(http.start_server())  # cleanup_ctx entered here
        try:
            assert (await http.post("/orders/1/label")).status == 202
            assert await (await http.get("/orders/1/label")).json() == {"label": "LABEL-1"}
        finally:
            await asyncio.create_task(http.close())  # and left here, gracefully
        async with example.Client.local(server.endpoint_url) as client:
            handle = await client.get_workflow_handle("label-1")
            assert (await handle.describe()).status == "CLOSED"


async def test_the_fastapi_lifespan_starts_and_stops_in_different_tasks() -> None:
    example = load("fastapi_lifespan")
    async with DevServer() as server:
        app = example.create_app(server.endpoint_url)
        lifespan = app.router.lifespan_context(app)
        await asyncio.create_task(lifespan.__aenter__())
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                assert (await http.post("/orders/2/label")).status_code == 202
                assert (await http.get("/orders/2/label")).json() == {"label": "LABEL-2"}
        finally:
            await asyncio.create_task(lifespan.__aexit__(None, None, None))
