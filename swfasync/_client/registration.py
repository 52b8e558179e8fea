"""Registration requests built from the decorators' defaults.

SWF refuses to schedule a task whose timeouts or task list are neither in the decision nor
registered as the type's defaults, so every default is filled here: a workflow that names
no timeout still runs.
"""

from __future__ import annotations

from typing import Any, Final

from .._engine.definitions import ActivityDefinition, WorkflowDefinition

# Defaults for what the decorators left open, chosen so a first workflow just works.
WORKFLOW_EXECUTION_TIMEOUT: Final = "2592000"  # 30 days; longer-lived workflows set their own
WORKFLOW_TASK_TIMEOUT: Final = "10"  # a decision that takes longer is a bug or a dead worker
ACTIVITY_START_TO_CLOSE: Final = "300"


def workflow_type_request(
    domain: str, definition: WorkflowDefinition, task_list: str | None
) -> dict[str, Any]:
    """Keyword arguments of RegisterWorkflowType for ``definition``."""
    request: dict[str, Any] = {
        "domain": domain,
        "name": definition.name,
        "version": definition.version,
        "defaultExecutionStartToCloseTimeout": definition.execution_start_to_close_timeout
        or WORKFLOW_EXECUTION_TIMEOUT,
        "defaultTaskStartToCloseTimeout": definition.task_start_to_close_timeout
        or WORKFLOW_TASK_TIMEOUT,
        "defaultChildPolicy": definition.child_policy or "TERMINATE",
    }
    chosen = definition.task_list or task_list
    if chosen:
        request["defaultTaskList"] = {"name": chosen}
    if definition.task_priority is not None:
        request["defaultTaskPriority"] = str(definition.task_priority)
    if definition.lambda_role:
        request["defaultLambdaRole"] = definition.lambda_role
    if definition.description:
        request["description"] = definition.description[:1024]
    return request


def activity_type_request(
    domain: str, definition: ActivityDefinition, task_list: str | None
) -> dict[str, Any]:
    """Keyword arguments of RegisterActivityType for ``definition``."""
    request: dict[str, Any] = {
        "domain": domain,
        "name": definition.name,
        "version": definition.version,
        "defaultTaskStartToCloseTimeout": definition.start_to_close_timeout
        or ACTIVITY_START_TO_CLOSE,
        "defaultTaskScheduleToStartTimeout": definition.schedule_to_start_timeout or "NONE",
        "defaultTaskScheduleToCloseTimeout": definition.schedule_to_close_timeout or "NONE",
        "defaultTaskHeartbeatTimeout": definition.heartbeat_timeout or "NONE",
    }
    chosen = definition.task_list or task_list
    if chosen:
        request["defaultTaskList"] = {"name": chosen}
    if definition.task_priority is not None:
        request["defaultTaskPriority"] = str(definition.task_priority)
    if definition.description:
        request["description"] = definition.description[:1024]
    return request
