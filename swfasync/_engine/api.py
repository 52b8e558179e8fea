"""The functions workflow code calls about its own run (re-exported by ``swfasync.workflow``).

Time, randomness and identity, waiting, signal handlers, continue-as-new, markers
(patches, side effects, markers of your own) and the workflow logger. Activities and
Lambda tasks are in :mod:`.api_activities`, child workflows and the other executions a
workflow signals or cancels in :mod:`.api_children`; both find their instance with
:func:`current_instance` and convert their shared options with the helpers here.

Each function finds the workflow instance this thread is running (a thread-local the
instance sets while its workflow code runs), issues commands on it and awaits their
futures. Nothing here touches the outside world.
"""

from __future__ import annotations

import asyncio
import random as _random
import uuid as _uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from .._log import get_logger
from .._wire import decisions as d
from .._wire import rules
from .._wire.common import TaskList
from ..exceptions import WorkflowDefinitionError
from . import converter, sandbox
from .commands import MarkerCommand
from .definitions import ChildPolicy, Duration, seconds, swf_duration
from .instance import ContinueAsNewError, WorkflowInfo, WorkflowInstance, running_instance
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


def swf_task_list(name: str | None) -> TaskList | None:
    """SWF's form of a ``task_list=`` option (None: the type's default)."""
    return TaskList(name=rules.check_name("task_list", name)) if name else None


def swf_priority(priority: int | None) -> str | None:
    """SWF's form of a ``priority=``/``task_priority=`` option (None: the type's default)."""
    return None if priority is None else rules.check_priority("task_priority", str(priority))


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


# -- signals -----------------------------------------------------------------------------


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Install (or with None remove) a handler for signal ``name`` at run time.

    Signals that arrived before a handler existed are buffered and delivered, in order,
    as soon as it is installed.
    """
    current_instance().set_signal_handler(name, handler)


# -- continuing as a new run -------------------------------------------------------------


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
            task_list=swf_task_list(task_list) or TaskList(name=current.task_list),
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
            task_priority=swf_priority(task_priority)
            if task_priority is not None
            else current.task_priority,
            lambda_role=current.lambda_role,
        )
    )


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
