"""The ``swfasync`` client subcommands against an in-process dev server."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import anyio
import pytest

from swfasync import cli
from swfasync.testing import WorkflowEnvironment
from tests.worker import workflows as w


async def run_cli(*argv: str) -> int:
    # The CLI runs its own event loop: give it a thread, as a separate process would be.
    return await anyio.to_thread.run_sync(partial(cli.main, list(argv)))


async def test_start_follow_describe_history_list_replay(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with WorkflowEnvironment(
        workflows=[w.Greeting], activities=[w.greet, w.shout], task_list="t"
    ) as env:
        common = ("--endpoint-url", env.server.endpoint_url, "--domain", "default")
        assert (
            await run_cli(
                "start", "Greeting", *common, "--id", "g1", "--input", '["cli"]', "--follow"
            )
            == 0
        )
        out = capsys.readouterr().out
        assert "ActivityTaskCompleted" in out
        assert '"result": "HELLO, CLI!"' in out
        assert await run_cli("describe", *common, "g1") == 0
        assert json.loads(capsys.readouterr().out)["executionInfo"]["closeStatus"] == "COMPLETED"
        assert await run_cli("history", *common, "g1") == 0
        assert "WorkflowExecutionCompleted" in capsys.readouterr().out
        assert await run_cli("history", *common, "g1", "--json") == 0
        history = tmp_path / "g1.json"
        history.write_text(capsys.readouterr().out)
        assert await run_cli("list", *common, "--closed") == 0
        assert "g1" in capsys.readouterr().out
        assert await run_cli("replay", str(history), "--workflows", "tests.worker.workflows") == 0
        assert capsys.readouterr().out.startswith("ok: Greeting/1")


async def test_signal_cancel_terminate(capsys: pytest.CaptureFixture[str]) -> None:
    async with WorkflowEnvironment(workflows=[w.CancelsActivity], task_list="t") as env:
        common = ("--endpoint-url", env.server.endpoint_url)
        first = await env.client.start_workflow(w.CancelsActivity, False, id="c1")
        assert await run_cli("cancel", *common, "c1") == 0
        assert (await first.wait_closed()).close_status == "CANCELED"
        third = await env.client.start_workflow(w.CancelsActivity, False, id="c3")
        assert await run_cli("terminate", *common, "c3", "--reason", "cli") == 0
        assert (await third.describe()).close_status == "TERMINATED"
        second = await env.client.start_workflow(w.CancelsActivity, False, id="c2")
        assert await run_cli("signal", *common, "c2", "cancel_it") == 0
        kinds = [type(e).__name__ for e in await second.history()]
        assert "WorkflowExecutionSignaled" in kinds


def test_unknown_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["nope"])
