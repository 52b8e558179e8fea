"""Task lists: per (kind, domain, task list) a priority queue of scheduled tasks and a FIFO
of waiting long-pollers. A task is handed to the first poller whose connection is still
open, the moment both exist; nothing polls in a loop."""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ._faults import LimitExceededFault
from ._state import Json

QueueKey = tuple[str, str, str]  # ("decision" | "activity", domain, task list)

MAX_POLLERS = 1000


@dataclass(order=True)
class QueuedTask:
    sort_key: tuple[int, int]  # (-priority, seq): higher priority first, then FIFO
    run_id: str = field(compare=False)
    ref: str = field(compare=False)  # activity id, or "" for a decision task
    scheduled_event_id: int = field(compare=False)


@dataclass(eq=False)
class Waiter:
    future: asyncio.Future[Json | None]
    alive: Callable[[], bool]
    take: Callable[[QueuedTask], Json]


class TaskQueues:
    def __init__(self, is_valid: Callable[[str, QueuedTask], bool]) -> None:
        self._is_valid = is_valid
        self._tasks: dict[QueueKey, list[QueuedTask]] = {}
        self._waiters: dict[QueueKey, deque[Waiter]] = {}
        self._dirty: set[QueueKey] = set()

    def push(self, key: QueueKey, task: QueuedTask) -> None:
        heapq.heappush(self._tasks.setdefault(key, []), task)
        self._dirty.add(key)

    def take(self, key: QueueKey) -> QueuedTask | None:
        heap = self._tasks.get(key)
        while heap:
            task = heapq.heappop(heap)
            if self._is_valid(key[0], task):
                return task
        return None

    def count(self, key: QueueKey) -> int:
        heap = self._tasks.get(key, [])
        live = [t for t in heap if self._is_valid(key[0], t)]
        if len(live) != len(heap):
            heapq.heapify(live)
            self._tasks[key] = live
        return len(live)

    def any_pending(self) -> bool:
        return any(self.count(key) for key in list(self._tasks))

    def add_waiter(self, key: QueueKey, waiter: Waiter) -> None:
        waiters = self._waiters.setdefault(key, deque())
        if len(waiters) >= MAX_POLLERS:
            raise LimitExceededFault(
                f"Too many pollers ({MAX_POLLERS}) on task list {key[2]} in domain {key[1]}"
            )
        waiters.append(waiter)

    def remove_waiter(self, key: QueueKey, waiter: Waiter) -> None:
        waiters = self._waiters.get(key)
        if waiters is not None and waiter in waiters:
            waiters.remove(waiter)

    def dispatch(self) -> None:
        """Hand queued tasks to waiting pollers on every list touched since last time."""
        while self._dirty:
            key = self._dirty.pop()
            waiters = self._waiters.get(key)
            while waiters:
                waiter = waiters[0]
                if waiter.future.done():
                    waiters.popleft()
                    continue
                if not waiter.alive():
                    # the poller hung up: never give it a task
                    waiters.popleft()
                    waiter.future.set_result(None)
                    continue
                task = self.take(key)
                if task is None:
                    break
                waiters.popleft()
                waiter.future.set_result(waiter.take(task))

    def close(self) -> None:
        for waiters in self._waiters.values():
            for waiter in waiters:
                if not waiter.future.done():
                    waiter.future.set_result(None)
            waiters.clear()
