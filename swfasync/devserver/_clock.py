"""Clocks: the dev server reads time only through one of these, so tests and the
time-skipping mode can move it."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """The dev server's source of time, in epoch seconds.

    ``sleep_until`` may return early (the scheduler re-checks), never late by more than the
    event loop's own latency. ``skip_to`` moves the clock forward; time-skipping uses it.
    """

    def now(self) -> float:
        """The current time in epoch seconds."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline`` (or earlier; callers re-check)."""
        ...

    def skip_to(self, deadline: float) -> None:
        """Move the clock forward to ``deadline`` (no-op if already past it)."""
        ...


class SystemClock:
    """Wall-clock time plus an offset that time-skipping advances."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self._skipped = asyncio.Event()

    def now(self) -> float:
        return time.time() + self.offset

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - self.now()
        if delay > 0:
            await asyncio.sleep(min(delay, 3600.0))

    def skip_to(self, deadline: float) -> None:
        gap = deadline - self.now()
        if gap > 0:
            self.offset += gap


class ManualClock:
    """A clock that moves only when told to; for tests.

    Example:
        clock = ManualClock(start=1_700_000_000.0)
        clock.advance(30)  # timers due in the next 30 s fire
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._moved: asyncio.Event | None = None

    def now(self) -> float:
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        while self._now < deadline:
            if self._moved is None:
                self._moved = asyncio.Event()
            await self._moved.wait()

    def skip_to(self, deadline: float) -> None:
        if deadline > self._now:
            self._now = deadline
            self._notify()

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        self._notify()

    def _notify(self) -> None:
        if self._moved is not None:
            self._moved.set()
            self._moved = None
