"""Registration: the domain and the decorated types, with every default filled in.

SWF refuses to schedule a task whose timeouts or task list are neither in the decision nor
registered as the type's defaults, so every default is filled here: a workflow that names
no timeout still runs. Registering what exists already is not an error: a worker
registers its types each time it starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .._engine.definitions import ActivityDefinition, WorkflowDefinition
from .._wire import api
from .._wire.common import Request, TaskList
from ..exceptions import AlreadyExistsError

if TYPE_CHECKING:
    from .client import Client

# Defaults for what the decorators left open, chosen so a first workflow just works.
WORKFLOW_EXECUTION_TIMEOUT: Final = "2592000"  # 30 days; longer-lived workflows set their own
WORKFLOW_TASK_TIMEOUT: Final = "10"  # a decision that takes longer is a bug or a dead worker
ACTIVITY_START_TO_CLOSE: Final = "300"
# The faults that mean "registered already": a repeated registration answers False.
DOMAIN_EXISTS: Final = "DomainAlreadyExistsFault"
TYPE_EXISTS: Final = "TypeAlreadyExistsFault"


def domain_request(
    domain: str, retention_days: int | str, description: str | None
) -> api.RegisterDomainInput:
    """RegisterDomain for ``domain``."""
    return api.RegisterDomainInput(
        name=domain,
        workflow_execution_retention_period_in_days=str(retention_days),
        description=description or None,
    )


def _task_list(definition_list: str | None, task_list: str | None) -> TaskList | None:
    chosen = definition_list or task_list
    return TaskList(name=chosen) if chosen else None


def _priority(priority: int | None) -> str | None:
    return str(priority) if priority is not None else None


def workflow_type_request(
    domain: str, definition: WorkflowDefinition, task_list: str | None
) -> api.RegisterWorkflowTypeInput:
    """RegisterWorkflowType for ``definition``."""
    return api.RegisterWorkflowTypeInput(
        domain=domain,
        name=definition.name,
        version=definition.version,
        default_execution_start_to_close_timeout=definition.execution_start_to_close_timeout
        or WORKFLOW_EXECUTION_TIMEOUT,
        default_task_start_to_close_timeout=definition.task_start_to_close_timeout
        or WORKFLOW_TASK_TIMEOUT,
        default_child_policy=definition.child_policy or "TERMINATE",
        default_task_list=_task_list(definition.task_list, task_list),
        default_task_priority=_priority(definition.task_priority),
        default_lambda_role=definition.lambda_role or None,
        description=definition.description[:1024] if definition.description else None,
    )


def activity_type_request(
    domain: str, definition: ActivityDefinition, task_list: str | None
) -> api.RegisterActivityTypeInput:
    """RegisterActivityType for ``definition``."""
    return api.RegisterActivityTypeInput(
        domain=domain,
        name=definition.name,
        version=definition.version,
        default_task_start_to_close_timeout=definition.start_to_close_timeout
        or ACTIVITY_START_TO_CLOSE,
        default_task_schedule_to_start_timeout=definition.schedule_to_start_timeout or "NONE",
        default_task_schedule_to_close_timeout=definition.schedule_to_close_timeout or "NONE",
        default_task_heartbeat_timeout=definition.heartbeat_timeout or "NONE",
        default_task_list=_task_list(definition.task_list, task_list),
        default_task_priority=_priority(definition.task_priority),
        description=definition.description[:1024] if definition.description else None,
    )


async def register(client: Client, request: Request[None], exists: str) -> bool:
    """Send a registration; False where SWF answers ``exists`` (registered already)."""
    try:
        await client._send(request)
    except AlreadyExistsError as error:
        if error.code == exists:
            return False
        raise
    return True
