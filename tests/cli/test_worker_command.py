"""``swfasync worker`` as its users run it: a separate process, stopped by a signal."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from anyio.abc import Process

from swfasync import Client
from swfasync._wire.events import (
    DecisionTaskScheduledEventAttributes,
    DecisionTaskTimedOutEventAttributes,
)
from swfasync.devserver import DevServer
from swfasync.exceptions import WorkflowFailureError
from tests.cli.worker_app import TASK_LIST, Reserve, TwoSteps

REPO = Path(__file__).resolve().parents[2]
SWFASYNC = Path(sys.executable).parent / "swfasync"  # the installed console script


@asynccontextmanager
async def worker_process(endpoint_url: str, log: Path, *extra: str) -> AsyncIterator[Process]:
    """``swfasync worker tests.cli.worker_app`` from the checkout; killed if left running."""
    with log.open("w") as output:
        process = await anyio.open_process(
            [
                str(SWFASYNC),
                "worker",
                "tests.cli.worker_app",
                "--task-list",
                TASK_LIST,
                "--endpoint-url",
                endpoint_url,
                "--domain",
                "default",
                "--sticky-schedule-to-start-timeout",
                "1",
                *extra,
            ],
            cwd=REPO,
            stdout=output,
            stderr=output,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def stopped(process: Process, signum: signal.Signals) -> int:
    process.send_signal(signum)
    with anyio.fail_after(20):
        return await process.wait()


async def appears(path: Path, text: str = "") -> None:
    """Wait until another process has written ``path`` (containing ``text``)."""
    written = anyio.Path(path)
    with anyio.fail_after(20):
        # another process writes it: there is no event to wait on
        while not (await written.exists() and text in await written.read_text()):  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def test_worker_runs_workflows_and_finishes_its_task_on_sigterm(tmp_path: Path) -> None:
    async with DevServer() as server, Client.local(server.endpoint_url, "default") as client:
        await client.register_domain()
        async with worker_process(server.endpoint_url, tmp_path / "first.log") as first:
            await appears(tmp_path / "first.log", "worker_started")  # types registered
            quick = await client.start_workflow(TwoSteps, str(tmp_path / "quick"), 0, id="quick")
            with anyio.fail_after(20):
                assert await quick.result() == ["slept 0.0", "slept 0.0"]

            marker = tmp_path / "slow"
            slow = await client.start_workflow(TwoSteps, str(marker), 1.0, id="slow")
            await appears(marker)  # its first activity is running in the worker
            assert await stopped(first, signal.SIGTERM) == 0
        log = (tmp_path / "first.log").read_text()
        assert "worker_draining" in log
        assert "worker_stopped" in log
        # the running activity finished and was reported; nothing new was taken
        kinds = [type(e).__name__ for e in await slow.history()]
        assert kinds.count("ActivityTaskCompleted") == 1
        assert (await slow.describe()).status == "OPEN"
        assert not (tmp_path / "slow.second").exists()

        async with worker_process(server.endpoint_url, tmp_path / "second.log") as second:
            await appears(tmp_path / "second.log", "worker_started")
            with anyio.fail_after(20):
                assert await slow.result() == ["slept 1.0", "slept 0.0"]
            assert await stopped(second, signal.SIGINT) == 0
        # No task was lost. One decision waited for the stopped worker's sticky task list
        # and went back to the shared one: the price SWF's stickiness asks of a restart.
        events = {e.event_id: e for e in await slow.history()}
        timed_out = [e for e in events.values() if type(e).__name__.endswith("TimedOut")]
        assert [type(e).__name__ for e in timed_out] == ["DecisionTaskTimedOut"]
        waited = timed_out[0].attributes
        assert isinstance(waited, DecisionTaskTimedOutEventAttributes)
        assert waited.timeout_type == "SCHEDULE_TO_START"
        scheduled = events[waited.scheduled_event_id].attributes
        assert isinstance(scheduled, DecisionTaskScheduledEventAttributes)
        assert scheduled.task_list.name.startswith(f"{TASK_LIST}-sticky-")


async def test_fail_on_fails_the_execution_and_replays_as_it_ran(tmp_path: Path) -> None:
    """``--fail-on MODULE:CLASS``: the worker fails the execution for that exception type
    (instead of retrying its decision task), and ``replay`` given the same type replays the
    recorded history as it ran."""
    fail_on = ("--fail-on", "tests.cli.worker_app:OutOfStock")
    async with DevServer() as server, Client.local(server.endpoint_url, "default") as client:
        await client.register_domain()
        log = tmp_path / "worker.log"
        async with worker_process(server.endpoint_url, log, *fail_on) as worker:
            await appears(log, "worker_started")
            handle = await client.start_workflow(Reserve, "anvil", id="reserve")
            with anyio.fail_after(20), pytest.raises(WorkflowFailureError) as failed:
                await handle.result()
            assert await stopped(worker, signal.SIGTERM) == 0
        assert (failed.value.reason or "").startswith("OutOfStock")
        common = ["--endpoint-url", server.endpoint_url, "--domain", "default"]
        history = await anyio.run_process(
            [str(SWFASYNC), "history", "reserve", "--json", *common], cwd=REPO
        )
    (tmp_path / "reserve.json").write_bytes(history.stdout)
    replay = [str(SWFASYNC), "replay", str(tmp_path / "reserve.json")]
    replay += ["--workflows", "tests.cli.worker_app"]
    as_it_ran = await anyio.run_process([*replay, *fail_on], cwd=REPO, check=False)
    assert as_it_ran.returncode == 0, as_it_ran.stderr
    assert as_it_ran.stdout.decode().startswith("ok: Reserve/1")
    without = await anyio.run_process(replay, cwd=REPO, check=False)
    assert without.returncode == 1
    assert "OutOfStock" in without.stderr.decode()
    not_a_class = await anyio.run_process(
        [*replay, "--fail-on", "tests.cli.worker_app:Reserve"], cwd=REPO, check=False
    )
    assert not_a_class.returncode == 2
    assert "not an exception class" in not_a_class.stderr.decode()
