"""WorkflowEnvironment and ActivityEnvironment: the dev server, a client and a worker in one
context manager; an activity run outside any worker with its heartbeats captured."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

import anyio

from .._client.client import Client
from .._engine import converter
from .._payloads.data_converter import DataConverter
from .._worker import context as _context
from .._worker.context import ActivityInfo
from .._worker.worker import Worker
from ..devserver import DevServer

if TYPE_CHECKING:
    from ..messaging import LocalMessaging

R = TypeVar("R")


class WorkflowEnvironment:
    """An in-process dev server with a client and (optionally) a running worker.

    Example::

        async with WorkflowEnvironment(workflows=[Hello], activities=[greet]) as env:
            handle = await env.client.start_workflow(Hello, "World", id="hello-1")
            assert await handle.result() == "Hello, World!"

    Args:
        workflows, activities: if any are given, a worker for them runs on ``task_list``.
        time_skipping: the server jumps the clock over time in which no task is scheduled
            or running, so durable sleeps of days take milliseconds; it never jumps onto
            the timeout of an execution that waits only for a signal (``DevServer``
            documents the rule). ``env.server.advance_clock(seconds)`` moves it on purpose.
        worker_options: extra keyword arguments for that ``Worker``.
        db_path: persist the server in SQLite (default: memory).
        messaging: also a submission queue, its dead-letter queue and a status topic on
            moto's server, as ``env.messaging`` (a ``swfasync.messaging.LocalMessaging``):
            True starts a moto server for this environment; an endpoint URL uses a running
            one (fresh names each time). Needs the ``swfasync[messaging]`` extra.
        raise_on_decision_failure: ``handle.result()`` on ``env.client`` raises
            ``WorkflowDecisionFailedError`` (with the workflow's traceback) as soon as a
            decision task fails, so a test of a broken workflow fails in seconds; False
            waits instead, as a production client does, e.g. to test deploying a fix.
        data_converter: how payloads are encoded (codecs, S3 offload, custom types: see
            :mod:`swfasync.converter`), for the client and the worker alike.
    """

    def __init__(
        self,
        *,
        workflows: Iterable[Any] = (),
        activities: Iterable[Any] = (),
        task_list: str = "default",
        domain: str = "default",
        time_skipping: bool = True,
        db_path: str | None = None,
        worker_options: dict[str, Any] | None = None,
        messaging: bool | str = False,
        raise_on_decision_failure: bool = True,
        data_converter: DataConverter | None = None,
    ) -> None:
        self.data_converter = data_converter
        self.workflows = list(workflows)
        self.activities = list(activities)
        self.task_list = task_list
        self.domain = domain
        self.time_skipping = time_skipping
        self.db_path = db_path
        self.worker_options = dict(worker_options or {})
        self._stack = AsyncExitStack()
        self._server: DevServer | None = None
        self._client: Client | None = None
        self.worker: Worker | None = None
        self._messaging_option = messaging
        self.raise_on_decision_failure = raise_on_decision_failure
        self.messaging: LocalMessaging | None = None

    @property
    def server(self) -> DevServer:
        if self._server is None:
            raise RuntimeError("the environment is not running")
        return self._server

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("the environment is not running")
        return self._client

    def new_worker(self, **options: Any) -> Worker:
        """A worker on this environment's client (not started: ``async with`` it)."""
        merged: dict[str, Any] = {
            "task_list": self.task_list,
            "workflows": self.workflows,
            "activities": self.activities,
            **self.worker_options,
        }
        merged.update(options)
        return Worker(self.client, **merged)

    async def __aenter__(self) -> WorkflowEnvironment:
        try:
            self._server = await self._stack.enter_async_context(
                DevServer(db_path=self.db_path, time_skipping=self.time_skipping)
            )
            self._client = await self._stack.enter_async_context(
                Client.local(
                    self._server.endpoint_url,
                    self.domain,
                    raise_on_decision_failure=self.raise_on_decision_failure,
                    data_converter=self.data_converter,
                )
            )
            await self._client.register_domain()
            if self._messaging_option:
                from ..messaging import LocalMessaging  # only when asked: an optional part

                endpoint = self._messaging_option
                self.messaging = await self._stack.enter_async_context(
                    LocalMessaging(endpoint if isinstance(endpoint, str) else None)
                )
            if self.workflows or self.activities:
                self.worker = await self._stack.enter_async_context(self.new_worker())
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()


class ActivityEnvironment:
    """Runs an activity function as a worker would, without SWF.

    Example::

        env = ActivityEnvironment()
        result = await env.run(resize, "photo.png")
        assert env.heartbeats == [(50,), (100,)]

    ``cancel()`` (from a heartbeat callback, another task or a thread) does what SWF's
    cancellation request does: ``activity.is_cancelled()`` turns true and an async
    activity is cancelled at its next ``await``.
    """

    def __init__(
        self,
        info: ActivityInfo | None = None,
        *,
        on_heartbeat: Callable[[tuple[Any, ...]], None] | None = None,
    ) -> None:
        self.info = info or ActivityInfo(
            task_token="test-task-token",
            activity_id="test-activity",
            activity_type="test",
            activity_version="1",
            workflow_id="test-workflow",
            run_id="test-run",
            domain="test",
            task_list="test",
            started_event_id=1,
            started_at=datetime.now(UTC),
        )
        self.on_heartbeat = on_heartbeat
        self.heartbeats: list[tuple[Any, ...]] = []
        # Set by cancel() from any thread and read by the activity from any other: a flag
        # is enough, as it only ever turns true.
        self._cancel_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # The task awaiting an async activity, and how many times cancel() cancelled it:
        # the worker's own way of interrupting an activity, taken back when it ends.
        self._host: asyncio.Task[Any] | None = None
        self._interrupts = 0

    def cancel(self) -> None:
        """Request cancellation of the running activity (thread-safe)."""
        self._cancel_requested = True
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._interrupt)

    def _interrupt(self) -> None:
        # A loop callback, never the activity's own task: the cancellation lands at the
        # await where the activity is suspended.
        if self._host is not None:
            self._interrupts += 1
            self._host.cancel()

    def _record(self, details: tuple[Any, ...]) -> None:
        self.heartbeats.append(details)
        if self.on_heartbeat is not None:
            self.on_heartbeat(details)

    @overload
    async def run(self, fn: Callable[..., Awaitable[R]], *args: Any) -> R: ...

    @overload
    async def run(self, fn: Callable[..., R], *args: Any) -> R: ...

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn(*args)`` in an activity context; sync functions run in a thread.

        A cancelled async activity that lets the cancellation through raises
        ``asyncio.CancelledError`` out of here, as it would end the task in a worker.
        """
        token = _context.current.set(_EnvironmentActivity(self))
        try:
            if not asyncio.iscoroutinefunction(fn):
                return await anyio.to_thread.run_sync(lambda: fn(*args))
            self._loop = asyncio.get_running_loop()
            self._host = host = asyncio.current_task()
            if self._cancel_requested:
                self._loop.call_soon(self._interrupt)
            try:
                return await fn(*args)
            finally:
                self._host = None
                interrupts, self._interrupts = self._interrupts, 0
                if host is not None:
                    for _ in range(interrupts):
                        host.uncancel()
        finally:
            _context.current.reset(token)


class _EnvironmentActivity:
    """The context an activity run by an ``ActivityEnvironment`` reaches: the environment's
    info, heartbeat record and cancellation flag."""

    def __init__(self, environment: ActivityEnvironment) -> None:
        self._environment = environment

    @property
    def info(self) -> ActivityInfo:
        return self._environment.info

    @property
    def cancel_requested(self) -> bool:
        return self._environment._cancel_requested

    def heartbeat(self, details: tuple[Any, ...]) -> None:
        if details:  # encoded as the worker would, for its errors
            converter.encode(list(details), "heartbeat_details")
        self._environment._record(details)
