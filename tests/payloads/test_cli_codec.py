"""``swfasync history`` and ``describe`` with and without ``--codec``."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import anyio
import pytest

from swfasync import cli
from swfasync.testing import Replayer, WorkflowEnvironment

from . import codec_app
from . import workflows as w

CODEC = "tests.payloads.codec_app:converter"


async def run_cli(*argv: str) -> int:
    # The CLI runs its own event loop: give it a thread, as a separate process would be.
    return await anyio.to_thread.run_sync(partial(cli.main, list(argv)))


async def test_history_and_describe_decode_with_the_codec_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    w.declined_once.clear()
    async with WorkflowEnvironment(
        workflows=[w.Vault],
        activities=[w.charge],
        task_list="payloads",
        data_converter=codec_app.converter(),
    ) as env:
        handle = await env.client.start_workflow(w.Vault, w.SECRET, id="vault-cli")
        await handle.signal("annotate", "fine")
        await handle.result()
        common = ("--endpoint-url", env.server.endpoint_url, "--domain", env.domain, "vault-cli")

        assert await run_cli("history", "--json", *common) == 0
        stored = capsys.readouterr().out
        assert w.SECRET not in stored
        assert "swfasync-codec" in stored

        assert await run_cli("history", "--json", "--codec", CODEC, *common) == 0
        events = json.loads(capsys.readouterr().out)["events"]
        started = events[0]["workflowExecutionStartedEventAttributes"]
        assert json.loads(started["input"]) == [w.SECRET]
        completed = events[-1]["workflowExecutionCompletedEventAttributes"]
        assert w.SECRET in json.loads(completed["result"])

        assert await run_cli("history", "--codec", CODEC, *common) == 0
        assert w.SECRET in capsys.readouterr().out

        assert await run_cli("describe", *common) == 0
        context = json.loads(capsys.readouterr().out)["latestExecutionContext"]
        assert w.SECRET not in context
        assert await run_cli("describe", "--codec", CODEC, *common) == 0
        context = json.loads(capsys.readouterr().out)["latestExecutionContext"]
        assert json.loads(context) == {"card": w.SECRET}


async def test_replay_of_an_encrypted_history_needs_the_codec(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    w.declined_once.clear()
    async with WorkflowEnvironment(
        workflows=[w.Vault],
        activities=[w.charge],
        task_list="payloads",
        data_converter=codec_app.converter(),
    ) as env:
        handle = await env.client.start_workflow(w.Vault, w.SECRET, id="vault-replay")
        await handle.signal(w.Vault.annotate, "fine")
        await handle.result()
        history = tmp_path / "vault.json"
        history.write_text(json.dumps(await handle.history_json()))

    workflows = ("--workflows", "tests.payloads.workflows:Vault")
    assert await run_cli("replay", str(history), *workflows, "--codec", CODEC) == 0
    assert "ok: Vault/1" in capsys.readouterr().out
    assert await run_cli("replay", str(history), *workflows) == 1
    assert "DataConverter" in capsys.readouterr().err

    # In code: the same, through Replayer (its replay() from a running loop, too).
    replayer = Replayer([w.Vault], data_converter=codec_app.converter())
    assert replayer.replay(history).ok
    assert (await replayer.replay_async(history)).ok
