"""Workflow and activity definitions: what the decorators record about user code.

A definition is everything SWF needs to register the type (name, version, default task list
and timeouts) plus what the engine needs to call the code (methods, parameter types).
Definitions are attached to the decorated object itself, so user code passes its own
functions and classes around and keeps their static types.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import FunctionType
from typing import Any, Literal

from .._wire import rules
from ..exceptions import WorkflowDefinitionError
from . import converter, static_guards

Duration = timedelta | float | int
ChildPolicy = Literal["TERMINATE", "REQUEST_CANCEL", "ABANDON"]

WORKFLOW_ATTR = "__swfasync_workflow__"
ACTIVITY_ATTR = "__swfasync_activity__"
RUN_ATTR = "__swfasync_run__"
SIGNAL_ATTR = "__swfasync_signal__"
STATE_ATTR = "__swfasync_state__"

# Definitions whose code named globals not defined when the decorator ran (helpers further
# down the module): their determinism check runs again at their first lookup, once the
# module has been loaded.
_checks_pending: dict[int, tuple[WorkflowDefinition, Callable[[], bool]]] = {}


def seconds(duration: Duration, field: str = "duration") -> float:
    """A duration in seconds (timedelta or number).

    Raises:
        SwfValidationError: it is negative or NaN, or longer than SWF's 8 digits of
            seconds; the error names ``field``.
    """
    value = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    return rules.check_seconds(field, value)


def swf_duration(
    duration: Duration | None, field: str = "duration", *, maximum: int = rules.MAX_DURATION
) -> str | None:
    """SWF's duration string: whole seconds, rounded up (SWF has no finer unit).

    Raises:
        SwfValidationError: as :func:`seconds`, or past ``maximum`` seconds.
    """
    if duration is None:
        return None
    value = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    return str(math.ceil(rules.check_seconds(field, value, maximum=maximum)))


def swf_timeout(duration: Duration | Literal["NONE"] | None, field: str = "timeout") -> str | None:
    """Like :func:`swf_duration`, also accepting SWF's ``"NONE"`` (no timeout)."""
    if duration == "NONE":
        return "NONE"
    return swf_duration(duration, field)


@dataclass(frozen=True)
class ActivityDefinition:
    """An activity type and the function that implements it."""

    name: str
    version: str
    fn: Callable[..., Any]
    is_async: bool
    task_list: str | None = None
    schedule_to_start_timeout: str | None = None
    schedule_to_close_timeout: str | None = None
    start_to_close_timeout: str | None = None
    heartbeat_timeout: str | None = None
    task_priority: int | None = None
    description: str | None = None
    param_types: list[Any] = field(default_factory=list)
    result_type: Any = Any


@dataclass(frozen=True)
class WorkflowDefinition:
    """A workflow type and the class that implements it."""

    name: str
    version: str
    cls: type[Any]
    run_method: str
    signals: dict[str, str]
    state_method: str | None = None
    task_list: str | None = None
    execution_start_to_close_timeout: str | None = None
    task_start_to_close_timeout: str | None = None
    child_policy: ChildPolicy | None = None
    task_priority: int | None = None
    lambda_role: str | None = None
    description: str | None = None
    param_types: list[Any] = field(default_factory=list)
    result_type: Any = Any


def activity_definition(target: Any) -> ActivityDefinition:
    """The definition behind an activity function (or raise a clear error)."""
    found = getattr(target, ACTIVITY_ATTR, None)
    if not isinstance(found, ActivityDefinition):
        raise WorkflowDefinitionError(f"{target!r} is not decorated with @activity.defn")
    return found


def workflow_definition(target: Any) -> WorkflowDefinition:
    """The definition behind a workflow class or function (or raise a clear error)."""
    found = getattr(target, WORKFLOW_ATTR, None)
    if not isinstance(found, WorkflowDefinition):
        raise WorkflowDefinitionError(f"{target!r} is not decorated with @workflow.defn")
    pending = _checks_pending.get(id(found))
    if pending is not None and pending[0] is found:
        pending[1]()  # raises, and stays pending, while the code reads the clock
        _checks_pending.pop(id(found), None)
    return found


def define_activity(
    fn: Callable[..., Any],
    *,
    name: str | None,
    version: str,
    task_list: str | None,
    schedule_to_start_timeout: Duration | None,
    schedule_to_close_timeout: Duration | None,
    start_to_close_timeout: Duration | None,
    heartbeat_timeout: Duration | None,
    task_priority: int | None,
    description: str | None,
) -> ActivityDefinition:
    if not callable(fn):
        raise WorkflowDefinitionError(f"@activity.defn needs a function, got {fn!r}")
    definition = ActivityDefinition(
        name=name or fn.__name__,
        version=version,
        fn=fn,
        is_async=inspect.iscoroutinefunction(fn),
        task_list=task_list,
        schedule_to_start_timeout=swf_duration(
            schedule_to_start_timeout, "schedule_to_start_timeout"
        ),
        schedule_to_close_timeout=swf_duration(
            schedule_to_close_timeout, "schedule_to_close_timeout"
        ),
        start_to_close_timeout=swf_duration(start_to_close_timeout, "start_to_close_timeout"),
        heartbeat_timeout=swf_duration(heartbeat_timeout, "heartbeat_timeout"),
        task_priority=task_priority,
        description=description or inspect.getdoc(fn),
        param_types=converter.parameter_types(fn),
        result_type=converter.return_type(fn),
    )
    setattr(fn, ACTIVITY_ATTR, definition)
    return definition


def define_workflow(
    target: Any,
    *,
    name: str | None,
    version: str,
    task_list: str | None,
    execution_start_to_close_timeout: Duration | None,
    task_start_to_close_timeout: Duration | None,
    child_policy: ChildPolicy | None,
    task_priority: int | None,
    lambda_role: str | None,
    description: str | None,
) -> WorkflowDefinition:
    if inspect.isclass(target):
        cls: type[Any] = target
        runs = [n for n, v in vars(cls).items() if getattr(v, RUN_ATTR, False)]
        if len(runs) != 1:
            raise WorkflowDefinitionError(
                f"workflow class {cls.__name__} needs exactly one @workflow.run method, "
                f"found {len(runs)}"
            )
        run_method = runs[0]
        run_fn = getattr(cls, run_method)
        if not inspect.iscoroutinefunction(run_fn):
            raise WorkflowDefinitionError(f"{cls.__name__}.{run_method} must be `async def`")
        signals: dict[str, str] = {}
        state_method: str | None = None
        for attr, value in vars(cls).items():
            signal_name = getattr(value, SIGNAL_ATTR, None)
            if signal_name is not None:
                if signal_name in signals:
                    raise WorkflowDefinitionError(
                        f"workflow {cls.__name__} has two handlers for signal {signal_name!r}"
                    )
                signals[signal_name] = attr
            if getattr(value, STATE_ATTR, False):
                state_method = attr
        params = converter.parameter_types(run_fn, skip_self=True)
        result = converter.return_type(run_fn)
        default_name = cls.__name__
        code = list(static_guards.class_functions(cls))
        doc = inspect.getdoc(cls)
    elif inspect.iscoroutinefunction(target):
        fn = target

        async def run(self: Any, *args: Any) -> Any:
            return await fn(*args)

        setattr(run, RUN_ATTR, True)
        cls = type(fn.__name__, (), {"run": run, "__module__": fn.__module__})
        run_method, signals, state_method = "run", {}, None
        params = converter.parameter_types(fn)
        result = converter.return_type(fn)
        default_name = fn.__name__
        doc = inspect.getdoc(fn)
        code = [(fn.__name__, fn)] if isinstance(fn, FunctionType) else []
    else:
        raise WorkflowDefinitionError(
            f"@workflow.defn needs a class or an `async def` function, got {target!r}"
        )
    definition = WorkflowDefinition(
        name=name or default_name,
        version=version,
        cls=cls,
        run_method=run_method,
        signals=signals,
        state_method=state_method,
        task_list=task_list,
        execution_start_to_close_timeout=swf_duration(
            execution_start_to_close_timeout,
            "execution_start_to_close_timeout",
            maximum=rules.MAX_EXECUTION_TIMEOUT,
        ),
        task_start_to_close_timeout=swf_duration(
            task_start_to_close_timeout, "task_start_to_close_timeout"
        ),
        child_policy=child_policy,
        task_priority=task_priority,
        lambda_role=lambda_role,
        description=description or doc,
        param_types=params,
        result_type=result,
    )
    check = functools.partial(static_guards.check_workflow, definition.name, code)
    if not check():
        _checks_pending[id(definition)] = (definition, check)
    setattr(target, WORKFLOW_ATTR, definition)
    if cls is not target:
        setattr(cls, WORKFLOW_ATTR, definition)
    return definition
