"""Waiting out SWF's outages: which failures pass, one warning per outage, answers kept.

A worker meets SWF's absence in three places: registering at start, polling, and
answering a task it has finished. None of them gives up while the failure is one that
passes (the connection refused or dropped, a timeout, throttling, a 5xx answer): the
worker keeps trying with backoff, says once that SWF is unreachable at its endpoint, and
once that it is back. An answer is tried again until SWF takes it or says the task is
gone (``UnknownResourceFault``: it timed out or its execution closed meanwhile), so a
finished result is never dropped while SWF could still accept it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import aiohttp
import anyio
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from .._client.connection import backoff_delay, error_code, is_throttling

T = TypeVar("T")

# Backoff between attempts while SWF is unreachable: short enough that work resumes
# within seconds of SWF's return, long enough that a down endpoint is not hammered.
RETRY_BASE: Final = 0.2
RETRY_CAP: Final = 5.0


# Failures to reach SWF at all: botocore's and aiohttp's connection errors, sockets, and
# timeouts (asyncio.TimeoutError is the builtin TimeoutError, an OSError, on 3.11).
_UNREACHABLE = (
    ConnectionError,
    HTTPClientError,
    aiohttp.ClientConnectionError,
    aiohttp.ServerTimeoutError,
    asyncio.TimeoutError,
    OSError,
)


def is_transient(error: BaseException) -> bool:
    """True for a failure that passes: worth trying the same call again later.

    The error and its causes are read, so a botocore or aiohttp error wrapped in the
    SDK's own errors is recognised the same.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            if is_throttling(current):
                return True
            # A 5xx passes; any other answer is SWF refusing, and would refuse again.
            status = current.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return isinstance(status, int) and status >= 500
        if isinstance(current, _UNREACHABLE):
            return True
        current = current.__cause__ or current.__context__
    return False


def task_gone(error: BaseException) -> bool:
    """SWF says the task is no longer there (timed out, or its execution closed)."""
    return error_code(error) == "UnknownResourceFault"


class Outage:
    """Whether SWF is unreachable from this worker, logged once when it goes and comes."""

    def __init__(self, log: Any, endpoint: Callable[[], str | None]) -> None:
        self.log = log
        self._endpoint = endpoint
        self.since: float | None = None

    @property
    def endpoint(self) -> str:
        """Where SWF is reached: the URL, read when said (the client may open later)."""
        try:
            url = self._endpoint()
        except Exception:  # a closed client cannot say
            url = None
        return url or "the default SWF endpoint of the configured region"

    def failed(self, error: BaseException, while_doing: str) -> None:
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning(
                "swf_unreachable",
                endpoint=self.endpoint,
                during=while_doing,
                error=repr(error),
                hint="the worker keeps trying with backoff; nothing finished is lost",
            )

    def succeeded(self) -> None:
        if self.since is not None:
            seconds = round(time.monotonic() - self.since, 1)
            self.since = None
            self.log.warning("swf_reachable_again", endpoint=self.endpoint, after_seconds=seconds)


async def until_answered(
    call: Callable[[], Awaitable[T]],
    *,
    outage: Outage,
    task_log: Any,
    what: str,
) -> T:
    """``call()``, tried again for as long as it fails for a passing reason.

    Raises what does not pass, ``UnknownResourceFault`` (the task is gone) included.
    ``task_log`` (bound to the task's ids) says when an answer had to wait, and when it
    finally went through.
    """
    attempt = 0
    while True:
        try:
            result = await call()
        except Exception as error:
            if not is_transient(error):
                raise
            outage.failed(error, what)
            if attempt == 0:
                task_log.warning(f"{what}_retrying", error=repr(error), endpoint=outage.endpoint)
            await anyio.sleep(backoff_delay(attempt, RETRY_BASE, RETRY_CAP))
            attempt += 1
            continue
        outage.succeeded()
        if attempt:
            task_log.info(f"{what}_sent_after_retries", attempts=attempt + 1)
        return result
