"""Visibility: listing, counting and describing executions, reading histories, and the
domain retention period that bounds how long closed executions stay visible."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._faults import UnknownResourceFault, ValidationFault
from ._state import Execution, Json, paged_answer

if TYPE_CHECKING:
    from ._backend import Backend


def purge_expired(b: Backend) -> None:
    """Forget closed executions older than their domain's retention period."""
    now = b.clock.now()
    queue = b.retention_queue
    while queue and queue[0][0] < now:
        _, run_id = heapq.heappop(queue)
        ex = b.executions.get(run_id)
        if ex is not None:
            b.drop_execution(ex)


def execution_info(ex: Execution) -> Json:
    info: Json = {
        "execution": ex.ref,
        "workflowType": ex.workflow_type,
        "startTimestamp": ex.start_ts,
        "executionStatus": ex.status,
        "cancelRequested": ex.cancel_requested,
    }
    if ex.close_ts is not None:
        info["closeTimestamp"] = ex.close_ts
        info["closeStatus"] = ex.close_status
    if ex.parent is not None:
        info["parent"] = ex.parent
    if ex.tag_list:
        info["tagList"] = list(ex.tag_list)
    return info


def _exclusive(req: Json, names: Iterable[str]) -> None:
    given = [n for n in names if req.get(n) is not None]
    if len(given) > 1:
        raise ValidationFault(
            f"Only one of {', '.join(given)} may be specified (they are mutually exclusive)"
        )


def _in_range(value: float | None, time_filter: Json | None) -> bool:
    if time_filter is None:
        return True
    if value is None:
        return False
    latest = time_filter.get("latestDate")
    return time_filter["oldestDate"] <= value and (latest is None or value <= latest)


def _matching(b: Backend, req: Json, status: str) -> list[Execution]:
    b.domain(req["domain"])
    purge_expired(b)
    if status == "OPEN":
        _exclusive(req, ("executionFilter", "typeFilter", "tagFilter"))
    else:
        _exclusive(req, ("startTimeFilter", "closeTimeFilter"))
        if req.get("startTimeFilter") is None and req.get("closeTimeFilter") is None:
            raise ValidationFault("Either startTimeFilter or closeTimeFilter must be specified")
        _exclusive(req, ("executionFilter", "closeStatusFilter", "typeFilter", "tagFilter"))
    ef = req.get("executionFilter")
    tf = req.get("typeFilter")
    tag = req.get("tagFilter")
    cs = req.get("closeStatusFilter")
    found = [
        ex
        for ex in b.domain_executions.get(req["domain"], {}).values()
        if ex.status == status
        and _in_range(ex.start_ts, req.get("startTimeFilter"))
        and _in_range(ex.close_ts, req.get("closeTimeFilter"))
        and (ef is None or ex.workflow_id == ef["workflowId"])
        and (
            tf is None
            or (
                ex.workflow_type["name"] == tf["name"]
                and (tf.get("version") is None or ex.workflow_type["version"] == tf["version"])
            )
        )
        and (tag is None or tag["tag"] in ex.tag_list)
        and (cs is None or ex.close_status == cs["status"])
    ]
    by_close = req.get("closeTimeFilter") is not None
    found.sort(
        key=lambda e: (e.close_ts or 0.0) if by_close else e.start_ts,
        reverse=not req.get("reverseOrder"),
    )
    return found


def _list(b: Backend, req: Json, status: str) -> Json:
    found = _matching(b, req, status)
    return paged_answer(b.page_tokens, found, req, "executionInfos", execution_info)


def list_open_workflow_executions(b: Backend, req: Json) -> Json:
    if req.get("startTimeFilter") is None:
        raise ValidationFault("startTimeFilter must be specified")
    return _list(b, req, "OPEN")


def list_closed_workflow_executions(b: Backend, req: Json) -> Json:
    return _list(b, req, "CLOSED")


def count_open_workflow_executions(b: Backend, req: Json) -> Json:
    return {"count": len(_matching(b, req, "OPEN")), "truncated": False}


def count_closed_workflow_executions(b: Backend, req: Json) -> Json:
    return {"count": len(_matching(b, req, "CLOSED")), "truncated": False}


def _execution(b: Backend, req: Json) -> Execution:
    b.domain(req["domain"])
    purge_expired(b)
    ref = req["execution"]
    ex = b.executions.get(ref["runId"])
    if ex is None or ex.domain != req["domain"] or ex.workflow_id != ref["workflowId"]:
        raise UnknownResourceFault(
            f"Unknown execution: WorkflowExecution=[workflowId={ref['workflowId']}, "
            f"runId={ref['runId']}]"
        )
    return ex


def describe_workflow_execution(b: Backend, req: Json) -> Json:
    ex = _execution(b, req)
    config: Json = {
        "taskStartToCloseTimeout": ex.task_timeout,
        "executionStartToCloseTimeout": ex.execution_timeout,
        "taskList": {"name": ex.task_list},
        "childPolicy": ex.child_policy,
    }
    if ex.task_priority is not None:
        config["taskPriority"] = ex.task_priority
    if ex.lambda_role is not None:
        config["lambdaRole"] = ex.lambda_role
    open_children = 0
    for child in ex.children.values():
        target = b.executions.get(child.run_id)
        if target is not None and target.is_open:
            open_children += 1
    out: Json = {
        "executionInfo": execution_info(ex),
        "executionConfiguration": config,
        "openCounts": {
            "openActivityTasks": len(ex.activities),
            "openDecisionTasks": 1 if ex.decision is not None else 0,
            "openTimers": len(ex.timers),
            "openChildWorkflowExecutions": open_children if ex.is_open else 0,
            "openLambdaFunctions": len(ex.lambdas),
        },
    }
    if ex.latest_activity_ts is not None:
        out["latestActivityTaskTimestamp"] = ex.latest_activity_ts
    if ex.latest_execution_context is not None:
        out["latestExecutionContext"] = ex.latest_execution_context
    return out


def get_workflow_execution_history(b: Backend, req: Json) -> Json:
    ex = _execution(b, req)
    history = b.events(ex)
    # positions rather than events: a page of a long history copies only that page
    order = range(len(history))
    if req.get("reverseOrder"):
        order = order[::-1]
    return paged_answer(b.page_tokens, order, req, "events", history.__getitem__)
