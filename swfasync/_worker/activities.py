"""Activity tasks: run the function, heartbeat in the background, answer SWF.

Outcomes and their answers:

- returned a value          -> RespondActivityTaskCompleted (result JSON, size-checked)
- raised an exception       -> RespondActivityTaskFailed (``encode_failure``: within limits)
- cancelled after SWF asked -> RespondActivityTaskCanceled
- ``complete_async()``      -> no answer; someone completes it with the task token
- the task vanished (a heartbeat got UnknownResourceFault: timed out or closed) or the
  worker was stopped past its grace period -> no answer; SWF's timeouts hand it back
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
import anyio.abc
import structlog
from botocore.exceptions import ClientError

from .._client.connection import backoff_delay, call_with_backoff, error_code, is_throttling
from .._engine import converter
from .._engine.definitions import ActivityDefinition, seconds
from .._engine.failures import encode_failure
from ..exceptions import UnknownTypeError
from . import context as _context
from .context import ActivityContext, ActivityInfo, CompleteAsync

log = structlog.get_logger("swfasync.worker")


@dataclass
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


class Heartbeater:
    """Sends an activity's heartbeats, at most one per ``interval``, the latest details only.

    The first heartbeat goes out at once; later ones wait out the interval, so an activity
    may call ``heartbeat()`` in a tight loop for free. The sending task is started in
    ``background`` on the first heartbeat, so an activity that never heartbeats costs no
    task; ``stop()`` ends it when the activity ends. A failure other than SWF's answers
    (a lost connection) is kept in ``error`` and interrupts the activity like a cancellation.
    """

    _wake: anyio.Event  # made with the sending task, on the first heartbeat

    def __init__(
        self,
        swf: Any,
        ctx: ActivityContext,
        *,
        interval: float,
        on_cancel: Callable[[], None],
        bound_log: Any,
        background: anyio.abc.TaskGroup,
    ) -> None:
        self.swf = swf
        self.ctx = ctx
        self.interval = interval
        self.on_cancel = on_cancel
        self.log = bound_log
        self.background = background
        self.lost = False
        self.error: Exception | None = None
        self._latest: tuple[Any, ...] = ()
        self._loop = asyncio.get_running_loop()
        # Touched on the event loop's thread only, so they need no lock.
        self._started = False
        self._stopped = False
        self._scope: anyio.CancelScope | None = None
        ctx.on_heartbeat = self._record

    def _record(self, details: tuple[Any, ...]) -> None:
        # Any thread: a sync activity heartbeats from its own.
        self._latest = details
        self._loop.call_soon_threadsafe(self._wake_up)

    def _wake_up(self) -> None:
        if self._stopped:
            return
        if not self._started:
            self._started = True
            self._wake = anyio.Event()
            self.background.start_soon(self._send_until_stopped)
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
                self.on_cancel()

    async def run(self) -> None:
        attempt = 0
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            details = self._latest
            kwargs: dict[str, Any] = {"taskToken": self.ctx.info.task_token}
            if details:
                # activity.heartbeat() checked the size: cutting JSON would corrupt it
                kwargs["details"] = converter.encode(list(details), "heartbeat_details")
            try:
                response = await self.swf.record_activity_task_heartbeat(**kwargs)
            except ClientError as error:
                if is_throttling(error):
                    self._wake.set()  # retry the latest details after a backoff
                    await anyio.sleep(backoff_delay(attempt))
                    attempt += 1
                    continue
                if error_code(error) == "UnknownResourceFault":
                    # Timed out or closed: nobody will accept an answer any more.
                    self.log.warning("activity_task_gone_on_heartbeat")
                    self.lost = True
                    self.ctx.cancel_requested.set()
                    self.on_cancel()
                    return
                self.log.warning("activity_heartbeat_failed", error=repr(error))
            else:
                attempt = 0
                if response.get("cancelRequested"):
                    self.log.info("activity_cancel_requested")
                    self.ctx.cancel_requested.set()
                    self.on_cancel()
                    return
            await anyio.sleep(self.interval)


class ActivityTaskRunner:
    """Runs polled activity tasks with the worker's definitions and limits."""

    def __init__(
        self,
        swf: Any,
        activities: list[ActivityDefinition],
        *,
        domain: str,
        task_list: str,
        thread_limiter: anyio.CapacityLimiter,
        max_heartbeat_interval: float,
        background: anyio.abc.TaskGroup,
    ) -> None:
        self.swf = swf
        # Where heartbeat senders run; it outlives every activity.
        self.background = background
        self.domain = domain
        self.task_list = task_list
        self.thread_limiter = thread_limiter
        self.max_heartbeat_interval = max_heartbeat_interval
        self.definitions = {(a.name, a.version): a for a in activities}
        self.log = log.bind(domain=domain, task_list=task_list)

    def _info(self, task: dict[str, Any], definition: ActivityDefinition | None) -> ActivityInfo:
        heartbeat = definition.heartbeat_timeout if definition else None
        return ActivityInfo(
            task_token=task["taskToken"],
            activity_id=task["activityId"],
            activity_type=task["activityType"]["name"],
            activity_version=task["activityType"]["version"],
            workflow_id=task["workflowExecution"]["workflowId"],
            run_id=task["workflowExecution"]["runId"],
            domain=self.domain,
            task_list=self.task_list,
            started_event_id=int(task.get("startedEventId", 0)),
            heartbeat_timeout=seconds(float(heartbeat)) if heartbeat else None,
            started_at=datetime.now(UTC),
        )

    async def run(self, task: dict[str, Any]) -> None:
        """Run one task to its answer (or to no answer, see the module docstring)."""
        kind = (task["activityType"]["name"], task["activityType"]["version"])
        definition = self.definitions.get(kind)
        info = self._info(task, definition)
        bound = self.log.bind(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            activity_id=info.activity_id,
            activity_type=f"{kind[0]}/{kind[1]}",
        )
        started = time.monotonic()
        if definition is None:
            error = UnknownTypeError(f"this worker has no activity {kind[0]}/{kind[1]}")
            bound.error("activity_type_unknown")
            await self._respond(bound, _Outcome("failed", error), info)
            return
        ctx = ActivityContext(info)
        outcome, lost = await self._execute(definition, ctx, task.get("input"), bound)
        if lost:
            return
        await self._respond(bound, outcome, info, definition)
        bound.debug("activity_finished", outcome=outcome.kind, seconds=time.monotonic() - started)

    async def _execute(
        self, definition: ActivityDefinition, ctx: ActivityContext, payload: str | None, bound: Any
    ) -> tuple[_Outcome, bool]:
        try:
            args = converter.decode_args(payload, definition.param_types)
        except Exception as error:
            return _Outcome("failed", error), False
        interval = self.max_heartbeat_interval
        if ctx.info.heartbeat_timeout:
            interval = min(interval, 0.8 * ctx.info.heartbeat_timeout)
        scope = anyio.CancelScope()

        def interrupt() -> None:
            # Sync activities cannot be interrupted; they poll activity.is_cancelled().
            if definition.is_async:
                scope.cancel()

        heartbeater = Heartbeater(
            self.swf,
            ctx,
            interval=interval,
            on_cancel=interrupt,
            bound_log=bound,
            background=self.background,
        )
        token = _context.current.set(ctx)
        try:
            outcome = await self._call(definition, args, scope)
        finally:
            heartbeater.stop()
            _context.current.reset(token)
        if heartbeater.error is not None:
            raise heartbeater.error
        if scope.cancelled_caught:
            outcome = _Outcome("cancelled")
        return outcome, heartbeater.lost

    async def _call(
        self, definition: ActivityDefinition, args: list[Any], scope: anyio.CancelScope
    ) -> _Outcome:
        if not definition.is_async:
            result: _Outcome = await anyio.to_thread.run_sync(
                _run_sync, definition.fn, args, limiter=self.thread_limiter
            )
            return result
        outcome = _Outcome("cancelled")
        with scope:
            try:
                outcome = _Outcome("completed", await definition.fn(*args))
            except CompleteAsync:
                outcome = _Outcome("async")
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # a real cancellation (ours via scope, or the worker's shutdown)
                outcome = _Outcome("cancelled")  # raise_if_cancelled() in async code
            except Exception as error:
                outcome = _Outcome("failed", error)
        return outcome

    async def _respond(
        self,
        bound: Any,
        outcome: _Outcome,
        info: ActivityInfo,
        definition: ActivityDefinition | None = None,
    ) -> None:
        token = info.task_token
        try:
            if outcome.kind == "async":
                bound.info("activity_completing_async")
                return
            if outcome.kind == "completed":
                try:
                    text = (
                        None if outcome.value is None else converter.encode(outcome.value, "result")
                    )
                except Exception as error:
                    outcome = _Outcome("failed", error)
                else:
                    kwargs: dict[str, Any] = {"taskToken": token}
                    if text is not None:
                        kwargs["result"] = text
                    await call_with_backoff(
                        lambda: self.swf.respond_activity_task_completed(**kwargs)
                    )
                    return
            if outcome.kind == "cancelled":
                bound.info("activity_cancelled")
                await call_with_backoff(
                    lambda: self.swf.respond_activity_task_canceled(taskToken=token)
                )
                return
            reason, details = encode_failure(outcome.value)
            bound.warning("activity_failed", reason=reason)
            await call_with_backoff(
                lambda: self.swf.respond_activity_task_failed(
                    taskToken=token, reason=reason, details=details
                )
            )
        except ClientError as error:
            if error_code(error) == "UnknownResourceFault":
                bound.warning("activity_answer_rejected_task_gone", outcome=outcome.kind)
                return
            raise


async def poll_activity_task(
    swf: Any, *, domain: str, task_list: str, identity: str
) -> dict[str, Any] | None:
    """Long-poll for an activity task; None when the poll ended empty."""
    task: dict[str, Any] = await swf.poll_for_activity_task(
        domain=domain, taskList={"name": task_list}, identity=identity
    )
    return task if task.get("taskToken") else None
