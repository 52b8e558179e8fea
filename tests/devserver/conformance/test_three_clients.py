"""One scenario, three independent clients: aiobotocore, boto3 and the AWS CLI.

Each client registers its own domain, drives the same execution through ``order_scenario``
and reads the history back; each must get the same history, and it must be SWF's.
"""

from __future__ import annotations

from typing import Any

import pytest

from .clients import CLIENT_KINDS, Checker, open_api
from .decider import Names, dumps
from .scenarios import EXPECTED_ORDER_HISTORY, order_scenario

_histories: dict[str, list[dict[str, Any]]] = {}


@pytest.mark.parametrize("kind", CLIENT_KINDS)
async def test_order_scenario(kind: str, endpoint: str, checker: Checker) -> None:
    async with open_api(kind, endpoint, checker) as swf:
        history = await order_scenario(swf, Names())
    _histories[kind] = history
    assert dumps(history) == dumps(EXPECTED_ORDER_HISTORY)


def test_clients_agree() -> None:
    """Whatever the expected history says, the three clients saw the same one."""
    if len(_histories) < len(CLIENT_KINDS):
        pytest.skip("needs every client's scenario run first")
    first, *others = CLIENT_KINDS
    for kind in others:
        assert dumps(_histories[kind]) == dumps(_histories[first]), kind
