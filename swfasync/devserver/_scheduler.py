"""One timer heap for every deadline in the server, driven by the replaceable clock.

Deadlines are registered per execution with ``sync``: the execution's current set of
deadlines replaces the previous one, so state code never cancels timers by hand. Stale
heap entries are skipped lazily. In time-skipping mode the clock jumps straight to the
earliest deadline whenever the backend's ``may_skip_to`` allows a jump to that instant
(the rule is the backend's; ``DevServer`` documents it).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Any

import structlog

from ._clock import Clock

Key = tuple[str, str, str]  # (kind, run_id, ident)

log = structlog.get_logger("swfasync.devserver.scheduler")


class Scheduler:
    def __init__(
        self,
        clock: Clock,
        fire: Callable[[Key], None],
        may_skip_to: Callable[[float], bool],
        time_skipping: bool,
    ) -> None:
        self.clock = clock
        self.time_skipping = time_skipping
        self._fire = fire
        self._may_skip_to = may_skip_to
        self._heap: list[tuple[float, int, Key]] = []
        self._live: dict[Key, float] = {}
        self._by_run: dict[str, set[Key]] = {}
        self._seq = itertools.count()
        self._wake = asyncio.Event()

    def sync(self, run_id: str, deadlines: dict[Key, float]) -> None:
        """Make ``deadlines`` the complete set of pending deadlines of ``run_id``."""
        old = self._by_run.pop(run_id, set())
        for key in old - deadlines.keys():
            self._live.pop(key, None)
        earliest = self._heap[0][0] if self._heap else None
        for key, when in deadlines.items():
            if self._live.get(key) != when:
                self._live[key] = when
                heapq.heappush(self._heap, (when, next(self._seq), key))
                if earliest is None or when < earliest:
                    earliest = when
                    self._wake.set()
        if deadlines:
            self._by_run[run_id] = set(deadlines)

    def poke(self) -> None:
        """Re-evaluate now (the clock moved, or state changed)."""
        self._wake.set()

    def state_changed(self) -> None:
        """A request or a firing changed state. In time-skipping mode the server may have
        fallen idle, so whether the clock may jump is decided again; otherwise only an
        earlier deadline concerns the timer loop, and ``sync`` wakes it for that."""
        if self.time_skipping:
            self._wake.set()

    def _prune(self) -> None:
        while self._heap and self._live.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)

    def next_deadline(self) -> float | None:
        self._prune()
        return self._heap[0][0] if self._heap else None

    def fire_due(self) -> int:
        """Fire every deadline at or before ``clock.now()``; return how many fired."""
        fired = 0
        while True:
            self._prune()
            if not self._heap or self._heap[0][0] > self.clock.now():
                return fired
            _when, _, key = heapq.heappop(self._heap)
            del self._live[key]
            keys = self._by_run.get(key[1])
            if keys is not None:
                keys.discard(key)
            try:
                self._fire(key)
            except Exception:
                log.exception("deadline_failed", key=key)
            fired += 1

    async def run(self) -> None:
        while True:
            self._wake.clear()
            self.fire_due()
            upcoming = self.next_deadline()
            if upcoming is not None and self.time_skipping and self._may_skip_to(upcoming):
                self.clock.skip_to(upcoming)
                # let request handlers run between jumps
                await asyncio.sleep(0)
                continue
            waiter = asyncio.ensure_future(self._wake.wait())
            tasks: set[asyncio.Future[Any]] = {waiter}
            if upcoming is not None:
                tasks.add(asyncio.ensure_future(self.clock.sleep_until(upcoming)))
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
