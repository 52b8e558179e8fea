"""pytest fixtures for swfasync users (registered by the package's ``pytest11`` entry point).

- ``workflow_environment``: a running ``WorkflowEnvironment`` (dev server with time
  skipping and a client; start workers with ``workflow_environment.new_worker(...)``).
- ``activity_environment``: a fresh ``ActivityEnvironment``.
- ``swf_client``: the environment's ``Client``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .._client.client import Client
from .environment import ActivityEnvironment, WorkflowEnvironment


@pytest_asyncio.fixture
async def workflow_environment() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server (time skipping) and a client, torn down after the test."""
    async with WorkflowEnvironment() as env:
        yield env


@pytest_asyncio.fixture
async def swf_client(workflow_environment: WorkflowEnvironment) -> Client:
    """The ``workflow_environment``'s client (domain ``default``, registered)."""
    return workflow_environment.client


@pytest.fixture
def activity_environment() -> ActivityEnvironment:
    """An ``ActivityEnvironment`` with default task info."""
    return ActivityEnvironment()
