"""Activity tasks: run the function, heartbeat in the background, answer SWF.

Outcomes and their answers:

- returned a value          -> RespondActivityTaskCompleted (result JSON, size-checked)
- raised an exception       -> RespondActivityTaskFailed (``encode_failure``: within limits)
- cancelled after SWF asked -> RespondActivityTaskCanceled
- ``complete_async()``      -> no answer; someone completes it with the task token
- the task vanished (a heartbeat got UnknownResourceFault: timed out or closed) or the
  worker was stopped past its grace period -> no answer; SWF's timeouts hand it back

A task is one ``ActivityTask``, which is also the context activity code reaches through
``swfasync.activity``. What most tasks never use is made on first use: the ``ActivityInfo``,
the logger bound to the task's ids, the heartbeat sender.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.abc
from botocore.exceptions import ClientError

from .._client.connection import backoff_delay, is_throttling
from .._client.transport import SwfTransport
from .._engine.definitions import ActivityDefinition, seconds
from .._engine.failures import encode_failure
from .._log import get_logger
from .._payloads.data_converter import DEFAULT_DATA_CONVERTER, DataConverter
from .._wire import api
from .._wire.common import Request, TaskList
from ..exceptions import UnknownTypeError
from . import context as _context
from .context import ActivityInfo, CompleteAsync
from .outages import RETRY_BASE, RETRY_CAP, Outage, is_transient, task_gone, until_answered

log = get_logger("swfasync.worker")


@dataclass(slots=True)
class _Outcome:
    kind: str  # "completed" | "failed" | "cancelled" | "async"
    value: Any = None


def _run_sync(fn: Callable[..., Any], args: list[Any]) -> _Outcome:
    # Runs in a worker thread: classify here, so only a real cancellation of the awaiting
    # task can surface as CancelledError on the event loop side.
    try:
        return _Outcome("completed", fn(*args))
    except CompleteAsync:
        return _Outcome("async")
    except asyncio.CancelledError:
        return _Outcome("cancelled")
    except Exception as error:
        return _Outcome("failed", error)


@dataclass(frozen=True, slots=True)
class _ActivityType:
    """What every task of one activity type shares, worked out once per runner."""

    definition: ActivityDefinition
    label: str  # "name/version", as log events name the type
    heartbeat_timeout: float | None  # seconds, as registered
    heartbeat_interval: float  # the longest wait between two heartbeats sent to SWF


def _task_log(log: Any, task: api.ActivityTask, label: str) -> Any:
    """``log`` bound to one task's ids: every event about a task names it."""
    execution = task.workflow_execution
    return log.bind(
        workflow_id=execution.workflow_id,
        run_id=execution.run_id,
        activity_id=task.activity_id,
        activity_type=label,
    )


class ActivityTask:
    """One polled task from its receipt to its answer; activity code reaches it as its context.

    Everything here runs on the event loop's thread except ``heartbeat`` and the reading of
    ``cancel_requested``, which a sync activity does from its own thread.
    """

    __slots__ = (
        "_ended",
        "_host",
        "_info",
        "_interrupts",
        "_received_at",
        "_runner",
        "_task",
        "cancel_requested",
        "heartbeater",
        "latest_details",
        "latest_details_text",
        "type",
    )

    def __init__(
        self, runner: ActivityTaskRunner, task: api.ActivityTask, activity_type: _ActivityType
    ) -> None:
        self._runner = runner
        self._task = task
        self.type = activity_type
        self._received_at = time.time()
        self._info: ActivityInfo | None = None
        self.cancel_requested = False
        self.latest_details: tuple[Any, ...] = ()
        self.latest_details_text: str | None = None
        self.heartbeater: Heartbeater | None = None
        self._ended = False
        # The asyncio task awaiting an async activity, while it awaits, and how many times
        # interrupt() cancelled it.
        self._host: asyncio.Task[Any] | None = None
        self._interrupts = 0

    @property
    def token(self) -> str:
        return self._task.task_token

    @property
    def info(self) -> ActivityInfo:
        # Made on first use: most activities never ask. Two threads asking at once may each
        # make one; both are equal, and one of them is kept.
        info = self._info
        if info is None:
            task = self._task
            execution = task.workflow_execution
            info = self._info = ActivityInfo(
                task_token=task.task_token,
                activity_id=task.activity_id,
                activity_type=task.activity_type.name,
                activity_version=task.activity_type.version,
                workflow_id=execution.workflow_id,
                run_id=execution.run_id,
                domain=self._runner.domain,
                task_list=self._runner.task_list,
                started_event_id=task.started_event_id,
                heartbeat_timeout=self.type.heartbeat_timeout,
                started_at=datetime.fromtimestamp(self._received_at, UTC),
            )
        return info

    def bound_log(self) -> Any:
        """The worker's logger bound to this task (bound per event: events are rare)."""
        return _task_log(self._runner.log, self._task, self.type.label)

    def heartbeat(self, details: tuple[Any, ...]) -> None:
        # Any thread: a sync activity heartbeats from its own. Encoded here, so the caller
        # sees a value that cannot be encoded or is too large.
        text = (
            self._runner.data_converter.values.encode(list(details), "heartbeat_details")
            if details
            else None
        )
        self.latest_details = details
        self.latest_details_text = text
        self._runner.loop.call_soon_threadsafe(self._heartbeat_recorded)

    def _heartbeat_recorded(self) -> None:
        if self._ended:
            return
        if self.heartbeater is None:
            self.heartbeater = Heartbeater(self, self._runner.swf, self._runner.background)
        self.heartbeater.wake()

    def interruptible(self) -> asyncio.Task[Any] | None:
        """Let ``interrupt()`` cancel the calling asyncio task, which awaits the activity."""
        self._host = asyncio.current_task()
        return self._host

    def interrupt(self) -> None:
        """Cancel an async activity at its next ``await``; sync ones poll ``cancel_requested``.

        ``Task.cancel`` rather than a cancel scope around every activity: only the few
        interrupted tasks pay for it. ``stop_interrupting`` withdraws it again. Called from
        the heartbeat sender's task, never the activity's own, so the cancellation lands at
        the await where the activity is suspended.
        """
        if self._host is not None:
            self._interrupts += 1
            self._host.cancel()

    def stop_interrupting(self) -> None:
        """The activity has ended: withdraw its interruptions (``Task.uncancel``), so that only
        a cancellation from outside, the worker's shutdown, is left pending on the task."""
        host, self._host = self._host, None
        if host is not None:
            for _ in range(self._interrupts):
                host.uncancel()
        self._interrupts = 0

    def end(self) -> Heartbeater | None:
        """Stop heartbeating (or keep it from starting); the sender, if one was made."""
        self._ended = True
        if self.heartbeater is not None:
            self.heartbeater.stop()
        return self.heartbeater


class Heartbeater:
    """Sends one task's heartbeats, at most one per interval, the latest details only.

    Made on the task's first heartbeat, so an activity that never heartbeats costs no task;
    that first heartbeat goes out at once, later ones wait out the interval, so an activity
    may call ``heartbeat()`` in a tight loop for free. ``stop()`` ends the sending task when
    the activity ends. A failure other than SWF's answers (a lost connection) is kept in
    ``error`` and interrupts the activity like a cancellation.
    """

    def __init__(
        self, task: ActivityTask, swf: SwfTransport, background: anyio.abc.TaskGroup
    ) -> None:
        self.task = task
        self.swf = swf
        self.lost = False
        self.error: Exception | None = None
        # Touched on the event loop's thread only, so they need no lock.
        self._wake = anyio.Event()
        self._stopped = False
        self._scope: anyio.CancelScope | None = None
        background.start_soon(self._send_until_stopped)

    def wake(self) -> None:
        """New details were recorded: send them (once the interval allows)."""
        self._wake.set()

    def stop(self) -> None:
        """End the sending task (or keep it from starting): the activity has ended."""
        self._stopped = True
        if self._scope is not None:
            self._scope.cancel()

    async def _send_until_stopped(self) -> None:
        if self._stopped:
            return
        with anyio.CancelScope() as self._scope:
            try:
                await self.run()
            except Exception as error:
                self.error = error
                self.task.interrupt()

    async def run(self) -> None:
        task = self.task
        attempt = 0
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            details = task.latest_details_text
            if details is not None:
                details = await task._runner.data_converter.encode_text(
                    details, "heartbeat_details"
                )
            beat = api.RecordActivityTaskHeartbeatInput(task_token=task.token, details=details)
            try:
                status = await self.swf.send(beat)
            except Exception as error:
                if is_transient(error):
                    # Throttled, or SWF unreachable: the activity goes on, and the latest
                    # details are sent again after a backoff. An outage longer than the
                    # heartbeat timeout ends the task at SWF, and its answer then says so.
                    if not is_throttling(error):
                        task._runner.outage.failed(error, "heartbeat")
                    self._wake.set()
                    await anyio.sleep(backoff_delay(attempt, RETRY_BASE, RETRY_CAP))
                    attempt += 1
                    continue
                if not isinstance(error, ClientError):
                    raise
                if task_gone(error):
                    # Timed out or closed: nobody will accept an answer any more.
                    task.bound_log().warning("activity_task_gone_on_heartbeat")
                    self.lost = True
                    task.cancel_requested = True
                    task.interrupt()
                    return
                task.bound_log().warning("activity_heartbeat_failed", error=repr(error))
            else:
                if attempt:
                    task._runner.outage.succeeded()
                attempt = 0
                if status.cancel_requested:
                    task.bound_log().info("activity_cancel_requested")
                    task.cancel_requested = True
                    task.interrupt()
                    return
            await anyio.sleep(task.type.heartbeat_interval)


class ActivityTaskRunner:
    """Runs polled activity tasks with the worker's definitions and limits."""

    def __init__(
        self,
        swf: SwfTransport,
        activities: list[ActivityDefinition],
        *,
        domain: str,
        task_list: str,
        thread_limiter: anyio.CapacityLimiter,
        max_heartbeat_interval: float,
        background: anyio.abc.TaskGroup,
        outage: Outage | None = None,
        data_converter: DataConverter = DEFAULT_DATA_CONVERTER,
    ) -> None:
        self.swf = swf
        self.data_converter = data_converter
        # Where heartbeat senders run; it outlives every activity.
        self.background = background
        # Sync activities heartbeat from their threads; the sender runs on this loop.
        self.loop = asyncio.get_running_loop()
        self.domain = domain
        self.task_list = task_list
        self.thread_limiter = thread_limiter
        self.max_heartbeat_interval = max_heartbeat_interval
        self.definitions = {(a.name, a.version): a for a in activities}
        self._types = {kind: self._activity_type(d) for kind, d in self.definitions.items()}
        self.log = log.bind(domain=domain, task_list=task_list)
        # Shared with the worker's pollers: one warning when SWF goes, one when it is back.
        self.outage = outage or Outage(self.log, lambda: swf.endpoint_url)
        # Where the logger can tell its level (structlog's filtering and stdlib loggers),
        # a task skips the clock readings of its debug event when debug is off.
        self._is_enabled_for: Callable[[int], bool] | None = getattr(
            self.log, "is_enabled_for", None
        )

    def _activity_type(self, definition: ActivityDefinition) -> _ActivityType:
        timeout = definition.heartbeat_timeout
        timeout_seconds = seconds(float(timeout)) if timeout else None
        interval = self.max_heartbeat_interval
        if timeout_seconds:
            interval = min(interval, 0.8 * timeout_seconds)
        return _ActivityType(
            definition=definition,
            label=f"{definition.name}/{definition.version}",
            heartbeat_timeout=timeout_seconds,
            heartbeat_interval=interval,
        )

    async def run(self, task: api.ActivityTask) -> None:
        """Run one task to its answer (or to no answer, see the module docstring)."""
        kind = task.activity_type
        activity_type = self._types.get((kind.name, kind.version))
        if activity_type is None:
            label = f"{kind.name}/{kind.version}"
            _task_log(self.log, task, label).error("activity_type_unknown")
            error = UnknownTypeError(f"this worker has no activity {label}")
            await self._respond(task, label, _Outcome("failed", error))
            return
        is_enabled_for = self._is_enabled_for
        timed = is_enabled_for is None or is_enabled_for(logging.DEBUG)
        started = time.monotonic() if timed else 0.0
        running = ActivityTask(self, task, activity_type)
        outcome = await self._execute(running, task.input)
        if outcome is None:
            return
        await self._respond(task, activity_type.label, outcome)
        if timed:
            running.bound_log().debug(
                "activity_finished", outcome=outcome.kind, seconds=time.monotonic() - started
            )

    async def _execute(self, running: ActivityTask, payload: str | None) -> _Outcome | None:
        """The activity's outcome; None if its task is gone (no answer will be accepted)."""
        definition = running.type.definition
        try:
            args = await self.data_converter.decode_args(payload, definition.param_types)
        except Exception as error:
            return _Outcome("failed", error)
        token = _context.current.set(running)
        try:
            if definition.is_async:
                outcome = await self._call_async(running, definition.fn, args)
            else:
                outcome = await anyio.to_thread.run_sync(
                    _run_sync, definition.fn, args, limiter=self.thread_limiter
                )
        finally:
            heartbeater = running.end()
            _context.current.reset(token)
        if heartbeater is not None:
            if heartbeater.error is not None:
                raise heartbeater.error
            if heartbeater.lost:
                return None
        return outcome

    async def _call_async(
        self, running: ActivityTask, fn: Callable[..., Any], args: list[Any]
    ) -> _Outcome:
        host = running.interruptible()
        try:
            try:
                value = await fn(*args)
            finally:
                running.stop_interrupting()
        except CompleteAsync:
            return _Outcome("async")
        except asyncio.CancelledError:
            if host is not None and host.cancelling():
                raise  # cancelled from outside too: the worker's shutdown ends the task
            return _Outcome("cancelled")  # interrupted, or raise_if_cancelled() in async code
        except Exception as error:
            return _Outcome("failed", error)
        return _Outcome("completed", value)

    async def _answer(self, task: api.ActivityTask, label: str, answer: Request[None]) -> None:
        """Send an answer, tried again until SWF takes it or says the task is gone."""
        await until_answered(
            lambda: self.swf.send(answer),
            outage=self.outage,
            task_log=_task_log(self.log, task, label),
            what="activity_answer",
        )

    async def _respond(self, task: api.ActivityTask, label: str, outcome: _Outcome) -> None:
        token = task.task_token
        try:
            if outcome.kind == "async":
                _task_log(self.log, task, label).info("activity_completing_async")
                return
            if outcome.kind == "completed":
                try:
                    text = (
                        None
                        if outcome.value is None
                        else await self.data_converter.encode(outcome.value, "result")
                    )
                except Exception as error:
                    outcome = _Outcome("failed", error)
                else:
                    await self._answer(
                        task,
                        label,
                        api.RespondActivityTaskCompletedInput(task_token=token, result=text),
                    )
                    return
            if outcome.kind == "cancelled":
                _task_log(self.log, task, label).info("activity_cancelled")
                await self._answer(
                    task, label, api.RespondActivityTaskCanceledInput(task_token=token)
                )
                return
            reason, details = encode_failure(outcome.value, self.data_converter.values.enc_hook)
            details = await self.data_converter.encode_text(details, "details")
            _task_log(self.log, task, label).warning("activity_failed", reason=reason)
            await self._answer(
                task,
                label,
                api.RespondActivityTaskFailedInput(
                    task_token=token, reason=reason, details=details
                ),
            )
        except Exception as error:
            if task_gone(error):
                _task_log(self.log, task, label).warning(
                    "activity_answer_rejected_task_gone", outcome=outcome.kind
                )
                return
            _task_log(self.log, task, label).error(
                "activity_answer_failed", outcome=outcome.kind, error=repr(error), exc_info=error
            )


async def poll_activity_task(
    swf: SwfTransport, *, domain: str, task_list: str, identity: str
) -> api.ActivityTask | None:
    """Long-poll for an activity task; None when the poll ended empty."""
    return await swf.send(
        api.PollForActivityTaskInput(
            domain=domain, task_list=TaskList(name=task_list), identity=identity
        )
    )
