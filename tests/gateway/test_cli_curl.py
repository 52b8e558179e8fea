"""``swfasync gateway`` as a process, driven with curl as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from swfasync.cli import main
from swfasync.testing import WorkflowEnvironment

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


async def test_a_curl_session_against_the_gateway_command(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("curl-token\n")
    async with WorkflowEnvironment(
        workflows=WORKFLOWS, activities=ACTIVITIES, task_list=TASK_LIST
    ) as env:
        await env.client.register(workflows=WORKFLOWS, activities=ACTIVITIES, domain=False)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "swfasync.cli", "gateway", "tests.gateway.workflows",
            "--port", "0", "--auth-tokens", str(tokens),
            cwd=ROOT,
            env={**os.environ, "SWFASYNC_ENDPOINT_URL": env.server.endpoint_url},
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = ""
            while not line.startswith("gateway listening on "):  # after the log lines
                line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
                assert line, "the gateway command ended before listening"
            assert line.startswith("gateway listening on http://127.0.0.1:"), line
            url = line.split()[3]
            auth = ["-H", "Authorization: Bearer curl-token"]
            json_body = ["-H", "Content-Type: application/json", "-d"]

            code, body = await curl(url + "/healthz")
            assert (code, body["status"]) == (200, "ok")
            code, body = await curl(
                "-X",
                "PUT",
                url + "/v1/workflows/hello-1",
                *json_body,
                '{"workflow": "Greet", "version": "1", "args": ["Ada"]}',
            )
            assert code == 401
            start = [
                "-X",
                "PUT",
                url + "/v1/workflows/hello-1",
                *auth,
                *json_body,
                '{"workflow": "Greet", "version": "1", "args": ["Ada"]}',
            ]
            code, body = await curl(*start)
            assert (code, body["status"]) == (201, "OPEN")
            code, again = await curl(*start)
            assert (code, again["run_id"]) == (200, body["run_id"])
            code, done = await curl(*auth, url + "/v1/workflows/hello-1?wait=10")
            assert (code, done["result"]) == (200, "Hello, Ada!")
            code, text = await curl(*auth, url + "/v1/workflows/hello-1/history?format=timeline")
            assert code == 200
            assert "WorkflowExecutionCompleted" in text
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0


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
