"""A failed decision task is visible where a CLI user looks: describe, history, follow."""

from __future__ import annotations

import json
from functools import partial

import anyio
import pytest

from swfasync import cli
from swfasync.exceptions import WorkflowDecisionFailedError
from swfasync.testing import WorkflowEnvironment
from tests.worker import workflows as w


async def run_cli(*argv: str) -> int:
    return await anyio.to_thread.run_sync(partial(cli.main, list(argv)))


async def test_describe_and_history_show_the_failed_decision_task(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with WorkflowEnvironment(
        workflows=[w.BuggyV1], task_list="t", raise_on_decision_failure=False
    ) as env:
        handle = await env.client.start_workflow(w.BuggyV1, 21, id="buggy-cli")
        with anyio.fail_after(10), pytest.raises(WorkflowDecisionFailedError):
            await handle.result(raise_on_decision_failure=True)
        common = ("--endpoint-url", env.server.endpoint_url, "--domain", "default")
        assert await run_cli("describe", *common, "buggy-cli") == 0
        out = capsys.readouterr().out  # the worker's log lines share stdout
        body, _ = json.JSONDecoder().raw_decode(out[out.index("{\n") :])
        failure = body["decisionFailure"]
        assert failure["error_type"] == "RuntimeError"
        assert failure["message"] == "a bug in workflow code"
        assert failure["file"].endswith("tests/worker/workflows.py")
        assert await run_cli("history", *common, "buggy-cli") == 0
        out = capsys.readouterr().out
        assert "DecisionTaskFailed" in out
        assert "RuntimeError: a bug in workflow code at " in out
        assert "workflows.py:" in out
        await handle.terminate(reason="test over")
