"""An aiohttp service that runs a worker and a client on its own event loop.

The worker and the client live in the application's ``cleanup_ctx``: they start with the
application and shut down gracefully with it (running activities finish, nothing is left
half answered), whichever task aiohttp starts and stops it from. Request handlers use
the client: ``POST /orders/{id}/label`` starts a workflow (idempotently: a repeated POST
finds the run already started), ``GET /orders/{id}/label`` waits for its result.

Run it against a dev server (``swfasync dev-server --port 8080`` in another shell)::

    SWF_ENDPOINT=http://127.0.0.1:8080 python examples/aiohttp_service.py --serve

or without arguments to run one request through it on an embedded dev server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from swfasync import Client, Worker, activity, workflow
from swfasync.devserver import DevServer
from swfasync.exceptions import WorkflowAlreadyStartedError

TASK_LIST = "labels"
CLIENT = web.AppKey("swf_client", Client)


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def print_label(order_id: str) -> str:
    return f"LABEL-{order_id}"


@workflow.defn(task_list=TASK_LIST)
async def label_order(order_id: str) -> str:
    return await workflow.execute_activity(print_label, order_id)


def create_app(endpoint_url: str, domain: str = "default") -> web.Application:
    async def swf(app: web.Application) -> AsyncIterator[None]:
        async with (
            Client.local(endpoint_url, domain) as client,
            Worker(client, task_list=TASK_LIST, workflows=[label_order], activities=[print_label]),
        ):
            app[CLIENT] = client
            yield  # the application serves; on shutdown the worker drains

    async def start_label(request: web.Request) -> web.Response:
        order_id = request.match_info["order_id"]
        # A repeated request finds the run under way already.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await request.app[CLIENT].start_workflow(label_order, order_id, id=f"label-{order_id}")
        return web.json_response({"workflow_id": f"label-{order_id}"}, status=202)

    async def get_label(request: web.Request) -> web.Response:
        client = request.app[CLIENT]
        handle = await client.get_workflow_handle(f"label-{request.match_info['order_id']}")
        label: str = await handle.result()
        return web.json_response({"label": label})

    app = web.Application()
    app.cleanup_ctx.append(swf)
    app.router.add_post("/orders/{order_id}/label", start_label)
    app.router.add_get("/orders/{order_id}/label", get_label)
    return app


async def main() -> tuple[int, int, dict[str, Any]]:
    async with DevServer() as server:
        app = create_app(server.endpoint_url)
        async with TestClient(TestServer(app)) as http:
            started = await http.post("/orders/42/label")
            again = await http.post("/orders/42/label")
            label = await http.get("/orders/42/label")
            return started.status, again.status, await label.json()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        logging.basicConfig(level=logging.INFO)
        web.run_app(create_app(os.environ["SWF_ENDPOINT"]), port=8081)
    else:
        print(asyncio.run(main()))
