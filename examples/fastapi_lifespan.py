"""A FastAPI application whose lifespan runs a worker and a client.

The lifespan opens the client and enters the worker; the application serves while it is
suspended at ``yield``; on shutdown the worker stops polling and lets running tasks
finish. ``POST /orders/{id}/label`` starts a workflow, ``GET /orders/{id}/label`` waits
for its result.

Run it with any ASGI server against a dev server (``swfasync dev-server --port 8080``)::

    SWF_ENDPOINT=http://127.0.0.1:8080 uvicorn --factory examples.fastapi_lifespan:app_from_env

or without arguments to run one request through it on an embedded dev server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request

from swfasync import Client, Worker, activity, workflow
from swfasync.devserver import DevServer
from swfasync.exceptions import WorkflowAlreadyStartedError

TASK_LIST = "fastapi-labels"


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def print_label(order_id: str) -> str:
    return f"LABEL-{order_id}"


@workflow.defn(task_list=TASK_LIST)
async def label_order(order_id: str) -> str:
    return await workflow.execute_activity(print_label, order_id)


def create_app(endpoint_url: str, domain: str = "default") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            Client.local(endpoint_url, domain) as client,
            Worker(client, task_list=TASK_LIST, workflows=[label_order], activities=[print_label]),
        ):
            app.state.client = client
            yield  # the application serves; on shutdown the worker drains

    app = FastAPI(lifespan=lifespan)

    @app.post("/orders/{order_id}/label", status_code=202)
    async def start_label(order_id: str, request: Request) -> dict[str, str]:
        client: Client = request.app.state.client
        # A repeated request finds the run under way already.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(label_order, order_id, id=f"label-{order_id}")
        return {"workflow_id": f"label-{order_id}"}

    @app.get("/orders/{order_id}/label")
    async def get_label(order_id: str, request: Request) -> dict[str, str]:
        client: Client = request.app.state.client
        handle = await client.get_workflow_handle(f"label-{order_id}")
        label: str = await handle.result()
        return {"label": label}

    return app


def app_from_env() -> FastAPI:
    return create_app(os.environ["SWF_ENDPOINT"])


async def main() -> tuple[int, dict[str, Any]]:
    async with DevServer() as server:
        app = create_app(server.endpoint_url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
                started = await http.post("/orders/7/label")
                label = await http.get("/orders/7/label")
                return started.status_code, label.json()


if __name__ == "__main__":
    print(asyncio.run(main()))
