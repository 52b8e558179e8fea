"""One moto server (SQS and SNS over loopback) for the whole session: it is slow to start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from swfasync.testing import WorkflowEnvironment

from .workflows import ALL


@pytest.fixture(scope="session")
def moto_endpoint(moto_server: str) -> str:
    """The session's moto server (the swfasync pytest plugin's ``moto_server``)."""
    return moto_server


@pytest.fixture
def make_env(moto_endpoint: str) -> Callable[..., WorkflowEnvironment]:
    """The dev server with a worker for the test workflows, and fresh queues and topic.

    A factory to ``async with`` in the test itself: a worker's task group must be entered
    and left by the same task, and pytest-asyncio tears fixtures down in another.
    """

    def make(**options: Any) -> WorkflowEnvironment:
        return WorkflowEnvironment(
            workflows=ALL, task_list="messaging", messaging=moto_endpoint, **options
        )

    return make
