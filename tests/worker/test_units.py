"""Small pieces of the client and worker, one at a time; most need no server."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from botocore.exceptions import ClientError

import swfasync
from swfasync import activity, workflow
from swfasync._client.connection import backoff_delay, call_with_backoff, is_throttling
from swfasync.exceptions import ActivityFailedError, PayloadError, PayloadTooLargeError
from swfasync.testing import ActivityEnvironment, WorkflowEnvironment
from tests.worker.workflows import until

HEARTBEAT_LIMIT = 2_048
TOO_LONG = "x" * HEARTBEAT_LIMIT  # its JSON encoding, '["xx...x"]', is 4 characters more
heartbeat_sent = threading.Event()  # the test saw the fitting heartbeat on the server


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def heartbeats_too_much(on_a_worker: bool) -> list[Any]:
    activity.heartbeat("before")
    try:
        activity.heartbeat(TOO_LONG)
    except PayloadTooLargeError as error:
        caught = [error.field, error.size, error.limit]
    activity.heartbeat("fits")
    if on_a_worker:  # stay open until the test has seen the heartbeat reach SWF
        await anyio.to_thread.run_sync(heartbeat_sent.wait, 10.0)
    return caught


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
def heartbeats_too_much_uncaught() -> str:
    activity.heartbeat(TOO_LONG)
    return "unreachable"


@workflow.defn(task_list="units")
async def HeartbeatLimits() -> list[Any]:
    caught = await workflow.execute_activity(heartbeats_too_much, True)
    try:
        await workflow.execute_activity(heartbeats_too_much_uncaught)
    except ActivityFailedError as error:
        return [caught, error.reason]
    return [caught, None]


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Op")


async def test_throttling_is_retried_with_backoff() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise throttled()
        return "ok"

    assert await call_with_backoff(flaky, base=0.001) == "ok"
    assert len(calls) == 3
    assert is_throttling(throttled())


async def test_other_faults_are_not_retried() -> None:
    async def broken() -> Any:
        raise ClientError({"Error": {"Code": "UnknownResourceFault"}}, "Op")

    with pytest.raises(ClientError):
        await call_with_backoff(broken, base=0.001)


def test_backoff_is_jittered_and_capped() -> None:
    delays = {backoff_delay(20, base=0.1, cap=2.0) for _ in range(50)}
    assert max(delays) <= 2.0
    assert len(delays) > 1


def test_public_names() -> None:
    assert {"Client", "Worker", "WorkflowHandle", "IdReusePolicy", "RetryPolicy"} <= set(
        swfasync.__all__
    )


PLUGIN_USER_TEST = """
async def test_fixtures(workflow_environment, swf_client, activity_environment):
    assert swf_client is workflow_environment.client
    assert await swf_client.count_workflows() == 0
    assert activity_environment.heartbeats == []
"""


@pytest.mark.parametrize(
    "conftest",
    [None, 'pytest_plugins = ["swfasync.pytest_plugin"]\n'],
    ids=["entry-point-only", "also-listed-in-conftest"],
)
def test_installed_package_gives_pytest_its_fixtures(tmp_path: Path, conftest: str | None) -> None:
    # A pytest of its own, in a directory that is not this project: what a user gets from
    # installing swfasync. Listing the plugin as older instructions said must stay harmless.
    (tmp_path / "test_user.py").write_text(PLUGIN_USER_TEST)
    if conftest is not None:
        (tmp_path / "conftest.py").write_text(conftest)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


async def test_plugin_fixtures(
    workflow_environment: WorkflowEnvironment,
    activity_environment: ActivityEnvironment,
    swf_client: swfasync.Client,
) -> None:
    assert swf_client is workflow_environment.client
    assert await swf_client.count_workflows() == 0
    assert activity_environment.heartbeats == []


CAUGHT = ["heartbeat_details", HEARTBEAT_LIMIT + 4, HEARTBEAT_LIMIT]


async def test_oversized_heartbeat_raises_in_the_activity_environment() -> None:
    env = ActivityEnvironment()
    assert await env.run(heartbeats_too_much, False) == CAUGHT
    assert env.heartbeats == [("before",), ("fits",)]  # the oversized one is not recorded
    with pytest.raises(PayloadTooLargeError, match="heartbeat_details is 2052 characters"):
        await env.run(heartbeats_too_much_uncaught)
    with pytest.raises(PayloadError, match="cannot be encoded"):
        await env.run(lambda: activity.heartbeat(object()))


async def test_oversized_heartbeat_raises_on_a_worker_and_the_rest_goes_through() -> None:
    heartbeat_sent.clear()
    async with WorkflowEnvironment(
        workflows=[HeartbeatLimits],
        activities=[heartbeats_too_much, heartbeats_too_much_uncaught],
        task_list="units",
    ) as env:
        handle = await env.client.start_workflow(HeartbeatLimits, id="heartbeat-limits")

        def recorded_details() -> str | None:
            # SWF shows heartbeat details only in a heartbeat timeout: read the server's
            # own record of the open activity instead of waiting for one.
            execution = env.server.backend.executions[handle.run_id]
            return next((a.heartbeat_details for a in execution.activities.values()), None)

        await until(lambda: recorded_details() == '["fits"]')
        heartbeat_sent.set()
        caught, reason = await handle.result()
    assert caught == CAUGHT
    assert reason == (
        "PayloadTooLargeError: heartbeat_details is 2052 characters long; SWF accepts at most 2048"
    )
