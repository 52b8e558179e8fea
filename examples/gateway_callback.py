"""The callback-with-token pattern over HTTP: an outside service resumes a waiting step.

A client starts a ``Fulfil`` workflow through the gateway. Its ``ask_supplier`` activity
posts the order to an outside supplier service together with a signed callback URL
(``activity.callback_url()``) and leaves its task open (``activity.complete_async()``).
The supplier works at its own pace, then calls back ``PUT <url>`` with its answer: the
activity completes and the workflow goes on. The URL works once: a second call is 410, an
altered one 403. Run: ``python examples/gateway_callback.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from swfasync import activity, workflow
from swfasync.gateway import Gateway
from swfasync.testing import WorkflowEnvironment

# Shared by the gateway and the workers; keep it in a secret store, 16 bytes or more.
SECRET = "example-callback-secret-please-rotate"
urls: dict[str, str] = {}  # where each service listens, once it does


@activity.defn(start_to_close_timeout=timedelta(hours=1))
async def ask_supplier(order_id: str, item: str) -> str:
    resume = activity.callback_url(urls["gateway"], secret=SECRET)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            urls["supplier"] + "/orders", json={"id": order_id, "item": item, "resume": resume}
        ) as answer,
    ):
        answer.raise_for_status()
    activity.complete_async()  # the supplier answers through the URL


@workflow.defn(task_list="fulfilment")
async def Fulfil(order_id: str, item: str) -> str:
    tracking = await workflow.execute_activity(ask_supplier, order_id, item)
    return f"{order_id} shipped as {tracking}"


class Supplier:
    """The outside service: takes an order, answers later through its resume URL."""

    def __init__(self) -> None:
        self.resumed: list[int] = []
        self.calls: set[asyncio.Task[None]] = set()

    async def order(self, request: web.Request) -> web.Response:
        order = await request.json()
        call = asyncio.create_task(self.ship(order))  # later, as a real supplier would
        self.calls.add(call)
        call.add_done_callback(self.calls.discard)
        return web.json_response({"accepted": order["id"]}, status=202)

    async def ship(self, order: dict[str, Any]) -> None:
        answer = {"status": "succeeded", "result": f"TRACK-{order['id']}"}
        async with aiohttp.ClientSession() as http:
            for _ in range(2):  # the second call shows a URL works only once
                async with http.put(order["resume"], json=answer) as response:
                    self.resumed.append(response.status)


async def main() -> tuple[str, list[int]]:
    supplier = Supplier()
    app = web.Application()
    app.router.add_post("/orders", supplier.order)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        urls["supplier"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
        async with WorkflowEnvironment(
            workflows=[Fulfil], activities=[ask_supplier], task_list="fulfilment"
        ) as env:
            gateway = Gateway(env.client, workflows=[Fulfil], callback_secret=SECRET)
            async with gateway.serve("127.0.0.1", 0) as url, aiohttp.ClientSession(url) as http:
                urls["gateway"] = url
                start = {"workflow": "Fulfil", "args": ["o-17", "teapot"]}
                async with http.post("/v1/workflows", json=start) as started:
                    workflow_id = (await started.json())["workflow_id"]
                async with http.get(f"/v1/workflows/{workflow_id}?wait=30") as done:
                    result: str = (await done.json())["result"]
                await asyncio.gather(*supplier.calls)
                return result, supplier.resumed
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    print(asyncio.run(main()))
