"""Threads for workflow activations: a deadline per call, the thread abandoned if stuck.

Workflow code is the user's and may block (a ``time.sleep``, a lock, an endless loop). An
activation therefore runs on a thread of its own, and its caller stops waiting at the
deadline; the thread is abandoned, never interrupted (Python cannot), and later calls go
to other threads. The threads are long-lived and fed through a queue, so a decision pays
a queue hand-off, not a thread start; they are daemon threads, so an abandoned one cannot
keep the process from exiting.

The hand-off itself is the cost that matters: waking a sleeping thread can take a few
hundred microseconds when the other CPU is busy, more than most activations take. So calls
travel in batches: a call made while no batch is pending schedules a callback on the loop, the
calls made until it runs (this iteration of the loop and the next) join it, and the
callback hands them all to one thread, which runs them one after another, each in a copy
of its caller's context and with its own outcome for its own caller. Decision tasks that
arrive together pay one wake-up between them.

The event loop never waits for a thread: the dispatching callback hands the batch over
and returns, and the thread reports its outcomes through the loop, one wake-up for all
the outcomes that finish before the loop gets round to them.

Under the GIL the loop cannot run while an activation does, and a thread that wakes up
while the loop is busy takes the GIL the next time the loop releases it for a system call:
the loop then waits for the batch, and often for a core again. Where the system allows it
(Linux), the threads therefore run under ``SCHED_BATCH``: the same share of the CPU, but a
thread woken for a batch does not take the core of the thread that woke it (the loop's);
it starts on a free core, or when the loop goes idle. The setting is the thread's own, for
threads this module starts; nothing else in the process changes.

A call's deadline counts from when it starts on its thread, not from when it was made, so
a call is never charged for the calls queued before it in its batch. While a batch is
out, a timer on the loop follows the call in progress; once that call passes its deadline,
its caller gets :class:`CallTimeoutError` (a ``TimeoutError``) carrying the stack the
thread was stuck in, its thread is abandoned with it, and the calls of the batch that had
not started go to another thread as a new batch. A stuck call thus holds up the calls
behind it for its own deadline at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import linecache
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


class CallTimeoutError(TimeoutError):
    """A call did not return within its deadline; its thread is abandoned.

    Attributes:
        blocked_at: where the thread was when the deadline passed: the innermost line of
            the caller's own code (file, line and its source), then the innermost line
            overall when that is elsewhere (a lock's wait in ``threading``); empty when
            the thread had no Python frame to show.
        stack: the thread's stack at that moment, innermost last, without the frames of
            the machinery that runs the call (this module, asyncio, swfasync).
    """

    def __init__(self, deadline: float, blocked_at: str = "", stack: str = "") -> None:
        message = f"the call did not return within {deadline} s"
        if blocked_at:
            message += f"; blocked at {blocked_at}"
        super().__init__(message)
        self.deadline = deadline
        self.blocked_at = blocked_at
        self.stack = stack


class _Call:
    """One call, and where its outcome goes."""

    __slots__ = ("args", "cancelled", "context", "deadline", "fn", "future", "outcome")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        deadline: float,
        future: asyncio.Future[Any],
    ) -> None:
        self.context = contextvars.copy_context()
        self.fn = fn
        self.args = args
        self.deadline = deadline
        self.future = future
        # Set (under the threads' lock) when the caller stopped waiting: not started yet,
        # the call is skipped.
        self.cancelled = False
        self.outcome: tuple[bool, Any] = (False, None)


class _Batch:
    """Calls that one thread runs in order, and how far it has got."""

    __slots__ = (
        "abandoned",
        "calls",
        "delivered",
        "finished",
        "loop",
        "report_pending",
        "running_since",
        "started",
        "thread",
        "watchdog",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, calls: list[_Call]) -> None:
        self.loop = loop
        # Appended to on the loop's thread until the batch is dispatched; afterwards only
        # cut short, under the lock, when the batch is abandoned.
        self.calls = calls
        # The thread's progress, under the threads' lock: calls[:finished] are over (run
        # or skipped), calls[finished:started] is the one in progress, since
        # running_since (time.monotonic()).
        self.started = 0
        self.finished = 0
        self.running_since = 0.0
        # The ident of the thread running the batch, set when it takes it.
        self.thread: int | None = None
        # Under the lock: a report is on its way to the loop and will deliver every
        # outcome finished by then, so the thread need not send another.
        self.report_pending = False
        # Set under the lock when the call in progress passed its deadline.
        self.abandoned = False
        # Loop-side only: how many outcomes were handed to their callers, and the timer
        # following the call in progress.
        self.delivered = 0
        self.watchdog: asyncio.TimerHandle | None = None

    @property
    def shortest_deadline(self) -> float:
        return min(call.deadline for call in self.calls)

    @property
    def running(self) -> _Call | None:
        return self.calls[self.finished] if self.finished < self.started else None

    def start_next(self) -> _Call | None:
        """The next call to run, marked as started; None when the batch is over.

        Called under the threads' lock. Calls whose callers stopped waiting are skipped.
        """
        while self.started < len(self.calls):
            call = self.calls[self.started]
            self.started += 1
            if not call.cancelled:
                self.running_since = time.monotonic()
                return call
            # What its caller already got: its wait was cancelled.
            call.outcome = (False, asyncio.CancelledError())
            self.finished += 1
        return None


class ActivationThreads:
    """Runs blocking calls on daemon threads, started as needed and reused.

    A batch that finds no idle thread starts one, so a thread stuck in an abandoned call
    never delays the next; the number of threads that are not stuck stays within the
    callers' own concurrency limit (the worker's decision slots). One instance serves the
    event loop it is first used on. ``close()`` ends the idle threads and, as their batches
    end, the busy ones. ``around``, if given, makes a context manager that a thread enters
    around each batch it runs (the worker keeps the workflow guards in place with it).
    """

    def __init__(
        self, name: str, *, around: Callable[[], AbstractContextManager[Any]] | None = None
    ) -> None:
        self.name = name
        self._around = around
        self._batches: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # The batch gathering calls until its dispatch; touched on the loop's thread only.
        self._pending: _Batch | None = None

    async def run(self, deadline: float, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a thread, in a copy of the caller's context.

        Raises:
            CallTimeoutError: ``fn`` did not return within ``deadline`` seconds of
                starting; its thread is abandoned and whatever it returns later is
                dropped. The error says where the thread was stuck.
            ValueError: ``deadline`` is not a positive number of seconds.
            RuntimeError: the threads are closed, or serve another event loop.
        """
        if not deadline > 0:
            raise ValueError(f"deadline must be a positive number of seconds, got {deadline!r}")
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.name} threads are closed")
            if self._loop is not loop:
                if self._loop is not None:
                    raise RuntimeError(
                        f"{self.name} threads serve the event loop they were first used on"
                    )
                self._loop = loop
        future: asyncio.Future[T] = loop.create_future()
        call = _Call(fn, args, deadline, future)
        batch = self._pending
        if batch is None:
            batch = self._pending = _Batch(loop, [call])
            loop.call_soon(self._dispatch_soon, batch)
        else:
            batch.calls.append(call)
        try:
            return await future
        except asyncio.CancelledError:
            with self._lock:
                call.cancelled = True
            raise

    def close(self) -> None:
        """End the idle threads now and the busy ones when their batch ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._batches.put(None)

    def _dispatch_soon(self, batch: _Batch) -> None:
        # Calls that come together reach run() an iteration or so apart (the awaits on
        # their way there vary): dispatching one iteration later lets them share a batch.
        batch.loop.call_soon(self._dispatch, batch)

    def _dispatch(self, batch: _Batch) -> None:
        """Hand ``batch`` to a thread; its outcomes come back through the loop."""
        if batch is self._pending:
            self._pending = None
        with self._lock:
            # An idle thread is reserved for this batch here, under the lock, so two
            # batches never count on the same idle thread. Calls accepted before close()
            # still run: their thread ends after them.
            start = self._idle == 0
            if start:
                self._started += 1
                number = self._started
            else:
                self._idle -= 1
        self._batches.put(batch)
        if start:
            threading.Thread(target=self._serve, name=f"{self.name}-{number}", daemon=True).start()
        self._watch(batch)

    def _watch(self, batch: _Batch) -> None:
        """Deliver the outcomes that came in and time the call in progress.

        Runs on the loop: at dispatch, whenever the thread reports outcomes, and when the
        call in progress may have passed its deadline.
        """
        now = time.monotonic()
        expired = False
        rest: list[_Call] = []
        stuck: FrameType | None = None
        with self._lock:
            batch.report_pending = False
            if batch.abandoned:  # a report sent before the batch was abandoned
                return
            finished = batch.calls[batch.delivered : batch.finished]
            batch.delivered = batch.finished
            running = batch.running
            check_at: float | None = None
            if running is not None:
                expiry = batch.running_since + running.deadline
                if now >= expiry:
                    expired = batch.abandoned = True
                    if batch.thread is not None:
                        stuck = sys._current_frames().get(batch.thread)
                    rest = batch.calls[batch.started :]
                    del batch.calls[batch.started :]
                else:
                    check_at = expiry
            elif batch.started < len(batch.calls):
                # The next call has not started yet: it cannot expire before this.
                check_at = now + batch.shortest_deadline
        for call in finished:
            _deliver(call.future, call.outcome)
        if batch.watchdog is not None:
            batch.watchdog.cancel()
            batch.watchdog = None
        if check_at is not None:
            batch.watchdog = batch.loop.call_later(check_at - now, self._watch, batch)
        elif expired:
            assert running is not None
            _expire(running.future, running.deadline, stuck)
            if rest:
                self._dispatch(_Batch(batch.loop, rest))

    def _serve(self) -> None:
        _yield_on_wake_up()
        while True:
            batch = self._batches.get()
            if batch is None or not self._run(batch):
                return

    def _run(self, batch: _Batch) -> bool:
        """Run the batch's calls, inside ``around`` if given; False means stop."""
        batch.thread = threading.get_ident()
        if self._around is None:
            return self._run_calls(batch)
        with self._around():
            return self._run_calls(batch)

    def _run_calls(self, batch: _Batch) -> bool:
        """Make the batch's calls and hand their outcomes back; False means stop."""
        done: _Call | None = None
        outcome: tuple[bool, Any] = (False, None)
        while True:
            with self._lock:
                if done is not None:
                    done.outcome = outcome
                    batch.finished += 1
                call = batch.start_next()
                if call is None:
                    # Idle before the callers hear back, so their next calls find this
                    # thread.
                    serving = not self._closed
                    if serving:
                        self._idle += 1
                report = done is not None and not batch.abandoned and not batch.report_pending
                if report:
                    batch.report_pending = True
            if report:  # the outcome goes through the loop: wake it there
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    batch.loop.call_soon_threadsafe(self._watch, batch)
            if call is None:
                return serving
            try:
                outcome = (True, call.context.run(call.fn, *call.args))
            except BaseException as error:  # delivered to the caller, who decides
                outcome = (False, error)
            done = call


def _yield_on_wake_up() -> None:
    """Put the calling thread under ``SCHED_BATCH`` where there is one (Linux)."""
    set_policy = getattr(os, "sched_setscheduler", None)
    batch = getattr(os, "SCHED_BATCH", None)
    if set_policy is None or batch is None:
        return
    with contextlib.suppress(OSError):  # refused (a seccomp filter): the default policy
        set_policy(0, batch, os.sched_param(0))


def _deliver(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():  # expired, or the caller was cancelled
        return
    returned, value = outcome
    if returned:
        future.set_result(value)
    elif isinstance(value, StopIteration):
        # A future refuses it; a coroutine raising it would raise this instead.
        error = RuntimeError("the call raised StopIteration")
        error.__cause__ = value
        future.set_exception(error)
    else:
        future.set_exception(value)


def _expire(future: asyncio.Future[Any], deadline: float, stuck: FrameType | None) -> None:
    if not future.done():
        blocked_at, stack = _where(stuck)
        future.set_exception(CallTimeoutError(deadline, blocked_at, stack))


# Frames of the machinery that runs a call, left out of a stuck call's stack.
_MACHINERY = (
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,  # swfasync
    os.path.dirname(asyncio.__file__) + os.sep,
    os.path.abspath(threading.__file__),
    os.path.abspath(contextlib.__file__),
)


def _where(frame: FrameType | None) -> tuple[str, str]:
    """(where the frame's thread is blocked, its stack without the machinery's frames)."""
    frames: list[FrameType] = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    frames.reverse()  # outermost first, as tracebacks print
    own = [f for f in frames if not os.path.abspath(f.f_code.co_filename).startswith(_MACHINERY)]
    if not frames:
        return "", ""
    innermost = frames[-1]
    blocked_at = _line(own[-1]) if own else _line(innermost)
    if own and own[-1] is not innermost:
        blocked_at += f", in {_line(innermost)}"
    stack = "".join(
        f'  File "{f.f_code.co_filename}", line {f.f_lineno}, in {f.f_code.co_name}\n'
        f"    {linecache.getline(f.f_code.co_filename, f.f_lineno).strip()}\n"
        for f in own or frames
    )
    return blocked_at, stack


def _line(frame: FrameType) -> str:
    code = frame.f_code
    source = linecache.getline(code.co_filename, frame.f_lineno).strip()
    where = f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"
    return f"{where}: {source}" if source else where
