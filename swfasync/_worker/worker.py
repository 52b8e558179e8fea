"""Worker: pollers, capacity, shutdown; the decision and activity paths live beside it."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import msgspec

from .._client.client import Client
from .._client.connection import backoff_delay, is_throttling
from .._client.transport import SwfTransport, open_transport
from .._engine import sandbox
from .._engine.definitions import activity_definition
from .._engine.instance import ActivationResult, WorkflowTaskError
from .._engine.task_failures import STACK_NOTE
from .._log import get_logger
from .._payloads.data_converter import DataConverter
from .._wire import api
from .._wire.common import TaskList
from ..exceptions import (
    NondeterminismError,
    SwfAsyncError,
    SwfValidationError,
    UnknownTypeError,
    WorkflowDeadlockError,
)
from .activation_threads import ActivationThreads, CallTimeoutError
from .activities import ActivityTaskRunner, poll_activity_task
from .decisions import (
    DecisionTask,
    DecisionTaskHandler,
    closes_run,
    fetch_full_history,
    poll_decision_task,
)
from .outages import RETRY_BASE, RETRY_CAP, Outage, is_transient, task_gone, until_answered

log = get_logger("swfasync.worker")


class Worker:
    """Polls one task list for decision and activity tasks and runs them.

    Embedded in an application::

        async with Client.local(url, "orders") as client:
            async with Worker(client, task_list="orders", workflows=[Order],
                              activities=[charge]):
                ...  # the worker runs until the block ends, then shuts down gracefully

    or inside the application's own task group: ``tg.start_soon(worker.run)`` and later
    ``worker.shutdown()``. The worker runs in a task of its own, so the block may be left
    from another task than the one that entered it (a pytest fixture's teardown, aiohttp's
    ``cleanup_ctx``, a FastAPI lifespan), and it never blocks the event loop: workflow
    code runs on threads of its own, under the determinism guards, which are in place
    only while it runs.

    While SWF is unreachable the worker waits it out: registration, polls and heartbeats
    are tried again with backoff (a ``swf_unreachable`` warning naming the endpoint, then
    ``swf_reachable_again``), and an answer to a finished task is tried again until SWF
    takes it or says the task is gone.

    Args:
        client: an open ``Client``; the worker uses its domain and connection.
        task_list: the task list polled for both decisions and activities.
        workflows, activities: ``@workflow.defn`` / ``@activity.defn`` objects.
        decision_pollers, activity_pollers: concurrent long polls of each kind.
        max_concurrent_decisions, max_concurrent_activities: running tasks at most; a
            poller waits for a free slot before it polls, so it never takes a task it
            cannot start.
        max_activity_threads: threads for sync activities.
        deadlock_timeout: seconds an activation may take before it is abandoned (its
            decision task is left to time out and is retried).
        graceful_shutdown_timeout: seconds running tasks get to finish on shutdown; after
            that, activities are abandoned unanswered (SWF's timeouts hand them back).
        max_heartbeat_interval: the most seconds between two heartbeats sent to SWF (the
            interval is also capped at 0.8 x the activity's heartbeat timeout).
        max_cached_workflows, max_cached_bytes: live workflow instances kept for
            incremental decisions, at most this many and about this much estimated memory
            (least recently used evicted first); 0 workflows turns caching off, so every
            decision replays the full history.
        sticky_task_list: send each run's next decision task to this process's own task
            list (``<task_list>-sticky-<random>``), polled with
            ``startAtPreviousStartedEvent``, so the process holding the run decides it from
            the history's tail. A sticky task not started within
            ``sticky_schedule_to_start_timeout`` seconds (the process died, or is busy) is
            handed back by SWF to ``task_list``, where any worker replays the full history.
        workflow_failure_exception_types: exception types that fail the workflow execution
            when workflow code raises them (or, for ``NondeterminismError``, when replay
            finds one), instead of failing only the decision task.
        decision_retry_initial, decision_retry_maximum: a decision task whose workflow
            code fails is answered with a record of the failure (read by
            ``WorkflowHandle.describe()``) and retried after ``decision_retry_initial``
            seconds, doubling with each consecutive failure up to
            ``decision_retry_maximum``; deploying fixed code recovers the execution.
        register: register the domain and every type at start (idempotent).
        identity: shown in SWF's history; default ``host:pid``.
        fast_transport: send the hot calls (polls, answers, heartbeats, history pages)
            through :class:`~swfasync._client.fast_transport.FastSwfTransport`, a lean
            signed-JSON path over aiohttp that sends as the client's aiobotocore client
            would (endpoint, proxies, CA bundle, client certificate, timeouts, limits,
            credentials); where the client is configured with something it cannot honour,
            one warning names the setting and the calls go through aiobotocore. False
            sends them through the aiobotocore client like every other call.
        data_converter: how payloads are encoded and decoded (default: the client's; see
            :mod:`swfasync.converter`). Codecs are applied around each activation: the
            history's payloads are decoded before workflow code runs, and the decisions'
            encoded after it, their size checked against SWF's limits then.
    """

    def __init__(
        self,
        client: Client,
        *,
        task_list: str,
        workflows: Iterable[Any] = (),
        activities: Iterable[Any] = (),
        decision_pollers: int = 2,
        activity_pollers: int = 2,
        max_concurrent_decisions: int = 10,
        max_concurrent_activities: int = 100,
        max_activity_threads: int = 20,
        deadlock_timeout: float = 2.0,
        graceful_shutdown_timeout: float = 10.0,
        max_heartbeat_interval: float = 3.0,
        max_cached_workflows: int = 500,
        max_cached_bytes: int = 256 * 1024 * 1024,
        sticky_task_list: bool = True,
        sticky_schedule_to_start_timeout: int = 5,
        workflow_failure_exception_types: Iterable[type[BaseException]] = (),
        decision_retry_initial: float = 1.0,
        decision_retry_maximum: float = 600.0,
        register: bool = True,
        identity: str | None = None,
        fast_transport: bool = True,
        data_converter: DataConverter | None = None,
    ) -> None:
        self.client = client
        self.data_converter = data_converter or client.data_converter
        self.task_list = task_list
        self.workflows = list(workflows)
        self.activities = list(activities)
        self.decision_pollers = decision_pollers if self.workflows else 0
        self.activity_pollers = activity_pollers if self.activities else 0
        self.deadlock_timeout = deadlock_timeout
        self.graceful_shutdown_timeout = graceful_shutdown_timeout
        self.register = register
        self.fast_transport = fast_transport
        # The hot calls' target while the worker runs: the client's aiobotocore client or a
        # FastSwfTransport over its connection (the same answers and errors).
        self._swf: SwfTransport | None = None
        self.identity = identity or f"{socket.gethostname()}:{os.getpid()}"
        self.handler = DecisionTaskHandler(
            self.workflows,
            domain=client.domain,
            max_cached=max_cached_workflows,
            max_cached_bytes=max_cached_bytes,
            failure_exception_types=workflow_failure_exception_types,
            decision_retry_initial=decision_retry_initial,
            decision_retry_maximum=decision_retry_maximum,
            identity=self.identity,
            activity_task_list=task_list if self.activities else None,
            activities=self.activities,
            payload_converter=self.data_converter.values,
        )
        # SWF task list names allow no ':', '/' or '|'; a random suffix keeps a restarted
        # process from inheriting tasks meant for state it no longer holds.
        self.sticky_task_list = (
            f"{task_list}-sticky-{uuid.uuid4().hex[:16]}"
            if sticky_task_list and max_cached_workflows > 0 and self.workflows
            else None
        )
        self.sticky_schedule_to_start_timeout = sticky_schedule_to_start_timeout
        self._decision_slots = anyio.Semaphore(max_concurrent_decisions)
        self._activity_slots = anyio.Semaphore(max_concurrent_activities)
        # Activations get their own threads while the worker runs, so a stuck one cannot
        # starve sync activities; the decision slots bound how many run at once.
        self._activation_threads: ActivationThreads | None = None
        self._activity_threads = anyio.CapacityLimiter(max_activity_threads)
        self._max_heartbeat_interval = max_heartbeat_interval
        self._stop = anyio.Event()
        self._registering: anyio.CancelScope | None = None
        self._running = 0
        self._idle = anyio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._outage = Outage(self.log_base(client, task_list), lambda: _endpoint_of(client))
        self.completed_decisions = 0
        self.completed_activities = 0
        self.log = self.log_base(client, task_list)

    @staticmethod
    def log_base(client: Client, task_list: str) -> Any:
        return log.bind(domain=client.domain, task_list=task_list)

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Worker:
        """Start the worker in a task of its own; return once it polls.

        The worker's task belongs to the worker, not to the task that enters it, so the
        block may be left from another task (a pytest fixture's teardown, aiohttp's
        ``cleanup_ctx``, an application's shutdown hook). Waits for registration, which
        keeps trying while SWF is unreachable.
        """
        if self._runner is not None:
            raise RuntimeError("the worker is running already")
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()
        self._runner = runner = loop.create_task(
            self._run_owned(started), name=f"swfasync-worker:{self.task_list}"
        )
        try:
            await asyncio.shield(started)
        except BaseException:
            # Cancelled while starting, or the start failed: stop and wait for the task.
            self.shutdown()
            self._runner = None
            with anyio.CancelScope(shield=True):
                await asyncio.wait([runner])
            if not runner.cancelled() and runner.exception() is not None:
                raise runner.exception() from None  # type: ignore[misc]
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut down gracefully (from any task) and wait until the worker has stopped.

        Running tasks get ``graceful_shutdown_timeout`` seconds; the wait is shielded
        from the caller's cancellation, so a cancelled application still drains its
        worker. An error that ended the worker is raised here.
        """
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self.shutdown()
        with anyio.CancelScope(shield=True):
            await asyncio.wait([runner])
        if not runner.cancelled() and runner.exception() is not None and exc is None:
            raise runner.exception() from None  # type: ignore[misc]

    async def _run_owned(self, started: asyncio.Future[None]) -> None:
        status = _StartedFuture(started)
        try:
            await self.run(task_status=status)
        except BaseException as error:
            if not started.done():
                if isinstance(error, Exception):
                    started.set_exception(error)
                else:
                    started.cancel()
            elif isinstance(error, Exception):  # said now: the exit may be far off
                self.log.error("worker_failed", error=repr(error), exc_info=error)
            raise
        finally:
            if not started.done():  # shut down before it began to poll
                started.set_result(None)

    def shutdown(self) -> None:
        """Stop polling; running tasks get the grace period to finish. Returns at once.

        Callable from any task of the worker's event loop, before, during or after start.
        """
        self._stop.set()
        if self._registering is not None:
            self._registering.cancel()

    def replace_workflows(self, workflows: Iterable[Any]) -> None:
        """Deploy new workflow code into the running worker (drops cached instances)."""
        self.workflows = list(workflows)
        self.handler.replace_workflows(self.workflows)

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Register, poll until ``shutdown()``, then drain within the grace period.

        While SWF is unreachable, registration and polls are tried again with backoff
        (one warning naming the endpoint), so a worker started during an outage starts
        working when SWF returns. ``shutdown()`` ends the wait.
        """
        if self.register and not await self._register_until_stopped():
            task_status.started()
            self.log.info("worker_stopped")
            return
        async with self._hot_calls() as swf:
            self._swf = swf
            # Each thread keeps the workflow guards in place around a batch of
            # activations, not around each one.
            self._activation_threads = ActivationThreads("swfasync-activation", around=sandbox.held)
            try:
                await self._serve(swf, task_status)
            finally:
                self._activation_threads.close()
                self._swf = self._activation_threads = None
        self.log.info("worker_stopped")

    async def _register_until_stopped(self) -> bool:
        """Register, trying again while SWF is unreachable; False if stopped first."""
        attempt = 0
        while not self._stop.is_set():
            try:
                with anyio.CancelScope() as scope:
                    self._registering = scope
                    await self.client.register(
                        workflows=self.workflows,
                        activities=self.activities,
                        task_list=self.task_list,
                    )
            except Exception as error:
                if not is_transient(error):
                    raise
                self._outage.failed(error, "registration")
                with anyio.move_on_after(backoff_delay(attempt, RETRY_BASE, RETRY_CAP)):
                    await self._stop.wait()
                attempt += 1
                continue
            finally:
                self._registering = None
            if scope.cancelled_caught:
                return False
            self._outage.succeeded()
            return True
        return False

    @asynccontextmanager
    async def _hot_calls(self) -> AsyncIterator[SwfTransport]:
        async with open_transport(self.client.raw, fast=self.fast_transport) as transport:
            yield transport

    def _hot(self) -> SwfTransport:
        """The transport of the hot calls while the worker runs."""
        if self._swf is None:
            raise RuntimeError("the worker is not running")
        return self._swf

    async def _serve(self, swf: SwfTransport, task_status: anyio.abc.TaskStatus[None]) -> None:
        async with anyio.create_task_group() as tasks:
            runner = ActivityTaskRunner(
                swf,
                [activity_definition(a) for a in self.activities],
                domain=self.client.domain,
                task_list=self.task_list,
                thread_limiter=self._activity_threads,
                max_heartbeat_interval=self._max_heartbeat_interval,
                background=tasks,
                outage=self._outage,
                data_converter=self.data_converter,
            )
            self.log.info(
                "worker_started",
                workflows=[d.name for d in self.handler.definitions],
                activities=sorted(f"{n}/{v}" for n, v in runner.definitions),
                identity=self.identity,
            )
            async with anyio.create_task_group() as pollers:
                for index in range(self.decision_pollers):
                    pollers.start_soon(
                        self._poll_loop,
                        "decision",
                        self._decision_slots,
                        functools.partial(self._poll_decision, self.task_list, sticky=False),
                        tasks,
                        name=f"decision-poller-{index}",
                    )
                    if self.sticky_task_list is not None:
                        pollers.start_soon(
                            self._poll_loop,
                            "decision",
                            self._decision_slots,
                            functools.partial(
                                self._poll_decision, self.sticky_task_list, sticky=True
                            ),
                            tasks,
                            name=f"sticky-decision-poller-{index}",
                        )
                for index in range(self.activity_pollers):
                    pollers.start_soon(
                        self._poll_loop,
                        "activity",
                        self._activity_slots,
                        lambda: self._poll_activity(runner),
                        tasks,
                        name=f"activity-poller-{index}",
                    )
                task_status.started()
                await self._stop.wait()
                # A poll cancelled in flight takes no task: SWF (and the dev server) hand
                # a task only to a poller whose connection is still open.
                pollers.cancel_scope.cancel()
            await self._drain(tasks)

    async def _drain(self, tasks: anyio.abc.TaskGroup) -> None:
        if self._running:
            self.log.info("worker_draining", running=self._running)
        with anyio.move_on_after(self.graceful_shutdown_timeout):
            while self._running:
                self._idle = anyio.Event()
                await self._idle.wait()
        if self._running:
            self.log.warning("worker_abandoning_tasks", running=self._running)
            tasks.cancel_scope.cancel()

    # -- polling --------------------------------------------------------------------------------

    async def _poll_loop(
        self,
        kind: str,
        slots: anyio.Semaphore,
        poll: Callable[[], Awaitable[Callable[[], Awaitable[None]] | None]],
        tasks: anyio.abc.TaskGroup,
    ) -> None:
        attempt = 0
        while True:
            await slots.acquire()  # a slot first: never take a task that cannot start
            try:
                job = await poll()
            except Exception as error:
                slots.release()
                # Throttling is expected under load, an outage is waited out (one warning
                # for the worker), anything else is logged; a poller never dies of it.
                if is_throttling(error):
                    self.log.info(f"{kind}_poll_throttled")
                elif is_transient(error):
                    self._outage.failed(error, f"{kind} poll")
                else:
                    self.log.error(f"{kind}_poll_failed", error=repr(error))
                await anyio.sleep(backoff_delay(attempt, RETRY_BASE, RETRY_CAP))
                attempt += 1
                continue
            except BaseException:
                slots.release()
                raise
            if attempt:
                self._outage.succeeded()
            attempt = 0
            if job is None:
                slots.release()
                continue
            self._running += 1
            tasks.start_soon(self._run_job, job, slots)

    async def _run_job(self, job: Callable[[], Awaitable[None]], slots: anyio.Semaphore) -> None:
        try:
            await job()
        except Exception as error:
            self.log.error("task_handling_failed", error=repr(error))
        finally:
            self._running -= 1
            slots.release()
            if not self._running:
                self._idle.set()

    async def _poll_activity(
        self, runner: ActivityTaskRunner
    ) -> Callable[[], Awaitable[None]] | None:
        task = await poll_activity_task(
            self._hot(),
            domain=self.client.domain,
            task_list=self.task_list,
            identity=self.identity,
        )
        if task is None:
            return None

        async def job() -> None:
            await runner.run(task)
            self.completed_activities += 1

        return job

    async def _poll_decision(
        self, task_list: str, *, sticky: bool
    ) -> Callable[[], Awaitable[None]] | None:
        task = await poll_decision_task(
            self._hot(),
            domain=self.client.domain,
            task_list=task_list,
            identity=self.identity,
            start_at_previous_started_event=sticky,
        )
        if task is None:
            return None

        async def job() -> None:
            await self._decide(task)

        return job

    # -- decisions ------------------------------------------------------------------------------

    def _deadlock(self, stuck: CallTimeoutError) -> WorkflowDeadlockError:
        """The error recorded for an activation stuck past ``deadlock_timeout``."""
        where = f"; blocked at {stuck.blocked_at}" if stuck.blocked_at else ""
        error = WorkflowDeadlockError(
            f"workflow code did not return within deadlock_timeout={self.deadlock_timeout} s"
            f"{where}",
            blocked_at=stuck.blocked_at,
            stack=stuck.stack,
        )
        if stuck.stack:  # the recorded failure's place and stack are read from this note
            error.add_note(f"{STACK_NOTE} blocked at:\n{stuck.stack.rstrip()}")
        return error

    def _task_log(self, task: DecisionTask) -> Any:
        """The worker's logger bound to ``task``: made when something is logged, not for
        every decision task."""
        return self.log.bind(
            workflow_id=task.workflow_id,
            run_id=task.run_id,
            workflow_type=f"{task.workflow_type}/{task.workflow_version}",
            started_event_id=task.started_event_id,
        )

    async def _encode_answer(
        self, task: DecisionTask, result: ActivationResult
    ) -> ActivationResult:
        """``result`` with its payloads as the codecs make them; a payload that cannot be
        encoded (or is too large even so) fails the decision task instead, recorded."""
        converter = self.data_converter
        try:
            context = result.execution_context
            return ActivationResult(
                await converter.encode_decisions(result.decisions),
                None
                if context is None
                else await converter.encode_text(context, "execution_context"),
                result.failure,
            )
        except Exception as error:
            if result.failure is not None:
                raise
            self.handler.evict(task.run_id)
            return await self._encode_answer(task, self.handler.failure_answer(task, error))

    async def _decide(self, task: DecisionTask) -> None:
        started = time.monotonic()
        cached = self.handler.take(task)
        if cached is None and task.partial:
            # A sticky task for a run this process no longer holds (evicted, or its last
            # decision was lost): rebuild it from the full history.
            full = await until_answered(
                lambda: fetch_full_history(self._hot(), domain=self.client.domain, task=task),
                outage=self._outage,
                task_log=self._task_log(task),
                what="history_fetch",
            )
            task = msgspec.structs.replace(task, events=full, partial=False)
        assert self._activation_threads is not None, "decisions are taken while running"
        converter = self.data_converter
        try:
            if converter.active:
                # The engine reads the converter's text: payloads are decoded before it runs.
                after = cached.instance.last_started_event_id if cached is not None else 0
                events = await converter.decode_events(task.events, after)
                task = msgspec.structs.replace(task, events=events)
            result = await self._activation_threads.run(
                self.deadlock_timeout, self.handler.decide, task, cached
            )
            if converter.active:
                result = await self._encode_answer(task, result)
        except CallTimeoutError as stuck:
            # The activation's thread is abandoned; the task fails as a bug in workflow
            # code would: recorded (describe() shows the blocking call) and retried later.
            self.handler.evict(task.run_id)
            self._task_log(task).error(
                "workflow_deadlock_detected",
                timeout=self.deadlock_timeout,
                blocked_at=stuck.blocked_at,
                stack=stuck.stack,
                hint=(
                    "workflow code blocked the activation (a blocking call, a lock, a loop "
                    "that never awaits); the decision task fails and is retried with backoff"
                ),
            )
            result = self.handler.failure_answer(task, self._deadlock(stuck))
        except (WorkflowTaskError, NondeterminismError, UnknownTypeError, Exception) as error:
            # decide() answers every failure of workflow code itself (a recorded failure
            # and a retry timer); what reaches here failed outside it: leave the task
            # unanswered so it times out and is retried.
            self.handler.evict(task.run_id)
            cause = error.__cause__ or error
            self._task_log(task).error(
                "decision_task_failed",
                error=repr(error),
                cause=repr(cause),
                exc_info=cause,
            )
            return
        if not await self._answer(task, result):
            return
        self.completed_decisions += 1
        self._task_log(task).debug(
            "decision_task_completed",
            decisions=[type(dec).__name__ for dec in result.decisions],
            seconds=round(time.monotonic() - started, 4),
        )

    async def _answer(
        self, task: DecisionTask, result: ActivationResult, *, first_answer: bool = True
    ) -> bool:
        """Sends ``result`` as the task's answer, tried again through outages; whether it
        was taken (a task that is gone, or an answer that failed otherwise, is logged)."""
        next_task_list: TaskList | None = None
        next_task_timeout: str | None = None
        if self.sticky_task_list is not None and not closes_run(result):
            if self._stop.is_set() or result.failure is not None:
                # A stopping worker, or one whose workflow code just failed, hands the run
                # back to the shared task list at once (an override without a timeout is
                # permanent) instead of leaving its next task to wait out the sticky
                # timeout.
                next_task_list = TaskList(name=self.task_list)
            else:
                next_task_list = TaskList(name=self.sticky_task_list)
                next_task_timeout = str(self.sticky_schedule_to_start_timeout)
        answer = api.RespondDecisionTaskCompletedInput(
            task_token=task.task_token,
            decisions=list(result.decisions),
            execution_context=result.execution_context,
            task_list=next_task_list,
            task_list_schedule_to_start_timeout=next_task_timeout,
        )
        if result.failure is not None and not self._stop.is_set():
            await anyio.sleep(self.handler.answer_delay(task, result.failure))
        try:
            # Tried again until SWF takes it or says the task is gone: an outage of any
            # length loses no decision SWF could still accept.
            await until_answered(
                lambda: self._hot().send(answer),
                outage=self._outage,
                task_log=self._task_log(task),
                what="decision_answer",
            )
        except Exception as error:
            self.handler.evict(task.run_id)
            if isinstance(error, SwfValidationError) and first_answer:
                # Decisions the engine's own checks let through but SWF's model refuses
                # (at the transport's check, or at SWF): a bug in workflow code like any
                # other, so the task is answered with a recorded failure that describe()
                # and result() show, rather than left to time out with the reason only
                # in a log.
                failure = self.handler.failure_answer(task, error)
                return await self._answer(task, failure, first_answer=False)
            if task_gone(error):
                self._task_log(task).warning("decision_answer_rejected_task_gone")
            else:
                self._task_log(task).error(
                    "decision_answer_failed", error=repr(error), exc_info=error
                )
            return False
        return True


def _endpoint_of(client: Client) -> str | None:
    """The URL the client sends SWF's calls to (its regional endpoint by default)."""
    try:
        url = getattr(getattr(client.raw, "meta", None), "endpoint_url", None)
    except SwfAsyncError:  # not open yet: what it was given
        url = None
    return url if isinstance(url, str) else client.endpoint_url


class _StartedFuture:
    """``task_status`` for :meth:`Worker.run` run by the worker's own task: resolves the
    future ``__aenter__`` waits on."""

    def __init__(self, future: asyncio.Future[None]) -> None:
        self._future = future

    def started(self, value: None = None) -> None:
        if not self._future.done():
            self._future.set_result(None)
