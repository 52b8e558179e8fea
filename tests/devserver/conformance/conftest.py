"""Fixtures of the conformance suite, and the switch that enforces model coverage.

By default the suite runs against ``swfasync.devserver.DevServer`` on 127.0.0.1, in a thread.
``SWF_CONFORMANCE_ENDPOINT=http://127.0.0.1:PORT`` points it at another SWF implementation
instead; coverage is then not enforced (it describes the dev server).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .clients import Checker, SwfApi, aiobotocore_api, cli_environment
from .coverage import COVERAGE
from .decider import Names
from .lambdas import LAMBDAS
from .servers import threaded_dev_server

HERE = Path(__file__).parent
COVERAGE_MODULE = HERE / "test_zz_coverage.py"
ENDPOINT_VARIABLE = "SWF_CONFORMANCE_ENDPOINT"
full_run_key = pytest.StashKey[bool]()
_deselected_key = pytest.StashKey[list[pytest.Item]]()


def _ours(item: pytest.Item) -> bool:
    return HERE in item.path.parents


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        config = items[0].config
        config.stash.setdefault(_deselected_key, []).extend(i for i in items if _ours(i))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Run the coverage check last, and decide whether this run is the whole suite.

    Coverage is only meaningful when every conformance test ran: every module collected,
    nothing deselected (``-k``, ``-m``), no single test picked by node id.
    """
    items.sort(key=lambda item: item.path == COVERAGE_MODULE)
    collected = {item.path for item in items if _ours(item)}
    on_disk = set(HERE.glob("test_*.py"))
    picked = any("::" in arg for arg in config.args)
    config.stash[full_run_key] = (
        collected == on_disk
        and not picked
        and not config.stash.get(_deselected_key, [])
        and not os.environ.get(ENDPOINT_VARIABLE)
    )


@pytest.fixture(scope="session", autouse=True)
def _isolated_aws_environment() -> Iterator[None]:
    """No test reads ~/.aws or the instance metadata service; every client gets dummy keys."""
    with pytest.MonkeyPatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(key)
        for key, value in cli_environment().items():
            if key.startswith("AWS_"):
                patch.setenv(key, value)
        yield


@pytest.fixture(scope="session")
def endpoint(_isolated_aws_environment: None) -> Iterator[str]:
    """The endpoint URL of the SWF server under test."""
    external = os.environ.get(ENDPOINT_VARIABLE)
    if external:
        yield external
        return
    with threaded_dev_server(lambdas=LAMBDAS) as url:
        yield url


@pytest.fixture
def checker() -> Checker:
    """Strict validation; successes recorded into the session's coverage."""
    return Checker(coverage=COVERAGE)


@pytest.fixture
async def swf(endpoint: str, checker: Checker) -> AsyncIterator[SwfApi]:
    """An aiobotocore client on the server under test, every response validated."""
    async with aiobotocore_api(endpoint, checker) as api:
        yield api


@pytest.fixture
def names() -> Names:
    """A fresh domain for this test."""
    return Names()
