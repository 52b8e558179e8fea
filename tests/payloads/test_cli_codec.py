"""``swfasync history`` and ``describe`` with and without ``--codec``."""

from __future__ import annotations

import json
from functools import partial

import anyio
import pytest

from swfasync import cli
from swfasync.testing import WorkflowEnvironment

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
