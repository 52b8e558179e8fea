"""Threads for workflow activations: a deadline per call, the thread abandoned if stuck.

Workflow code is the user's and may block (a ``time.sleep``, a lock, an endless loop). An
activation therefore runs on a thread of its own, and its caller stops waiting at the
deadline; the thread is abandoned, never interrupted (Python cannot), and later calls go
to other threads. The threads are long-lived and fed through a queue, so a decision pays
a queue hand-off, not a thread start, a capacity limiter and a cancel scope; they are
daemon threads, so an abandoned one cannot keep the process from exiting.

Most activations take well under a millisecond, so the caller first waits for the outcome
on a lock, for at most ``SYNC_WAIT`` seconds, and only then goes back to its event loop to
wait out the deadline. Waiting on the lock releases the GIL straight to the activation
thread and brings the outcome back without a wake-up of the loop: the hop to another
thread costs about what running inline would, while a stuck activation still holds the
loop up for ``SYNC_WAIT`` at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

T = TypeVar("T")

# How long a caller blocks its event loop waiting for a call before it waits on the loop.
SYNC_WAIT: Final = 0.005


class _Call(Generic[T]):
    """One call on its way through a thread, and how its outcome gets back."""

    __slots__ = ("args", "context", "finished", "fn", "future", "loop", "outcome", "returned")

    def __init__(
        self, fn: Callable[..., T], args: tuple[Any, ...], loop: asyncio.AbstractEventLoop
    ) -> None:
        self.context = contextvars.copy_context()
        self.fn = fn
        self.args = args
        self.loop = loop
        # Held until the outcome is in: the caller's first, synchronous, wait is on it.
        self.returned = threading.Lock()
        self.returned.acquire()
        self.finished = False
        self.outcome: tuple[bool, Any] = (False, None)
        # Set (under the threads' lock) once the caller waits on its loop instead.
        self.future: asyncio.Future[Any] | None = None


class ActivationThreads:
    """Runs blocking calls on daemon threads, started as needed and reused.

    A call that finds no idle thread starts one, so a thread stuck in an abandoned call
    never delays the next; the number of threads that are not stuck stays within the
    caller's own concurrency limit (the worker's decision slots). ``close()`` ends the
    idle threads and, as they finish, the busy ones.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._calls: queue.SimpleQueue[_Call[Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0
        self._closed = False

    async def run(self, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a thread, in a copy of the caller's context.

        Raises:
            TimeoutError: ``fn`` did not return within ``deadline`` seconds; its thread is
                abandoned and whatever it returns later is dropped.
        """
        loop = asyncio.get_running_loop()
        call: _Call[T] = _Call(fn, args, loop)
        self._submit(call)
        first_wait = min(SYNC_WAIT, deadline)
        if call.returned.acquire(timeout=first_wait):
            return _unwrap(call)
        with self._lock:
            if call.finished:  # it returned between the timeout and the lock
                return _unwrap(call)
            future: asyncio.Future[T] = loop.create_future()
            call.future = future
        expiry = loop.call_later(deadline - first_wait, _expire, future, deadline)
        try:
            return await future
        finally:
            expiry.cancel()

    def close(self) -> None:
        """End the idle threads now and the busy ones when their call returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._calls.put(None)

    def _submit(self, call: _Call[Any]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} threads are closed")
            # An idle thread is reserved for this call here, under the lock, so two calls
            # never count on the same idle thread.
            start = self._idle == 0
            if start:
                self._started += 1
                number = self._started
            else:
                self._idle -= 1
        self._calls.put(call)
        if start:
            threading.Thread(target=self._serve, name=f"{self.name}-{number}", daemon=True).start()

    def _serve(self) -> None:
        while self._run(self._calls.get()):
            pass

    def _run(self, call: _Call[Any] | None) -> bool:
        """Make one call and hand its outcome to the caller; False means stop."""
        if call is None:
            return False
        try:
            outcome: tuple[bool, Any] = (True, call.context.run(call.fn, *call.args))
        except BaseException as error:  # delivered to the caller, who decides
            outcome = (False, error)
        call.outcome = outcome
        # Idle before the caller hears back, so the caller's next call finds this thread.
        with self._lock:
            serving = not self._closed
            if serving:
                self._idle += 1
            call.finished = True
            future = call.future
        call.returned.release()
        if future is not None:  # the caller went back to its loop: wake it there
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                call.loop.call_soon_threadsafe(_deliver, future, outcome)
        return serving


def _unwrap(call: _Call[T]) -> T:
    returned, value = call.outcome
    if returned:
        result: T = value
        return result
    raise value


def _deliver(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():  # expired, or the caller was cancelled
        return
    returned, value = outcome
    if returned:
        future.set_result(value)
    else:
        future.set_exception(value)


def _expire(future: asyncio.Future[Any], deadline: float) -> None:
    if not future.done():
        future.set_exception(TimeoutError(f"the call did not return within {deadline} s"))
