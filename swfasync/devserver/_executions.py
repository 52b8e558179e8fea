"""Operations on executions from outside: start, signal, request cancel, terminate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._faults import (
    DefaultUndefinedFault,
    TypeDeprecatedFault,
    WorkflowExecutionAlreadyStartedFault,
)
from ._state import Json, parse_duration, parse_priority

if TYPE_CHECKING:
    from ._backend import Backend

_DEFAULTED = (
    ("taskList", "defaultTaskList", "TASK_LIST"),
    (
        "executionStartToCloseTimeout",
        "defaultExecutionStartToCloseTimeout",
        "EXECUTION_START_TO_CLOSE_TIMEOUT",
    ),
    ("taskStartToCloseTimeout", "defaultTaskStartToCloseTimeout", "TASK_START_TO_CLOSE_TIMEOUT"),
    ("childPolicy", "defaultChildPolicy", "CHILD_POLICY"),
)


def resolve_workflow_params(config: Json, given: Json) -> tuple[Json, str | None]:
    """Fill a start's parameters from the type's defaults.

    Returns the resolved parameters and, if a required one has neither a value nor a
    default, its name in SWF's cause spelling (``EXECUTION_START_TO_CLOSE_TIMEOUT``...).
    """
    out: Json = {
        "input": given.get("input"),
        "tagList": given.get("tagList"),
        "taskPriority": given.get("taskPriority") or config.get("defaultTaskPriority"),
        "lambdaRole": given.get("lambdaRole") or config.get("defaultLambdaRole"),
    }
    for field, default, cause in _DEFAULTED:
        value = given.get(field) or config.get(default)
        if not value:
            return out, cause
        out[field] = value
    return out, None


def check_workflow_params(params: Json, path: str = "") -> None:
    parse_duration(
        params.get("executionStartToCloseTimeout"),
        path + "executionStartToCloseTimeout",
        allow_none=False,
    )
    parse_duration(params.get("taskStartToCloseTimeout"), path + "taskStartToCloseTimeout")
    parse_priority(params.get("taskPriority"), path + "taskPriority")


def start_workflow_execution(b: Backend, req: Json) -> Json:
    domain = b.domain(req["domain"], registered=True)
    record = b.get_type("workflow", domain.name, req["workflowType"])
    if record.status != "REGISTERED":
        wt = req["workflowType"]
        raise TypeDeprecatedFault(f"WorkflowType=[name={wt['name']}, version={wt['version']}]")
    check_workflow_params(req)
    params, missing = resolve_workflow_params(record.config, req)
    if missing is not None:
        raise DefaultUndefinedFault(f"No default value specified for {missing.lower()}")
    check_workflow_params(params)
    if (domain.name, req["workflowId"]) in b.open_ids:
        raise WorkflowExecutionAlreadyStartedFault(
            f"WorkflowExecution=[workflowId={req['workflowId']}] is already started"
        )
    ex = b.start_execution(domain.name, req["workflowId"], req["workflowType"], params)
    return {"runId": ex.run_id}


def signal_workflow_execution(b: Backend, req: Json) -> Json:
    b.domain(req["domain"])
    ex = b.open_execution(req["domain"], req["workflowId"], req.get("runId"))
    b.add_event(
        ex,
        "WorkflowExecutionSignaled",
        {"signalName": req["signalName"], "input": req.get("input")},
    )
    return {}


def request_cancel_workflow_execution(b: Backend, req: Json) -> Json:
    b.domain(req["domain"])
    ex = b.open_execution(req["domain"], req["workflowId"], req.get("runId"))
    b.request_cancel(ex, {})
    return {}


def terminate_workflow_execution(b: Backend, req: Json) -> Json:
    b.domain(req["domain"])
    ex = b.open_execution(req["domain"], req["workflowId"], req.get("runId"))
    b.terminate(
        ex,
        reason=req.get("reason"),
        details=req.get("details"),
        child_policy=req.get("childPolicy"),
        cause="OPERATOR_INITIATED",
    )
    return {}
