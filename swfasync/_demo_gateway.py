"""``swfasync demo --gateway``: the demo's ``Trip`` workflow driven over HTTP with curl.

The dev server, a worker and the gateway run in this process on loopback; each step is a
real ``curl`` command (printed, then its answer), so the session can be replayed by hand
against ``swfasync gateway``. Without curl on the PATH the same requests are made with
aiohttp and printed as the curl commands they stand for.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import sys
import time
from typing import Any

import aiohttp

from ._demo import Invoice, Trip, book_flight, book_hotel, charge
from .gateway import BearerTokens, Gateway
from .testing import WorkflowEnvironment

TOKEN = "demo-token"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


async def _curl(url: str, method: str, path: str, body: Any = None) -> tuple[int, str]:
    args = ["curl", "-sS"]
    if method != "GET":
        args += ["-X", method]
    args += ["-H", f"Authorization: Bearer {TOKEN}"]
    if body is not None:
        args += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
    args.append(url + path)
    _say("$ " + shlex.join(args).replace(url, "$GATEWAY"))
    if shutil.which("curl"):
        process = await asyncio.create_subprocess_exec(
            *args[:1], "-w", "\n%{http_code}", *args[1:], stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
        text, _, code = out.decode().rpartition("\n")
        status = int(code)
    else:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, url + path, json=body, headers=headers) as response,
        ):
            status, text = response.status, await response.text()
    try:
        shown = json.dumps(json.loads(text), indent=2)
    except ValueError:
        shown = text.rstrip()
    _say(f"HTTP {status}\n{shown}\n")
    return status, text


async def run_gateway_demo() -> int:
    began = time.monotonic()
    async with WorkflowEnvironment(
        workflows=[Trip, Invoice], activities=[book_flight, book_hotel, charge], task_list="demo"
    ) as env:
        gateway = Gateway(env.client, workflows=[Trip, Invoice], auth=BearerTokens([TOKEN]))
        async with gateway.serve("127.0.0.1", 0) as url:
            _say(f"dev server on {env.server.endpoint_url}, worker on task list 'demo'")
            _say(f"gateway on GATEWAY={url} (bearer token {TOKEN!r})\n")
            start = {"workflow": "Trip", "args": ["Ada"]}
            statuses = [
                (await _curl(url, "PUT", "/v1/workflows/trip-ada", start))[0],
                (await _curl(url, "PUT", "/v1/workflows/trip-ada", start))[0],
                (await _curl(url, "GET", "/v1/workflows/trip-ada"))[0],
                (await _curl(url, "POST", "/v1/workflows/trip-ada/signals/approve", {}))[0],
                (await _curl(url, "GET", "/v1/workflows/trip-ada?wait=30"))[0],
                (await _curl(url, "GET", "/v1/workflows/trip-ada/history?format=timeline"))[0],
            ]
            statuses.append((await _curl(url, "GET", "/v1/workflows?status=closed"))[0])
    _say(f"done in {time.monotonic() - began:.2f}s; the OpenAPI document is at /openapi.json")
    return 0 if statuses == [201, 200, 200, 202, 200, 200, 200] else 1
