"""Child workflows and the other executions a workflow signals or cancels (re-exported
by ``swfasync.workflow``).

``start_child_workflow`` and ``execute_child_workflow`` (typed by the child's run method
through their overloads), the :class:`ChildWorkflowHandle` they give, the default child id,
and ``signal_external``/``request_cancel_external``, which the handle's ``signal`` and
``cancel`` are made of. Like the rest of the workflow API (:mod:`.api`), they find the
instance this thread is running, issue commands on it and await their futures.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar, Unpack, overload

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
from .._wire.common import WorkflowType
from ..exceptions import WorkflowDefinitionError
from .api import current_instance, swf_priority, swf_task_list
from .commands import CancelExternalCommand, ChildWorkflowCommand, SignalExternalCommand
from .definitions import WORKFLOW_ATTR, ChildPolicy, Duration, WorkflowDefinition, swf_duration

R = TypeVar("R")


# -- child workflows ---------------------------------------------------------------------


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


# mypy reports the implementation of overloads that unpack a TypeVarTuple as not
# accepting their parameters, though it takes anything (``Any``): a known false positive.
async def start_child_workflow(  # type: ignore[misc]
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
            task_list=swf_task_list(task_list),
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
            task_priority=swf_priority(task_priority),
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


async def execute_child_workflow(  # type: ignore[misc]  # see start_child_workflow
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


# -- other executions --------------------------------------------------------------------


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
