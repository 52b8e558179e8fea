"""An HTTP API that starts a workflow under a caller-chosen name, once, and returns its
result later by that name (the idempotent-start scenario, over ``swfasync.gateway``).

The caller names the execution (``PUT /v1/workflows/{name}``). Sending the same request
again (a retry after a timeout, a double click) answers 200 with the same run instead of
starting a second one; a different request under a name already taken is a 409. The
result is read by name, with ``?wait=`` holding the request until the execution closes.
Run: ``python examples/gateway_idempotent_start.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp

from swfasync import activity, workflow
from swfasync.gateway import Gateway
from swfasync.testing import WorkflowEnvironment


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def transform(data: dict[str, str]) -> dict[str, str]:
    return {key: value.upper() for key, value in data.items()}


@workflow.defn(task_list="idempotent")
async def Process(data: dict[str, str]) -> dict[str, str]:
    """Transform a document (one activity)."""
    return await workflow.execute_activity(transform, data)


async def main() -> tuple[int, int, int, Any]:
    async with WorkflowEnvironment(
        workflows=[Process], activities=[transform], task_list="idempotent"
    ) as env:
        gateway = Gateway(env.client, workflows=[Process])
        async with gateway.serve("127.0.0.1", 0) as url, aiohttp.ClientSession(url) as http:
            request = {"workflow": "Process", "args": [{"data": "value"}]}
            async with http.put("/v1/workflows/foo", json=request) as first:
                started = first.status  # 201: a new execution named "foo"
            async with http.put("/v1/workflows/foo", json=request) as retry:
                repeated = retry.status  # 200: the same request, the same run
            other = {"workflow": "Process", "args": [{"data": "other"}]}
            async with http.put("/v1/workflows/foo", json=other) as clash:
                conflict = clash.status  # 409: "foo" is taken by another request
            async with http.get("/v1/workflows/foo", params={"wait": "10"}) as answer:
                status = await answer.json()
            return started, repeated, conflict, status["result"]


if __name__ == "__main__":
    print(asyncio.run(main()))
