"""The functions workflow code calls (re-exported by ``swfasync.workflow``).

Each finds the running workflow instance through the running event loop, issues commands
on it and awaits their futures. Nothing here touches the outside world.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import functools
import hashlib
import random as _random
import uuid as _uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, Generic, NoReturn, TypeVar, Unpack, overload

import msgspec

from .._log import get_logger
from .._typing import (
    T1,
    T2,
    T3,
    T4,
    T5,
    ChildWorkflowOptions,
    Run0,
    Run1,
    Run2,
    Run3,
    Run4,
    Run5,
    Ts,
    signal_name_of,
)
from .._wire import decisions as d
from .._wire import rules
from .._wire.common import ActivityType, TaskList, WorkflowType
from ..exceptions import (
    ActivityError,
    ScheduleActivityTaskError,
    WorkflowDefinitionError,
)
from . import converter, sandbox
from .commands import (
    ActivityCommand,
    CancelActivityCommand,
    CancelExternalCommand,
    ChildWorkflowCommand,
    LambdaCommand,
    MarkerCommand,
    SignalExternalCommand,
    activity_type,
)
from .definitions import (
    ACTIVITY_ATTR,
    WORKFLOW_ATTR,
    ActivityDefinition,
    ChildPolicy,
    Duration,
    WorkflowDefinition,
    seconds,
    swf_duration,
)
from .instance import ContinueAsNewError, WorkflowInfo, WorkflowInstance, running_instance
from .retry import RetryPolicy
from .task_failures import FAILURE_MARKER

R = TypeVar("R")

PATCH_MARKER = "swfasync.patch"
SIDE_EFFECT_MARKER = "swfasync.side_effect"


def current_instance() -> WorkflowInstance:
    """The workflow running on this thread, or a clear error outside workflow code."""
    instance = running_instance()
    if instance is None:
        raise WorkflowDefinitionError("this function can only be called from workflow code")
    return instance


def in_workflow() -> bool:
    """True inside workflow code."""
    return running_instance() is not None


# -- time, randomness, identity ----------------------------------------------------------


def now() -> datetime:
    """Workflow time: the start of the decision task being processed (UTC, replay-safe)."""
    return current_instance().now()


async def sleep(duration: Duration) -> None:
    """Sleep on a durable SWF timer (``asyncio.sleep`` does the same inside workflows).

    Raises:
        SwfValidationError: ``duration`` is negative, or longer than SWF's timers allow
            (99,999,999 seconds: 8 digits).
    """
    await asyncio.sleep(seconds(duration, "workflow.sleep duration"))


def random() -> float:
    """A float in [0, 1) from the run's seeded generator (the same on every replay)."""
    return current_instance().random.random()


def random_generator() -> _random.Random:
    """The run's seeded ``random.Random`` (for ``choice``, ``shuffle``, ``randint`` ...)."""
    return current_instance().random


def uuid4() -> _uuid.UUID:
    """A version-4 UUID from the run's seeded generator (the same on every replay)."""
    return _uuid.UUID(int=current_instance().random.getrandbits(128), version=4)


def info() -> WorkflowInfo:
    """What this workflow knows of its own execution."""
    found = current_instance().info
    if found is None:
        raise WorkflowDefinitionError("workflow.info() before the workflow started")
    return found


def is_replaying() -> bool:
    """True while the code re-runs an activation whose decisions history already holds."""
    return current_instance().replaying


async def wait_condition(
    predicate: Callable[[], bool],
    *,
    timeout: Duration | None = None,  # noqa: ASYNC109 - a durable SWF timer
) -> bool:
    """Wait until ``predicate()`` is true (re-checked whenever the workflow makes progress).

    Returns:
        True once the predicate holds; False if ``timeout`` (a durable timer) ran out first.
    """
    instance = current_instance()
    if predicate():
        return True
    future = instance.wait_condition(predicate)
    if timeout is None:
        return await future
    try:
        return await asyncio.wait_for(future, seconds(timeout, "wait_condition timeout"))
    except TimeoutError:
        return False


# -- signals and published state -----------------------------------------------------------


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Install (or with None remove) a handler for signal ``name`` at run time.

    Signals that arrived before a handler existed are buffered and delivered, in order,
    as soon as it is installed.
    """
    current_instance().set_signal_handler(name, handler)


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


def _task_list(name: str | None) -> TaskList | None:
    return TaskList(name=rules.check_name("task_list", name)) if name else None


def _priority(priority: int | None) -> str | None:
    return None if priority is None else rules.check_priority("task_priority", str(priority))


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
            task_list=_task_list(task_list),
            task_priority=_priority(priority),
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


# -- child workflows and other executions --------------------------------------------------


# SWF measures ids in UTF-16 code units and refuses ``:``, ``/`` and ``|`` in them, so the
# separator is ``#``; a parent id too long to take the suffix is shortened with a digest of
# itself, which keeps the child id deterministic and distinct per parent.
_MAX_WORKFLOW_ID = 256


def default_child_id(parent_workflow_id: str, seq: int) -> str:
    """The id a child workflow gets when the caller names none: ``<parent id>#<n>``."""
    suffix = f"#{seq}"
    child_id = parent_workflow_id + suffix
    if _utf16_length(child_id) <= _MAX_WORKFLOW_ID:
        return child_id
    digest = "~" + hashlib.sha256(parent_workflow_id.encode()).hexdigest()[:16]
    room = _MAX_WORKFLOW_ID - len(digest) - len(suffix)
    prefix = parent_workflow_id
    while _utf16_length(prefix) > room:
        prefix = prefix[:-1]
    return prefix + digest + suffix


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _resolve_workflow(workflow: Any, version: str | None) -> tuple[str, str, Any]:
    definition = getattr(workflow, WORKFLOW_ATTR, None)
    if isinstance(definition, WorkflowDefinition):
        return definition.name, version or definition.version, definition.result_type
    if isinstance(workflow, str):
        if version is None:
            raise WorkflowDefinitionError(
                f"workflow {workflow!r} is named by string: pass version= as well"
            )
        return workflow, version, Any
    raise WorkflowDefinitionError(f"{workflow!r} is not a @workflow.defn class/function or a name")


class ChildWorkflowHandle(Generic[R]):
    """A started child workflow: await it for its result, signal it, or cancel it."""

    def __init__(self, command: ChildWorkflowCommand, result_type: Any) -> None:
        self._command = command
        self._result_type = result_type

    @property
    def workflow_id(self) -> str:
        return self._command.attributes.workflow_id

    @property
    def run_id(self) -> str:
        return self._command.started.result()

    async def result(self) -> R:
        """Wait for the child to close; its result, or a ``ChildWorkflowError``."""
        try:
            text = await asyncio.shield(self._command.result)
        except asyncio.CancelledError:
            if not self._command.result.done():
                await request_cancel_external(self.workflow_id, run_id=self.run_id)
            raise
        value: R = current_instance().converter.decode_result(
            text, self._result_type, field=f"child workflow {self.workflow_id} result"
        )
        return value

    def __await__(self) -> Any:
        return self.result().__await__()

    @overload
    async def signal(self, signal: Callable[[Any, Unpack[Ts]], object], /, *args: *Ts) -> None: ...

    @overload
    async def signal(self, signal: str, /, *args: Any) -> None: ...

    async def signal(self, signal: Any, /, *args: Any) -> None:  # type: ignore[misc]
        """Send the child a signal: a ``@workflow.signal`` method of its class (arguments
        checked against it by type checkers), or the signal's name."""
        await signal_external(self.workflow_id, signal_name_of(signal), *args, run_id=self.run_id)

    async def cancel(self) -> None:
        """Ask SWF to cancel the child (it decides how to react)."""
        await request_cancel_external(self.workflow_id, run_id=self.run_id)


@overload
async def start_child_workflow(
    workflow: type[Run0[R]],
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: type[Run1[T1, R]],
    a1: T1,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: type[Run2[T1, T2, R]],
    a1: T1,
    a2: T2,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: type[Run3[T1, T2, T3, R]],
    a1: T1,
    a2: T2,
    a3: T3,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: type[Run4[T1, T2, T3, T4, R]],
    a1: T1,
    a2: T2,
    a3: T3,
    a4: T4,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: type[Run5[T1, T2, T3, T4, T5, R]],
    a1: T1,
    a2: T2,
    a3: T3,
    a4: T4,
    a5: T5,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: Callable[[*Ts], Awaitable[R]],
    /,
    *args: *Ts,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: str,
    /,
    *args: Any,
    result_type: type[R],
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[R]: ...


@overload
async def start_child_workflow(
    workflow: str,
    /,
    *args: Any,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> ChildWorkflowHandle[Any]: ...


async def start_child_workflow(  # type: ignore[misc]  # see execute_activity
    workflow: Any,
    *args: Any,
    workflow_id: str | None = None,
    version: str | None = None,
    task_list: str | None = None,
    child_policy: ChildPolicy | None = None,
    execution_start_to_close_timeout: Duration | None = None,
    task_start_to_close_timeout: Duration | None = None,
    tag_list: Sequence[str] | None = None,
    task_priority: int | None = None,
    lambda_role: str | None = None,
    result_type: Any = None,
) -> ChildWorkflowHandle[Any]:
    """Start a child workflow and wait until SWF has started it.

    Args:
        workflow: a ``@workflow.defn`` class/function, or a type name with ``version=``.
            Type checkers check the arguments against its run method and type the
            handle's result by it (for a class, a run method named ``run`` taking up to
            five arguments; other classes are started by name, with ``result_type=``).
        workflow_id: default ``<this workflow id>#<n>``, deterministic per run (see
            :func:`default_child_id`).
        child_policy: what SWF does to the child when this workflow closes
            (``TERMINATE``, ``REQUEST_CANCEL``, ``ABANDON``; default from the type).

    Raises:
        StartChildWorkflowError: SWF refused to start it (``cause`` says why).
    """
    instance = current_instance()
    name, resolved_version, inferred = _resolve_workflow(workflow, version)
    seq = instance.next_seq("child")
    child_id = (
        rules.check_name("workflow_id", workflow_id)
        if workflow_id
        else default_child_id(instance.workflow_id, seq)
    )
    command = ChildWorkflowCommand(
        instance.next_seq("command"),
        attributes=d.StartChildWorkflowExecutionDecisionAttributes(
            workflow_type=WorkflowType(
                name=rules.check_name("workflow type name", name, rules.LIMITS["type_name"]),
                version=rules.check_name(
                    "workflow type version", resolved_version, rules.LIMITS["type_version"]
                ),
            ),
            workflow_id=child_id,
            input=instance.converter.encode_args(args, label="child workflow input"),
            task_list=_task_list(task_list),
            child_policy=child_policy,
            execution_start_to_close_timeout=swf_duration(
                execution_start_to_close_timeout,
                "execution_start_to_close_timeout",
                maximum=rules.MAX_EXECUTION_TIMEOUT,
            ),
            task_start_to_close_timeout=swf_duration(
                task_start_to_close_timeout, "task_start_to_close_timeout"
            ),
            tag_list=rules.check_tags("tag_list", list(tag_list)) if tag_list else None,
            task_priority=_priority(task_priority),
            lambda_role=rules.check_length("lambda_role", lambda_role, minimum=1)
            if lambda_role is not None
            else None,
        ),
        started=instance.loop.create_future(),
        result=instance.loop.create_future(),
    )
    instance.issue(command)
    try:
        await asyncio.shield(command.started)
    except asyncio.CancelledError:
        instance.withdraw(command)
        raise
    return ChildWorkflowHandle(command, result_type if result_type is not None else inferred)


@overload
async def execute_child_workflow(
    workflow: type[Run0[R]],
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: type[Run1[T1, R]],
    a1: T1,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: type[Run2[T1, T2, R]],
    a1: T1,
    a2: T2,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: type[Run3[T1, T2, T3, R]],
    a1: T1,
    a2: T2,
    a3: T3,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: type[Run4[T1, T2, T3, T4, R]],
    a1: T1,
    a2: T2,
    a3: T3,
    a4: T4,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: type[Run5[T1, T2, T3, T4, T5, R]],
    a1: T1,
    a2: T2,
    a3: T3,
    a4: T4,
    a5: T5,
    /,
    *,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: Callable[[*Ts], Awaitable[R]],
    /,
    *args: *Ts,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: str,
    /,
    *args: Any,
    result_type: type[R],
    **options: Unpack[ChildWorkflowOptions],
) -> R: ...


@overload
async def execute_child_workflow(
    workflow: str,
    /,
    *args: Any,
    result_type: None = ...,
    **options: Unpack[ChildWorkflowOptions],
) -> Any: ...


async def execute_child_workflow(  # type: ignore[misc]  # see execute_activity
    workflow: Any,
    *args: Any,
    workflow_id: str | None = None,
    version: str | None = None,
    task_list: str | None = None,
    child_policy: ChildPolicy | None = None,
    execution_start_to_close_timeout: Duration | None = None,
    task_start_to_close_timeout: Duration | None = None,
    tag_list: Sequence[str] | None = None,
    task_priority: int | None = None,
    lambda_role: str | None = None,
    result_type: Any = None,
) -> Any:
    """Start a child workflow and return its result (see :func:`start_child_workflow`)."""
    handle = await start_child_workflow(
        workflow,
        *args,
        workflow_id=workflow_id,
        version=version,
        task_list=task_list,
        child_policy=child_policy,
        execution_start_to_close_timeout=execution_start_to_close_timeout,
        task_start_to_close_timeout=task_start_to_close_timeout,
        tag_list=tag_list,
        task_priority=task_priority,
        lambda_role=lambda_role,
        result_type=result_type,
    )
    return await handle.result()


async def signal_external(
    workflow_id: str, signal_name: str, *args: Any, run_id: str | None = None
) -> None:
    """Signal another workflow execution; returns once SWF delivered it.

    Raises:
        ExternalWorkflowError: SWF could not deliver it (e.g. unknown execution).
    """
    instance = current_instance()
    command = SignalExternalCommand(
        instance.next_seq("command"),
        attributes=d.SignalExternalWorkflowExecutionDecisionAttributes(
            workflow_id=rules.check_name("workflow_id", workflow_id),
            run_id=rules.check_length("run_id", run_id) if run_id else None,
            signal_name=rules.check_length("signal_name", signal_name, minimum=1),
            input=instance.converter.encode_args(args, label="signal input") if args else None,
        ),
        future=instance.loop.create_future(),
    )
    instance.issue(command)
    await command.future


async def request_cancel_external(workflow_id: str, *, run_id: str | None = None) -> None:
    """Ask SWF to cancel another workflow execution; returns once SWF recorded the request.

    Raises:
        ExternalWorkflowError: SWF could not deliver the request.
    """
    instance = current_instance()
    command = CancelExternalCommand(
        instance.next_seq("command"),
        attributes=d.RequestCancelExternalWorkflowExecutionDecisionAttributes(
            workflow_id=rules.check_name("workflow_id", workflow_id),
            run_id=rules.check_length("run_id", run_id) if run_id else None,
        ),
        future=instance.loop.create_future(),
    )
    instance.issue(command)
    await command.future


def continue_as_new(
    *args: Any,
    version: str | None = None,
    task_list: str | None = None,
    execution_start_to_close_timeout: Duration | None = None,
    task_start_to_close_timeout: Duration | None = None,
    child_policy: ChildPolicy | None = None,
    tag_list: Sequence[str] | None = None,
    task_priority: int | None = None,
) -> NoReturn:
    """Close this run and start a new one of the same workflow with ``args``.

    Unset options carry over from this run. Never returns.
    """
    current = info()
    raise ContinueAsNewError(
        d.ContinueAsNewWorkflowExecutionDecisionAttributes(
            input=current_instance().converter.encode_args(args, label="continue_as_new input"),
            workflow_type_version=rules.check_name(
                "workflow type version", version, rules.LIMITS["type_version"]
            )
            if version
            else current.workflow_version,
            task_list=_task_list(task_list) or TaskList(name=current.task_list),
            execution_start_to_close_timeout=swf_duration(
                execution_start_to_close_timeout,
                "execution_start_to_close_timeout",
                maximum=rules.MAX_EXECUTION_TIMEOUT,
            )
            or current.execution_start_to_close_timeout,
            task_start_to_close_timeout=swf_duration(
                task_start_to_close_timeout, "task_start_to_close_timeout"
            )
            or current.task_start_to_close_timeout,
            child_policy=child_policy or current.child_policy,  # type: ignore[arg-type]
            tag_list=rules.check_tags("tag_list", list(tag_list))
            if tag_list is not None
            else list(current.tag_list) or None,
            task_priority=_priority(task_priority)
            if task_priority is not None
            else current.task_priority,
            lambda_role=current.lambda_role,
        )
    )


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


# -- markers: versioning and recorded values ---------------------------------------------------


def patched(patch_id: str) -> bool:
    """Whether this run takes the new code path of change ``patch_id``.

    New runs (and runs that reached this point after the change was deployed) get True
    and record a marker; runs replaying history written before the change get False, so
    old and new executions both replay cleanly. Once answered, the answer is fixed for
    the run.
    """
    instance = current_instance()
    if patch_id in instance._patches:
        return instance.patched(patch_id)
    value = instance.recorded_marker_ahead(PATCH_MARKER, patch_id) if instance.replaying else True
    instance.remember_patch(patch_id, value)
    if value:
        instance.issue(
            MarkerCommand(instance.next_seq("command"), name=PATCH_MARKER, details=patch_id)
        )
    return value


def deprecate_patch(patch_id: str) -> None:
    """Retire change ``patch_id``: the code keeps only its new path, with no branch.

    Call it where ``if patched(patch_id):`` stood, once no execution that took the old
    path can still be replayed. New runs record nothing; runs that recorded the patch's
    marker while the branch existed still replay cleanly, because the marker is matched
    here instead of being reported as nondeterminism. A run that took the old path does
    not replay under the retired code: that is the condition for retiring it.
    """
    instance = current_instance()
    if patch_id in instance._patches:
        return
    instance.remember_patch(patch_id, True)
    if instance.replaying and instance.recorded_marker_ahead(PATCH_MARKER, patch_id):
        instance.issue(
            MarkerCommand(instance.next_seq("command"), name=PATCH_MARKER, details=patch_id)
        )


def side_effect(fn: Callable[[], R], *, result_type: Any = None) -> R:
    """Run ``fn`` once and record its (JSON-encodable) result; replays read the record.

    Use it for values that must not change on replay: a generated id, a configuration
    read, the wall clock. ``fn`` may do what workflow code may not.
    """
    instance = current_instance()
    target = result_type if result_type is not None else converter.return_type(fn)
    recorded = instance.next_recorded_marker(SIDE_EFFECT_MARKER) if instance.replaying else None
    if recorded is not None:
        text = recorded.attributes.details
    else:
        with sandbox.unrestricted():
            produced = fn()
        text = instance.converter.encode(produced, "details", label="side_effect value")
    instance.issue(
        MarkerCommand(instance.next_seq("command"), name=SIDE_EFFECT_MARKER, details=text)
    )
    value: R = instance.converter.decode_result(text, target, field="side_effect value")
    return value


def record_marker(name: str, details: Any = None) -> None:
    """Record a marker of your own in the history (for tools that read histories).

    Raises:
        SwfValidationError: ``name`` is empty or longer than 256 characters, or
            ``details`` encode to more than 32,768.
    """
    instance = current_instance()
    checked = rules.check_length("marker_name", name, minimum=1)
    if checked == FAILURE_MARKER:
        raise WorkflowDefinitionError(
            f"the marker name {FAILURE_MARKER} is the worker's record of a failed decision task"
        )
    text = (
        None if details is None else instance.converter.encode(details, "details", "marker details")
    )
    instance.issue(MarkerCommand(instance.next_seq("command"), name=checked, details=text))


# -- logging -----------------------------------------------------------------------------------


class WorkflowLogger:
    """A structlog logger bound to the running workflow; silent while replaying."""

    def __init__(self, name: str = "swfasync.workflow") -> None:
        self._log = get_logger(name)

    def _emit(self, level: str, event: str, **fields: Any) -> None:
        instance = current_instance()
        if instance.replaying:
            return
        bound = self._log.bind(
            workflow_id=instance.workflow_id,
            run_id=instance.run_id,
            workflow_type=instance.definition.name,
        )
        with sandbox.unrestricted():
            getattr(bound, level)(event, **fields)

    def debug(self, event: str, **fields: Any) -> None:
        self._emit("debug", event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("warning", event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, **fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._emit("exception", event, **fields)


logger = WorkflowLogger()
