"""The SDK logs through the application's configuration and never makes one of its own:
silent but for warnings and errors when nothing is configured, every event with its bound
context when the application configures the standard library or structlog."""

from __future__ import annotations

import ast
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import structlog

from swfasync._log import get_logger

_APPLICATION = textwrap.dedent(
    """
    import asyncio, logging, sys
    import structlog

    mode = sys.argv[1]
    if mode == "stdlib":
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stdout,
            format="%(levelname)s %(name)s %(message)s",
        )
    elif mode == "structlog":
        structlog.configure(
            processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
            logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        )

    from swfasync import activity, workflow
    from swfasync.exceptions import ActivityError
    from swfasync.testing import WorkflowEnvironment

    @activity.defn(start_to_close_timeout=30)
    async def refuse(x: int) -> int:
        raise ValueError("no")

    @activity.defn(start_to_close_timeout=30)
    async def double(x: int) -> int:
        return 2 * x

    @workflow.defn
    async def doubles(x: int) -> int:
        try:
            await workflow.execute_activity(refuse, x)
        except ActivityError:
            pass
        return await workflow.execute_activity(double, x)

    async def main():
        async with WorkflowEnvironment(workflows=[doubles], activities=[double, refuse]) as env:
            handle = await env.client.start_workflow(doubles, 21, id="logged-1")
            assert await handle.result() == 42

    asyncio.run(main())
    print("DONE", file=sys.stderr)
    """
)


def _run(mode: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _APPLICATION, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def test_an_application_that_configures_nothing_sees_only_warnings_and_errors() -> None:
    out, err = _run("nothing")
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == "DONE"
    # The failed activity is a warning, named with its task; nothing below that level.
    assert len(lines) == 2, lines
    assert lines[0].startswith("activity_failed ")
    assert "workflow_id=logged-1" in lines[0]


def test_an_application_configuring_logging_gets_every_event_with_its_context() -> None:
    out, _ = _run("stdlib")
    lines = out.splitlines()
    assert any(line.startswith("INFO swfasync.worker worker_started ") for line in lines)
    completed = [line for line in lines if "decision_task_completed" in line]
    assert completed, lines
    assert completed[0].startswith("DEBUG swfasync.worker decision_task_completed ")
    assert "workflow_id=logged-1" in completed[0]
    assert "domain=default" in completed[0]
    assert any(line.startswith("WARNING swfasync.worker activity_failed ") for line in lines)


def test_an_application_configuring_structlog_gets_every_event_through_it() -> None:
    out, _ = _run("structlog")
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    by_name = {event["event"]: event for event in events}
    assert by_name["decision_task_completed"]["workflow_id"] == "logged-1"
    assert by_name["decision_task_completed"]["level"] == "debug"
    assert by_name["worker_started"]["task_list"] == "default"
    assert by_name["activity_failed"]["level"] == "warning"


def test_a_stdlib_record_carries_the_event_as_a_dict(caplog: pytest.LogCaptureFixture) -> None:
    assert not structlog.is_configured()  # conftest: every test starts from the defaults
    caplog.set_level(logging.INFO, logger="swfasync.test")
    get_logger("swfasync.test").bind(workflow_id="w 1").info("something_happened", n=3)
    [record] = caplog.records
    assert record.getMessage() == "something_happened workflow_id='w 1' n=3"
    expected = {"event": "something_happened", "workflow_id": "w 1", "n": 3}
    assert record.__dict__["swfasync"] == expected
    assert record.name == "swfasync.test"
    assert record.pathname == __file__  # the line that logged, not the logger's module


PACKAGE = Path(__file__).resolve().parents[2] / "swfasync"


def _is_application(relative: str) -> bool:
    """The command-line programs are applications: configuring logging is theirs to do."""
    return relative.startswith("_cli/") or relative in {"devserver/_cli.py", "_demo.py"}


def _calls(tree: ast.AST) -> set[str]:
    return {
        ast.unparse(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


def test_the_library_logs_only_through_its_own_loggers_and_configures_nothing() -> None:
    direct, configuring = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        calls = _calls(ast.parse(path.read_text(encoding="utf-8")))
        if "structlog.get_logger" in calls and relative != "_log.py":
            direct.append(relative)
        if not _is_application(relative) and calls & {
            "structlog.configure",
            "logging.basicConfig",
            "logging.config.dictConfig",
        }:
            configuring.append(relative)
    assert direct == []
    assert configuring == []
