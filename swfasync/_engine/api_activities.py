"""Activities and Lambda tasks: the work a workflow schedules (re-exported by
``swfasync.workflow``).

``execute_activity`` and ``start_activity`` (typed by the activity function through their
overloads), their retries and what cancelling them does, and ``execute_lambda``. Like the
rest of the workflow API (:mod:`.api`), they find the instance this thread is running,
issue commands on it and await their futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, Unpack, overload

import msgspec

from .._typing import Ts
from .._wire import decisions as d
from .._wire import rules
from .._wire.common import ActivityType
from ..exceptions import ActivityError, ScheduleActivityTaskError, WorkflowDefinitionError
from .api import current_instance, swf_priority, swf_task_list
from .commands import ActivityCommand, CancelActivityCommand, LambdaCommand, activity_type
from .definitions import ACTIVITY_ATTR, ActivityDefinition, Duration, swf_duration
from .instance import WorkflowInstance
from .retry import RetryPolicy

R = TypeVar("R")


# -- activities ------------------------------------------------------------------------


class ActivityCancellation(enum.Enum):
    """What cancelling an awaited activity does.

    TRY_CANCEL: request cancellation (RequestCancelActivityTask) and raise at once.
    WAIT_CANCELLATION_COMPLETED: request cancellation and wait for the activity to close.
    ABANDON: raise at once and let the activity run on; nothing is sent to SWF.
    """

    TRY_CANCEL = "try_cancel"
    WAIT_CANCELLATION_COMPLETED = "wait_cancellation_completed"
    ABANDON = "abandon"


class _ActivityCall(msgspec.Struct, frozen=True):
    """One ``execute_activity``/``start_activity`` call, resolved when it is made (a Struct:
    one is made for every activity a replay runs again)."""

    name: str
    args: tuple[Any, ...]
    result_type: Any
    # The first attempt's decision, without its input (encoded when the attempt starts).
    attributes: d.ScheduleActivityTaskDecisionAttributes
    retry: RetryPolicy | None
    cancellation: ActivityCancellation


def _resolve_activity(activity: Any, version: str | None) -> tuple[str, str, Any, Any]:
    definition = getattr(activity, ACTIVITY_ATTR, None)
    if isinstance(definition, ActivityDefinition):
        return definition.name, version or definition.version, definition.result_type, definition
    if isinstance(activity, str):
        if version is None:
            raise WorkflowDefinitionError(
                f"activity {activity!r} is named by string: pass version= as well"
            )
        return activity, version, Any, None
    raise WorkflowDefinitionError(f"{activity!r} is not an @activity.defn function or a name")


@functools.lru_cache(maxsize=1024)
def _activity_type(name: str, version: str) -> ActivityType:
    """The (frozen, so shareable) type of every call of one activity, made and checked
    once (a refused one is not cached, so it is refused at every call)."""
    return activity_type(
        rules.check_name("activity type name", name, rules.LIMITS["type_name"]),
        rules.check_name("activity type version", version, rules.LIMITS["type_version"]),
    )


def _activity_call(
    activity: Any,
    args: tuple[Any, ...],
    *,
    activity_id: str | None,
    version: str | None,
    task_list: str | None,
    priority: int | None,
    schedule_to_start_timeout: Duration | None,
    schedule_to_close_timeout: Duration | None,
    start_to_close_timeout: Duration | None,
    heartbeat_timeout: Duration | None,
    retry: RetryPolicy | None,
    cancellation: ActivityCancellation,
    result_type: Any,
) -> _ActivityCall:
    instance = current_instance()
    name, resolved_version, inferred, _ = _resolve_activity(activity, version)
    seq = instance.next_seq("activity")
    return _ActivityCall(
        name=name,
        args=args,
        result_type=result_type if result_type is not None else inferred,
        attributes=d.ScheduleActivityTaskDecisionAttributes(
            activity_type=_activity_type(name, resolved_version),
            activity_id=rules.check_name("activity_id", activity_id) if activity_id else f"a{seq}",
            task_list=swf_task_list(task_list),
            task_priority=swf_priority(priority),
            schedule_to_start_timeout=swf_duration(
                schedule_to_start_timeout, "schedule_to_start_timeout"
            ),
            schedule_to_close_timeout=swf_duration(
                schedule_to_close_timeout, "schedule_to_close_timeout"
            ),
            start_to_close_timeout=swf_duration(start_to_close_timeout, "start_to_close_timeout"),
            heartbeat_timeout=swf_duration(heartbeat_timeout, "heartbeat_timeout"),
        ),
        retry=retry,
        cancellation=cancellation,
    )


async def _run_activity(call: _ActivityCall) -> Any:
    instance = current_instance()
    payload = instance.converter.encode_args(call.args, label="activity input")
    first_id = call.attributes.activity_id
    attempt = 1
    while True:
        command = ActivityCommand(
            instance.next_seq("command"),
            attributes=msgspec.structs.replace(
                call.attributes,
                activity_id=first_id
                if attempt == 1
                else rules.check_name("activity_id", f"{first_id}.{attempt}"),
                input=payload,
            ),
            future=instance.loop.create_future(),
        )
        instance.issue(command)
        try:
            text = await command.future
        except asyncio.CancelledError:
            await _activity_cancelled(instance, command, call.cancellation)
            raise
        except ScheduleActivityTaskError:
            raise
        except ActivityError as error:
            error.attempt = attempt
            if call.retry is None or not call.retry.should_retry(attempt, error):
                raise
            await asyncio.sleep(call.retry.backoff(attempt))
            attempt += 1
            continue
        return instance.converter.decode_result(
            text, call.result_type, field=f"activity {call.name} result"
        )


async def _activity_cancelled(
    instance: WorkflowInstance, command: ActivityCommand, mode: ActivityCancellation
) -> None:
    """The task awaiting ``command`` was cancelled: withdraw, abandon or cancel the activity.

    The activity's future is awaited directly rather than through ``asyncio.shield`` (which
    costs a second future and two callbacks on every activity of every replay), so the
    cancellation reaches the future itself; the activity's outcome, still to come, then
    goes to a fresh one.
    """
    future = command.future
    if not future.cancelled():
        future.exception()  # settled in the same pass as the cancellation: mark it retrieved
        return
    command.future = instance.loop.create_future()
    if instance.withdraw(command) or mode is ActivityCancellation.ABANDON:
        return
    command.cancel_requested = True
    instance.issue(
        CancelActivityCommand(
            instance.next_seq("command"), activity_id=command.attributes.activity_id
        )
    )
    if mode is ActivityCancellation.WAIT_CANCELLATION_COMPLETED:
        with contextlib.suppress(ActivityError):
            await command.future


@overload
async def execute_activity(
    activity: Callable[[Unpack[Ts]], Awaitable[R]],
    *args: *Ts,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: None = ...,
) -> R: ...


@overload
async def execute_activity(
    activity: Callable[[Unpack[Ts]], R],
    *args: *Ts,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: None = ...,
) -> R: ...


@overload
async def execute_activity(
    activity: str,
    *args: Any,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: type[R],
) -> R: ...


@overload
async def execute_activity(
    activity: str,
    *args: Any,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: None = ...,
) -> Any: ...


# mypy reports the implementation of overloads that unpack a TypeVarTuple as not
# accepting their parameters, though it takes anything (``Any``): a known false positive.
async def execute_activity(  # type: ignore[misc]
    activity: Any,
    *args: Any,
    activity_id: str | None = None,
    version: str | None = None,
    task_list: str | None = None,
    priority: int | None = None,
    schedule_to_start_timeout: Duration | None = None,
    schedule_to_close_timeout: Duration | None = None,
    start_to_close_timeout: Duration | None = None,
    heartbeat_timeout: Duration | None = None,
    retry: RetryPolicy | None = None,
    cancellation: ActivityCancellation = ActivityCancellation.TRY_CANCEL,
    result_type: Any = None,
) -> Any:
    """Run an activity and return its result (typed from the activity function).

    Args:
        activity: an ``@activity.defn`` function, or an activity type name (with
            ``version=``) for activities implemented elsewhere.
        *args: the activity's arguments (JSON-encoded; 32,768 characters at most).
        activity_id: the SWF activity id (default: ``a<n>``, unique within the run).
        task_list, priority: where and how urgently SWF dispatches the task.
        schedule_to_start_timeout, schedule_to_close_timeout, start_to_close_timeout,
        heartbeat_timeout: SWF's timeouts; unset ones come from the registered type.
        retry: retry failed/timed-out attempts with durable backoff timers.
        cancellation: what cancelling the awaiting task does (see ActivityCancellation).
        result_type: decode the result as this type (default: the function's annotation).

    Raises:
        ActivityFailedError, ActivityTimeoutError, ActivityCancelledError,
        ScheduleActivityTaskError: when the (last) attempt does not complete.
    """
    call = _activity_call(
        activity,
        args,
        activity_id=activity_id,
        version=version,
        task_list=task_list,
        priority=priority,
        schedule_to_start_timeout=schedule_to_start_timeout,
        schedule_to_close_timeout=schedule_to_close_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry=retry,
        cancellation=cancellation,
        result_type=result_type,
    )
    return await _run_activity(call)


@overload
def start_activity(
    activity: Callable[[Unpack[Ts]], Awaitable[R]],
    *args: *Ts,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: None = ...,
) -> asyncio.Task[R]: ...


@overload
def start_activity(
    activity: Callable[[Unpack[Ts]], R],
    *args: *Ts,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: None = ...,
) -> asyncio.Task[R]: ...


@overload
def start_activity(
    activity: str,
    *args: Any,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: type[R],
) -> asyncio.Task[R]: ...


@overload
def start_activity(
    activity: str,
    *args: Any,
    activity_id: str | None = ...,
    version: str | None = ...,
    task_list: str | None = ...,
    priority: int | None = ...,
    schedule_to_start_timeout: Duration | None = ...,
    schedule_to_close_timeout: Duration | None = ...,
    start_to_close_timeout: Duration | None = ...,
    heartbeat_timeout: Duration | None = ...,
    retry: RetryPolicy | None = ...,
    cancellation: ActivityCancellation = ...,
    result_type: None = ...,
) -> asyncio.Task[Any]: ...


def start_activity(  # type: ignore[misc]  # see execute_activity
    activity: Any,
    *args: Any,
    activity_id: str | None = None,
    version: str | None = None,
    task_list: str | None = None,
    priority: int | None = None,
    schedule_to_start_timeout: Duration | None = None,
    schedule_to_close_timeout: Duration | None = None,
    start_to_close_timeout: Duration | None = None,
    heartbeat_timeout: Duration | None = None,
    retry: RetryPolicy | None = None,
    cancellation: ActivityCancellation = ActivityCancellation.TRY_CANCEL,
    result_type: Any = None,
) -> asyncio.Task[Any]:
    """Start an activity and return its handle: a task to await or ``cancel()``.

    Takes the same arguments as :func:`execute_activity`; the activity id is assigned
    when this is called, so ids follow call order.
    """
    call = _activity_call(
        activity,
        args,
        activity_id=activity_id,
        version=version,
        task_list=task_list,
        priority=priority,
        schedule_to_start_timeout=schedule_to_start_timeout,
        schedule_to_close_timeout=schedule_to_close_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry=retry,
        cancellation=cancellation,
        result_type=result_type,
    )
    return current_instance().loop.create_task(
        _run_activity(call), name=f"activity:{call.attributes.activity_id}"
    )


# -- Lambda tasks ------------------------------------------------------------------------


async def execute_lambda(
    name: str,
    *args: Any,
    id: str | None = None,
    start_to_close_timeout: Duration | None = None,
    result_type: Any = None,
) -> Any:
    """Run an AWS Lambda function as an SWF Lambda task and return its result.

    Raises:
        LambdaFunctionError: it failed, timed out, or could not be scheduled or started.
    """
    instance = current_instance()
    seq = instance.next_seq("lambda")
    command = LambdaCommand(
        instance.next_seq("command"),
        attributes=d.ScheduleLambdaFunctionDecisionAttributes(
            id=rules.check_length("lambda_id", id, minimum=1) if id else f"l{seq}",
            name=rules.check_length("lambda_name", name, minimum=1),
            input=instance.converter.encode_args(args, label="Lambda input"),
            start_to_close_timeout=swf_duration(start_to_close_timeout, "start_to_close_timeout"),
        ),
        future=instance.loop.create_future(),
    )
    instance.issue(command)
    text = await command.future
    return instance.converter.decode_result(text, result_type if result_type is not None else Any)
