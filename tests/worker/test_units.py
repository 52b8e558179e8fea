"""Small pieces of the client and worker that need no server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

import swfasync
from swfasync._client.connection import backoff_delay, call_with_backoff, is_throttling
from swfasync.testing import ActivityEnvironment, WorkflowEnvironment


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


async def test_plugin_fixtures(
    workflow_environment: WorkflowEnvironment,
    activity_environment: ActivityEnvironment,
    swf_client: swfasync.Client,
) -> None:
    assert swf_client is workflow_environment.client
    assert await swf_client.count_workflows() == 0
    assert activity_environment.heartbeats == []
