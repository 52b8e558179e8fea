"""``swfasync gateway`` as a process, driven with curl as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from swfasync.cli import main
from swfasync.testing import WorkflowEnvironment

from .conftest import SECRET
from .test_tasks import handed
from .workflows import ACTIVITIES, TASK_LIST, WORKFLOWS

ROOT = Path(__file__).resolve().parents[2]


async def curl(*args: str) -> tuple[int, Any]:
    process = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-w", "\n%{http_code}", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    body, _, code = out.decode().rpartition("\n")
    try:
        return int(code), json.loads(body)
    except ValueError:
        return int(code), body


@asynccontextmanager
async def gateway_command(endpoint: str, *options: str) -> AsyncIterator[str]:
    """``swfasync gateway tests.gateway.workflows`` in a process of its own; its URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "swfasync.cli", "gateway", "tests.gateway.workflows",
        "--port", "0", *options,
        cwd=ROOT,
        env={**os.environ, "SWFASYNC_ENDPOINT_URL": endpoint},
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = ""
        while not line.startswith("gateway listening on "):  # after the log lines
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "the gateway command ended before listening"
        assert line.startswith("gateway listening on http://127.0.0.1:"), line
        yield line.split()[3]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_a_curl_session_against_two_gateway_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("curl-token\n")
    secrets = tmp_path / "secrets"
    secrets.write_text(SECRET + "\n")
    options = ("--auth-tokens", str(tokens), "--callback-secret-file", str(secrets))
    monkeypatch.delenv("SWFASYNC_CALLBACK_SECRET", raising=False)
    async with WorkflowEnvironment(
        workflows=WORKFLOWS, activities=ACTIVITIES, task_list=TASK_LIST
    ) as env:
        await env.client.register(workflows=WORKFLOWS, activities=ACTIVITIES, domain=False)
        endpoint = env.server.endpoint_url
        async with (
            gateway_command(endpoint, *options) as a,
            gateway_command(endpoint, *options) as b,
        ):
            auth = ["-H", "Authorization: Bearer curl-token"]
            json_body = ["-H", "Content-Type: application/json", "-d"]
            greet = '{"workflow": "Greet", "version": "1", "args": ["Ada"]}'

            code, body = await curl(a + "/healthz")
            assert (code, body["status"]) == (200, "ok")
            code, body = await curl("-X", "PUT", a + "/v1/workflows/hello-1", *json_body, greet)
            assert code == 401
            start = ["-X", "PUT", *auth, *json_body, greet]
            code, body = await curl(*start, a + "/v1/workflows/hello-1")
            assert (code, body["status"]) == (201, "OPEN")
            code, again = await curl(*start, b + "/v1/workflows/hello-1")
            assert (code, again["run_id"]) == (200, body["run_id"])
            code, done = await curl(*auth, b + "/v1/workflows/hello-1?wait=10")
            assert (code, done["result"]) == (200, "Hello, Ada!")
            code, text = await curl(*auth, a + "/v1/workflows/hello-1/history?format=timeline")
            assert code == 200
            assert "WorkflowExecutionCompleted" in text

            # A callback URL signed by the worker with the secret the gateway processes
            # read from their file (the environment they were started with has none).
            monkeypatch.setenv("GATEWAY_TEST_URL", "http://gateway.invalid")
            monkeypatch.setenv("SWFASYNC_CALLBACK_SECRET", SECRET)
            pay = '{"workflow": "Pay", "args": ["pay-9", 9]}'
            code, _ = await curl("-X", "PUT", *auth, *json_body, pay, a + "/v1/workflows/pay-9")
            assert code == 201
            url, _ = await handed("pay-9")
            resume = urlsplit(url).path
            answer = '{"status": "succeeded", "result": "paid"}'
            code, _ = await curl("-X", "PUT", *json_body, answer, b + resume)
            assert code == 200
            code, _ = await curl("-X", "PUT", *json_body, answer, a + resume)
            assert code == 410
            code, done = await curl(*auth, a + "/v1/workflows/pay-9?wait=10")
            assert done["result"] == "paid"


def test_the_command_refuses_to_listen_beyond_loopback_without_auth(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["gateway", "tests.gateway.workflows", "--host", "0.0.0.0", "--port", "0",
            "--endpoint-url", "http://127.0.0.1:9"]  # fmt: skip
    assert main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: ")
    assert "0.0.0.0" in error


def test_the_command_needs_a_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gateway", "tests.gateway.openapi_check"]) == 2
    assert "no @workflow.defn" in capsys.readouterr().err
