"""The ``swfasync`` command on the unhappy path: one line per error, a status that says
so, a traceback only when asked, and quiet when its reader goes away."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

from swfasync import cli
from swfasync.devserver import DevServer
from swfasync.testing import WorkflowEnvironment
from tests.cli.test_cli import run_cli
from tests.client.test_errors import unused_port
from tests.worker import workflows as w

SWFASYNC = Path(sys.executable).parent / "swfasync"  # the installed console script
REPO = Path(__file__).resolve().parents[2]


def only_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


async def test_an_unknown_execution_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with WorkflowEnvironment() as env:
        common = ("--endpoint-url", env.server.endpoint_url, "--domain", "default")
        for command in ("describe", "history", "cancel", "terminate"):
            assert await run_cli(command, *common, "nope", "--run-id", "r1") == 1
            line = only_line(capsys.readouterr().err)
            assert line.startswith("error: no execution of workflow nope (run r1)")
        assert await run_cli("describe", *common, "nope") == 1
        assert "no execution of workflow nope" in only_line(capsys.readouterr().err)


async def test_debug_adds_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    async with DevServer() as server:
        common = ("--endpoint-url", server.endpoint_url)
        assert await run_cli("--debug", "describe", *common, "nope", "--run-id", "r") == 1
        err = capsys.readouterr().err
        assert "Traceback" in err
        assert "WorkflowNotFoundError" in err
        assert err.strip().splitlines()[-1].startswith("error: no execution of workflow nope")


async def test_an_unreachable_endpoint_names_it(capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = f"http://127.0.0.1:{unused_port()}"
    common = ("--endpoint-url", endpoint, "--retry-timeout", "0.2")
    assert await run_cli("list", *common) == 1
    line = only_line(capsys.readouterr().err)
    assert line.startswith(f"error: cannot reach SWF at {endpoint}")


async def test_bad_input_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    async with WorkflowEnvironment() as env:
        common = ("--endpoint-url", env.server.endpoint_url)
        assert await run_cli("start", "Greeting", *common, "--id", "g", "--input", "[1,") == 1
        assert only_line(capsys.readouterr().err).startswith("error: --input is not JSON")


async def test_a_closed_pipe_is_quiet() -> None:
    async with WorkflowEnvironment(
        workflows=[w.Greeting], activities=[w.greet, w.shout], task_list="t"
    ) as env:
        handle = await env.client.start_workflow(w.Greeting, "pipe", id="p1")
        await handle.result()
        url = env.server.endpoint_url
        # The reader is gone before the first write: every write fails with EPIPE.
        line = f'"{SWFASYNC}" history p1 --json --endpoint-url {url} | head -c 0'
        done = await anyio.run_process(
            ["bash", "-c", line + '; echo "status ${PIPESTATUS[0]}"'], cwd=REPO, check=False
        )
    assert done.stderr == b""
    assert done.stdout.decode().strip() == f"status {cli.EXIT_BROKEN_PIPE}"


def test_unknown_commands_still_print_usage() -> None:
    with pytest.raises(SystemExit):
        cli.main(["--debug", "nope"])


async def test_start_idempotent_returns_the_run_and_refuses_another_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with WorkflowEnvironment(
        workflows=[w.Greeting], activities=[w.greet, w.shout], task_list="t"
    ) as env:
        common = ("--endpoint-url", env.server.endpoint_url, "--id", "once", "--idempotent")

        async def start(name: str) -> tuple[int, str, str]:
            capsys.readouterr()
            status = await run_cli("start", "Greeting", *common, "--input", f'["{name}"]')
            captured = capsys.readouterr()
            return status, captured.out, captured.err

        status, out, _ = await start("ann")
        assert status == 0
        assert '"newlyStarted": true' in out
        handle = await env.client.get_workflow_handle("once")
        await handle.result()
        status, out, _ = await start("ann")  # closed by now: the same run all the same
        assert status == 0
        assert '"newlyStarted": false' in out
        assert handle.run_id in out
        status, _, err = await start("bob")
        assert status == 1
        assert only_line(err).startswith(f"error: workflow id once is bound to run {handle.run_id}")
