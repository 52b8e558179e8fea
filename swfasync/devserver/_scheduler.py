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

from .._log import get_logger
from ._clock import Clock

Key = tuple[str, str, str]  # (kind, run_id, ident)

log = get_logger("swfasync.devserver.scheduler")


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
        # Set by every wake-up; the loop waits on ``_waiter`` only when none came meanwhile.
        self._woken = False
        self._waiter: asyncio.Future[None] | None = None
        # The clock jumped: a sleep begun before the jump ends too late in real time.
        self._clock_moved = False

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
                    self._wake()
        if deadlines:
            self._by_run[run_id] = set(deadlines)

    def poke(self) -> None:
        """Re-evaluate now: the clock moved (or state changed)."""
        self._clock_moved = True
        self._wake()

    def state_changed(self) -> None:
        """A request or a firing changed state. In time-skipping mode the server may have
        fallen idle, so whether the clock may jump is decided again; otherwise only an
        earlier deadline concerns the timer loop, and ``sync`` wakes it for that."""
        if self.time_skipping:
            self._wake()

    def _wake(self) -> None:
        self._woken = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _slept(self, sleeper: asyncio.Task[None]) -> None:
        if not sleeper.cancelled():
            self._wake()

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
        loop = asyncio.get_running_loop()
        # One sleep until the earliest deadline, kept across wake-ups that leave that
        # deadline and the clock as they were (in time-skipping mode, every request).
        sleeper: asyncio.Task[None] | None = None
        sleeping_until: float | None = None
        try:
            while True:
                self._woken = False
                self.fire_due()
                upcoming = self.next_deadline()
                if upcoming is not None and self.time_skipping and self._may_skip_to(upcoming):
                    self.clock.skip_to(upcoming)
                    self._clock_moved = True
                    # let request handlers run between jumps
                    await asyncio.sleep(0)
                    continue
                if sleeper is not None and (
                    sleeper.done() or sleeping_until != upcoming or self._clock_moved
                ):
                    sleeper.cancel()
                    sleeper = None
                self._clock_moved = False
                if sleeper is None and upcoming is not None:
                    sleeper = loop.create_task(self.clock.sleep_until(upcoming))
                    sleeper.add_done_callback(self._slept)
                    sleeping_until = upcoming
                if self._woken:
                    continue
                self._waiter = loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
        finally:
            if sleeper is not None:
                sleeper.cancel()
                await asyncio.gather(sleeper, return_exceptions=True)
