"""DevServer: the local SWF endpoint, in-process."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from aiohttp import web

from .._log import get_logger
from ._backend import Backend, LambdaFn
from ._clock import Clock, SystemClock
from ._protocol import HostCheck, make_server
from ._store import Store

log = get_logger("swfasync.devserver")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any address


class DevServer:
    """A local, SWF-compatible endpoint, persisted in SQLite when given a file.

    Example:
        async with DevServer() as server:
            client = session.create_client("swf", endpoint_url=server.endpoint_url, ...)

    Time skipping moves the clock only over time in which nothing but the clock can make
    anything happen. The clock jumps to the earliest pending deadline when both hold:

    - the server is idle: no decision, activity or Lambda task is scheduled or running in
      any open execution (a worker could take it, or one holds it; an activity left to be
      completed by hand is a running task, so nothing is skipped while it is open);
    - the jump reaches no start-to-close timeout of an execution that waits for the
      outside world, that is one with no timer pending in itself or in an open child
      execution at any depth. Only a signal, a cancellation request or a termination can
      move such an execution on; skipping onto its timeout would decide that none comes.

    So a 30-day ``StartTimer`` fires at once, an execution sleeping past its own timeout
    times out at once, and an execution waiting only for a signal keeps its timeout in
    real time (and, while it is open, the clock does not jump past that deadline).
    ``advance_clock`` moves the clock on purpose, through any deadline.

    Args:
        host: interface to bind.
        port: TCP port; 0 picks a free one (read it back from ``endpoint_url``).
        db_path: SQLite file for persistence across restarts; None keeps state in memory.
        time_skipping: jump the clock over idle time, by the rule above.
        clock: the time source (``SystemClock`` by default, ``ManualClock`` in tests).
        long_poll_timeout: seconds a poll waits for a task before returning empty.
        allowed_hosts: Host header values answered besides the bound address and
            localhost (a name a proxy or container network uses for the server); ``"*"``
            answers every host. Other requests are refused, so a web page cannot reach
            the server through a DNS name of its own that resolves to this machine.

    The server accepts any credentials. Bound to an address other than loopback it warns
    once, when it starts, that anyone who can reach that address can use it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db_path: str | None = None,
        time_skipping: bool = False,
        clock: Clock | None = None,
        long_poll_timeout: float = 60.0,
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.db_path = db_path
        self.time_skipping = time_skipping
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.long_poll_timeout = long_poll_timeout
        self.allowed_hosts = tuple(allowed_hosts)
        self._lambdas: dict[str, LambdaFn] = {}
        self._backend: Backend | None = None
        self._runner: web.ServerRunner | None = None
        self._scheduler_task: asyncio.Task[None] | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` once started."""
        if self._runner is None:
            raise RuntimeError("the dev server is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("the dev server is not running")
        return self._backend

    def advance_clock(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward and fire every deadline that passes,
        execution timeouts included, whether or not time skipping is on."""
        if seconds < 0:
            raise ValueError(f"the clock cannot go backwards (seconds={seconds})")
        backend = self.backend
        self.clock.skip_to(self.clock.now() + seconds)
        backend.scheduler.fire_due()
        backend.scheduler.poke()

    def register_lambda(self, name: str, fn: LambdaFn) -> None:
        """Serve ``ScheduleLambdaFunction`` decisions for ``name`` with ``fn``.

        ``fn`` takes the decision's input string (or None) and returns the result string
        (or None); it may be a coroutine function. An exception becomes
        LambdaFunctionFailed with the exception's class name as the reason.
        """
        self._lambdas[name] = fn
        if self._backend is not None:
            self._backend.lambdas[name] = fn

    async def start(self) -> None:
        store = Store(self.db_path) if self.db_path is not None else None
        backend = Backend(store, self.clock, self.time_skipping)
        backend.lambdas.update(self._lambdas)
        self._backend = backend
        hosts = HostCheck(self.host, self.allowed_hosts)
        runner = web.ServerRunner(
            make_server(backend, self.long_poll_timeout, hosts), shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        addresses: list[Any] = list(runner.addresses)
        self.port = int(addresses[0][1])
        self._scheduler_task = asyncio.get_running_loop().create_task(backend.scheduler.run())
        log.info("dev_server_started", endpoint=self.endpoint_url, db=self.db_path)
        if not _is_loopback(self.host):
            log.warning(
                "dev_server_not_on_loopback",
                host=self.host,
                note="the dev server accepts any credentials: anyone who can reach this "
                "address can use it",
            )

    async def aclose(self) -> None:
        backend = self._backend
        if backend is not None:
            backend.queues.close()  # release long polls so the HTTP server can stop
        if self._scheduler_task is not None:
            self._scheduler_task.cancel()
            await asyncio.gather(self._scheduler_task, return_exceptions=True)
            self._scheduler_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if backend is not None:
            await backend.aclose()
            backend.close_store()
            self._backend = None

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
