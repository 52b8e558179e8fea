"""The API of workflow code: the only swfasync module a workflow needs to import.

Example::

    from datetime import timedelta
    from swfasync import workflow

    @workflow.defn(name="Greeting", version="1", task_list="greetings")
    class Greeting:
        def __init__(self) -> None:
            self.name: str | None = None

        @workflow.run
        async def run(self) -> str:
            await workflow.wait_condition(lambda: self.name is not None)
            await workflow.sleep(timedelta(hours=1))       # a durable SWF timer
            return await workflow.execute_activity(greet, self.name)

        @workflow.signal
        def set_name(self, name: str) -> None:
            self.name = name
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from ._engine.api import WorkflowLogger as WorkflowLogger
from ._engine.api import continue_as_new as continue_as_new
from ._engine.api import deprecate_patch as deprecate_patch
from ._engine.api import in_workflow as in_workflow
from ._engine.api import info as info
from ._engine.api import is_replaying as is_replaying
from ._engine.api import logger as logger
from ._engine.api import now as now
from ._engine.api import patched as patched
from ._engine.api import random as random
from ._engine.api import random_generator as random_generator
from ._engine.api import record_marker as record_marker
from ._engine.api import set_signal_handler as set_signal_handler
from ._engine.api import side_effect as side_effect
from ._engine.api import sleep as sleep
from ._engine.api import uuid4 as uuid4
from ._engine.api import wait_condition as wait_condition
from ._engine.api_activities import ActivityCancellation as ActivityCancellation
from ._engine.api_activities import execute_activity as execute_activity
from ._engine.api_activities import execute_lambda as execute_lambda
from ._engine.api_activities import start_activity as start_activity
from ._engine.api_children import ChildWorkflowHandle as ChildWorkflowHandle
from ._engine.api_children import execute_child_workflow as execute_child_workflow
from ._engine.api_children import request_cancel_external as request_cancel_external
from ._engine.api_children import signal_external as signal_external
from ._engine.api_children import start_child_workflow as start_child_workflow
from ._engine.definitions import (
    RUN_ATTR,
    SIGNAL_ATTR,
    STATE_ATTR,
    ChildPolicy,
    Duration,
    define_workflow,
)
from ._engine.definitions import WorkflowDefinition as WorkflowDefinition
from ._engine.instance import WorkflowInfo as WorkflowInfo

__all__ = (
    "ActivityCancellation",
    "ChildWorkflowHandle",
    "WorkflowDefinition",
    "WorkflowInfo",
    "WorkflowLogger",
    "continue_as_new",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_child_workflow",
    "execute_lambda",
    "in_workflow",
    "info",
    "is_replaying",
    "logger",
    "now",
    "patched",
    "random",
    "random_generator",
    "record_marker",
    "request_cancel_external",
    "run",
    "set_signal_handler",
    "side_effect",
    "signal",
    "signal_external",
    "sleep",
    "start_activity",
    "start_child_workflow",
    "state",
    "uuid4",
    "wait_condition",
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@overload
def defn(target: T, /) -> T: ...


@overload
def defn(
    *,
    name: str | None = None,
    version: str = "1",
    task_list: str | None = None,
    execution_start_to_close_timeout: Duration | None = None,
    task_start_to_close_timeout: Duration | None = None,
    child_policy: ChildPolicy | None = None,
    task_priority: int | None = None,
    lambda_role: str | None = None,
    description: str | None = None,
) -> Callable[[T], T]: ...


def defn(
    target: Any = None,
    /,
    *,
    name: str | None = None,
    version: str = "1",
    task_list: str | None = None,
    execution_start_to_close_timeout: Duration | None = None,
    task_start_to_close_timeout: Duration | None = None,
    child_policy: ChildPolicy | None = None,
    task_priority: int | None = None,
    lambda_role: str | None = None,
    description: str | None = None,
) -> Any:
    """Declare a workflow type: a class with one ``@workflow.run`` method, or an async def.

    The options are the type's registration defaults (name defaults to the class or
    function name). Usable bare (``@workflow.defn``) or with options.
    """

    def decorate(obj: T) -> T:
        define_workflow(
            obj,
            name=name,
            version=version,
            task_list=task_list,
            execution_start_to_close_timeout=execution_start_to_close_timeout,
            task_start_to_close_timeout=task_start_to_close_timeout,
            child_policy=child_policy,
            task_priority=task_priority,
            lambda_role=lambda_role,
            description=description,
        )
        return obj

    return decorate(target) if target is not None else decorate


def run(fn: F) -> F:
    """Mark the ``async def`` method that is the workflow's body."""
    setattr(fn, RUN_ATTR, True)
    return fn


@overload
def signal(fn: F, /) -> F: ...


@overload
def signal(*, name: str | None = None) -> Callable[[F], F]: ...


def signal(fn: Any = None, /, *, name: str | None = None) -> Any:
    """Mark a method (sync or async) as the handler of a signal (default: its name)."""

    def decorate(method: F) -> F:
        setattr(method, SIGNAL_ATTR, name or method.__name__)
        return method

    return decorate(fn) if fn is not None else decorate


def state(fn: F) -> F:
    """Mark a method returning the workflow's published state.

    Its JSON-encoded return value is written to SWF's ``executionContext`` after every
    decision, and read by ``WorkflowHandle.published_state()`` (DescribeWorkflowExecution).
    """
    setattr(fn, STATE_ATTR, True)
    return fn
