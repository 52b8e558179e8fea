"""The deterministic event loop that workflow code runs on.

It implements just what coroutines, tasks and futures need: ``call_soon`` runs callbacks in
FIFO order, and ``call_later``/``call_at`` become durable SWF timers owned by the workflow
instance (so ``asyncio.sleep``, ``asyncio.wait_for`` and ``asyncio.timeout`` are replayed
from history). ``time()`` is workflow time. Every operation that would reach outside the
workflow — executors, sockets, subprocesses, signals — raises ``RestrictedOperationError``.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, TypeVarTuple

from .._log import get_logger
from ..exceptions import RestrictedOperationError

if TYPE_CHECKING:
    from asyncio.events import _TaskFactory

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
log = get_logger("swfasync.engine")


class TimerOwner(Protocol):
    """What the loop needs from the workflow instance that owns it."""

    def workflow_time(self) -> float: ...

    def schedule_timer(self, handle: asyncio.TimerHandle, delay: float) -> None: ...

    def cancel_timer(self, handle: asyncio.TimerHandle) -> None: ...

    def report_loop_error(self, context: dict[str, Any]) -> None: ...


class _ReadyHandle(asyncio.Handle):
    """``asyncio.Handle`` without its per-call debug check: the loop makes one for every
    task step and future callback, and is never in debug mode."""

    __slots__ = ()

    def __init__(
        self,
        callback: Callable[..., object],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None,
    ) -> None:
        self._callback = callback
        self._args = args
        self._loop = loop
        self._context = context if context is not None else contextvars.copy_context()
        self._cancelled = False
        self._repr = None
        self._source_traceback = None


class WorkflowEventLoop(asyncio.AbstractEventLoop):
    """A single-threaded, replay-safe loop; driven by ``run_until_idle``."""

    def __init__(self, owner: TimerOwner) -> None:
        self._owner = owner
        self._ready: deque[asyncio.Handle] = deque()
        self._running = False
        self._closed = False

    # -- what coroutines and tasks need -------------------------------------------------

    def time(self) -> float:
        return self._owner.workflow_time()

    def call_soon(
        self,
        callback: Callable[[*Ts], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        handle = _ReadyHandle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_later(
        self,
        delay: float,
        callback: Callable[[*Ts], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        when = self.time() + max(delay, 0.0)
        handle = asyncio.TimerHandle(when, callback, args, self, context)
        if delay <= 0:
            self._ready.append(handle)
            return handle
        handle._scheduled = True  # type: ignore[attr-defined]  # cancel() then notifies us
        self._owner.schedule_timer(handle, delay)
        return handle

    def call_at(
        self,
        when: float,
        callback: Callable[[*Ts], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        return self.call_later(when - self.time(), callback, *args, context=context)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        self._owner.cancel_timer(handle)

    def fire_timer(self, handle: asyncio.TimerHandle) -> None:
        """Run a timer's callback on the next pass (its TimerFired event arrived)."""
        handle._scheduled = False  # type: ignore[attr-defined]
        if not handle.cancelled():
            self._ready.append(handle)

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(
        self,
        coro: Coroutine[Any, Any, T] | Generator[Any, None, T],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[T]:
        return asyncio.Task(coro, loop=self, name=name, context=context)

    def get_debug(self) -> bool:
        return False

    def is_running(self) -> bool:
        return self._running

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._ready.clear()
        self._closed = True

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        self._owner.report_loop_error(context)

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        self._owner.report_loop_error(context)

    def get_exception_handler(self) -> None:
        return None

    def get_task_factory(self) -> _TaskFactory | None:
        return None

    # -- driving ------------------------------------------------------------------------

    def run_until_idle(self) -> None:
        """Run ready callbacks, in order, until none is left."""
        self._running = True
        ready = self._ready
        next_ready = ready.popleft
        try:
            while ready:
                handle = next_ready()
                if handle._cancelled:
                    continue
                # What Handle._run does, inlined: every task step and future callback of
                # a replay passes here.
                try:
                    handle._context.run(handle._callback, *handle._args)  # type: ignore[attr-defined]
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as error:
                    self.call_exception_handler(
                        {
                            "message": f"Exception in callback {handle._callback!r}",  # type: ignore[attr-defined]
                            "exception": error,
                            "handle": handle,
                        }
                    )
        finally:
            self._running = False

    @property
    def has_ready(self) -> bool:
        return bool(self._ready)


def _restricted(name: str, instead: str) -> Callable[..., Any]:
    def refuse(self: WorkflowEventLoop, *args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if asyncio.iscoroutine(arg):
                arg.close()  # don't leave a never-awaited coroutine behind
        raise RestrictedOperationError(
            f"loop.{name}() is not available to workflow code; {instead}"
        )

    refuse.__name__ = name
    return refuse


_IO = "do I/O in an activity"
for _name, _instead in {
    "run_in_executor": "run blocking code in an activity",
    "set_default_executor": "run blocking code in an activity",
    "getaddrinfo": _IO,
    "getnameinfo": _IO,
    "create_connection": _IO,
    "create_server": _IO,
    "create_unix_connection": _IO,
    "create_unix_server": _IO,
    "create_datagram_endpoint": _IO,
    "connect_accepted_socket": _IO,
    "connect_read_pipe": _IO,
    "connect_write_pipe": _IO,
    "sendfile": _IO,
    "start_tls": _IO,
    "sock_recv": _IO,
    "sock_recv_into": _IO,
    "sock_recvfrom": _IO,
    "sock_recvfrom_into": _IO,
    "sock_sendall": _IO,
    "sock_sendto": _IO,
    "sock_connect": _IO,
    "sock_accept": _IO,
    "sock_sendfile": _IO,
    "add_reader": _IO,
    "remove_reader": _IO,
    "add_writer": _IO,
    "remove_writer": _IO,
    "subprocess_exec": "run processes in an activity",
    "subprocess_shell": "run processes in an activity",
    "add_signal_handler": "use @workflow.signal for SWF signals",
    "remove_signal_handler": "use @workflow.signal for SWF signals",
    "run_forever": "the worker drives the workflow loop",
    "run_until_complete": "the worker drives the workflow loop",
    "stop": "the worker drives the workflow loop",
    "shutdown_asyncgens": "the worker drives the workflow loop",
    "shutdown_default_executor": "the worker drives the workflow loop",
    "set_task_factory": "workflow tasks are plain asyncio tasks",
    "set_exception_handler": "workflow errors are handled by the engine",
}.items():
    setattr(WorkflowEventLoop, _name, _restricted(_name, _instead))
