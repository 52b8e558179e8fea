"""The local Lambda functions registered on the suite's dev server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/conformance-lambda"


def echo(payload: str | None) -> str | None:
    return payload


def fail(payload: str | None) -> str | None:
    raise ValueError(f"cannot handle {payload}")


async def slow(payload: str | None) -> str | None:
    await asyncio.sleep(30)
    return payload


#: Registered on the suite's dev server (see conftest).
LAMBDAS: dict[str, Callable[[str | None], Any]] = {
    "conformance-echo": echo,
    "conformance-fail": fail,
    "conformance-slow": slow,
}
