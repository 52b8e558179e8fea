"""pytest fixtures for swfasync users (registered by the package's ``pytest11`` entry point).

- ``workflow_environment``: a running ``WorkflowEnvironment`` (dev server with time
  skipping and a client; start workers with ``workflow_environment.new_worker(...)``).
- ``activity_environment``: a fresh ``ActivityEnvironment``.
- ``swf_client``: the environment's ``Client``.
- ``messaging_environment``: a ``workflow_environment`` with a submission queue, its
  dead-letter queue and a status topic as ``.messaging``, on ``moto_server``: moto's
  SQS and SNS, one server for the whole session (``swfasync[messaging]``).

The two async fixtures need pytest-asyncio, which is not a dependency of swfasync: where it
is missing, the plugin still loads (pytest works as before) and a test that asks for one
of them fails with a message saying what to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from .._client.client import Client
from .environment import ActivityEnvironment, WorkflowEnvironment

NEEDS_PYTEST_ASYNCIO = (
    "the swfasync fixture {name!r} is async and needs pytest-asyncio: install it "
    "(pip install pytest-asyncio), the test extra of swfasync brings it"
)


def _missing(name: str) -> Any:
    def fixture() -> None:
        pytest.fail(NEEDS_PYTEST_ASYNCIO.format(name=name), pytrace=False)

    fixture.__name__ = name
    fixture.__doc__ = f"Needs pytest-asyncio: {NEEDS_PYTEST_ASYNCIO.format(name=name)}"
    return pytest.fixture(name=name)(fixture)


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def workflow_environment() -> AsyncIterator[WorkflowEnvironment]:
        """A dev server (time skipping) and a client, torn down after the test."""
        async with WorkflowEnvironment() as env:
            yield env

    @pytest_asyncio.fixture
    async def swf_client(workflow_environment: WorkflowEnvironment) -> Client:
        """The ``workflow_environment``'s client (domain ``default``, registered)."""
        return workflow_environment.client

    @pytest_asyncio.fixture
    async def messaging_environment(moto_server: str) -> AsyncIterator[WorkflowEnvironment]:
        """A dev server and client, with fresh queues and topic on ``moto_server``."""
        async with WorkflowEnvironment(messaging=moto_server) as env:
            yield env

else:
    workflow_environment = _missing("workflow_environment")
    swf_client = _missing("swf_client")
    messaging_environment = _missing("messaging_environment")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of moto's server (SQS, SNS), started once per test session."""
    from ..messaging import MotoServer  # only when asked: an optional part

    with MotoServer() as server:
        yield server.endpoint_url


@pytest.fixture
def activity_environment() -> ActivityEnvironment:
    """An ``ActivityEnvironment`` with default task info."""
    return ActivityEnvironment()
