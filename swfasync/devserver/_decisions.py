"""RespondDecisionTaskCompleted: validate the whole batch, then apply each decision.

A batch that breaks a constraint is rejected whole (ValidationException) before anything
is recorded; a decision that is valid but cannot be applied records its ``*Failed`` event
with SWF's cause, and that event calls for a new decision task.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._executions import check_workflow_params, resolve_workflow_params
from ._faults import UnknownResourceFault
from ._state import (
    Activity,
    Child,
    Execution,
    Json,
    LambdaCall,
    Timer,
    deadline,
    decode_token,
    parse_duration,
    parse_priority,
)
from ._validation import invalid, service_model

if TYPE_CHECKING:
    from ._backend import Backend

CLOSE_DECISIONS = frozenset(
    {
        "CompleteWorkflowExecution",
        "FailWorkflowExecution",
        "CancelWorkflowExecution",
        "ContinueAsNewWorkflowExecution",
    }
)
MAX_OPEN_LAMBDAS = 50
DEFAULT_LAMBDA_TIMEOUT = "300"

_ACTIVITY_DURATIONS = (
    "scheduleToCloseTimeout",
    "scheduleToStartTimeout",
    "startToCloseTimeout",
    "heartbeatTimeout",
)


def attrs_name(decision_type: str) -> str:
    return decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"


def decision_task_execution(b: Backend, token: str) -> Execution:
    data = decode_token(token, "taskToken")
    ex = b.executions.get(str(data.get("r")))
    task = ex.decision if ex is not None else None
    if (
        ex is None
        or data.get("k") != "d"
        or not ex.is_open
        or task is None
        or task.started_event_id != data.get("s")
    ):
        raise UnknownResourceFault("Unknown decision task, it may have timed out or closed")
    return ex


@functools.cache
def _attributes_with_required_members() -> frozenset[str]:
    """The decision attribute members that cannot be left out (read from the model once:
    botocore builds its shape objects anew on every lookup)."""
    members = service_model().shape_for("Decision").members  # type: ignore[attr-defined]
    return frozenset(
        name
        for name, shape in members.items()
        if name.endswith("DecisionAttributes") and shape.required_members
    )


def check_request(req: Json) -> None:
    """The checks of a RespondDecisionTaskCompleted request beyond the model's, which need
    no state: the protocol runs them with the model's, off the event loop for a large
    body (a batch may hold hundreds of thousands of decisions)."""
    for i, decision in enumerate(req.get("decisions") or [], start=1):
        base = f"decisions.{i}.member"
        name = attrs_name(decision["decisionType"])
        attrs = decision.get(name)
        if attrs is None:
            if name in _attributes_with_required_members():
                raise invalid(None, f"{base}.{name}", "Member must not be null")
            continue
        for other in decision:
            if other.endswith("DecisionAttributes") and other != name:
                raise invalid(
                    decision["decisionType"],
                    f"{base}.decisionType",
                    f"Member must match the attributes given ({other})",
                )
        path = f"{base}.{name}."
        for key in (
            *_ACTIVITY_DURATIONS,
            "taskStartToCloseTimeout",
        ):
            if key in attrs:
                parse_duration(attrs[key], path + key)
        if "executionStartToCloseTimeout" in attrs:
            check_workflow_params(attrs, path)
        if "startToFireTimeout" in attrs:
            parse_duration(
                attrs["startToFireTimeout"], path + "startToFireTimeout", allow_none=False
            )
        if "taskPriority" in attrs:
            parse_priority(attrs["taskPriority"], path + "taskPriority")
    parse_duration(req.get("taskListScheduleToStartTimeout"), "taskListScheduleToStartTimeout")


def respond_decision_task_completed(b: Backend, req: Json) -> Json:
    ex = decision_task_execution(b, req["taskToken"])
    decisions: list[Json] = req.get("decisions") or []  # checked by check_request
    sticky = req.get("taskList")
    sticky_timeout = req.get("taskListScheduleToStartTimeout")
    task = ex.decision
    assert task is not None
    unhandled = ex.queued_decision is not None or ex.needs_decision
    completed = b.add_event(
        ex,
        "DecisionTaskCompleted",
        {
            "executionContext": req.get("executionContext"),
            "scheduledEventId": task.scheduled_event_id,
            "startedEventId": task.started_event_id,
            "taskList": sticky,
            "taskListScheduleToStartTimeout": sticky_timeout,
        },
    )
    b.finish_decision(ex)
    if req.get("executionContext") is not None:
        ex.latest_execution_context = req["executionContext"]
    if sticky is not None:
        ex.sticky_task_list = sticky["name"]
        ex.sticky_timeout = sticky_timeout
    for decision in decisions:
        if not ex.is_open:
            break
        apply = _APPLY[decision["decisionType"]]
        apply(b, ex, decision.get(attrs_name(decision["decisionType"])) or {}, completed, unhandled)
    return {}


Apply = Callable[["Backend", Execution, Json, int, bool], None]


def _schedule_activity(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    def fail(cause: str) -> None:
        b.add_event(
            ex,
            "ScheduleActivityTaskFailed",
            {
                "activityType": a["activityType"],
                "activityId": a["activityId"],
                "cause": cause,
                "decisionTaskCompletedEventId": dtc,
            },
        )

    record = b.find_type("activity", ex.domain, a["activityType"])
    if record is None:
        return fail("ACTIVITY_TYPE_DOES_NOT_EXIST")
    if record.status != "REGISTERED":
        return fail("ACTIVITY_TYPE_DEPRECATED")
    if a["activityId"] in ex.activities:
        return fail("ACTIVITY_ID_ALREADY_IN_USE")
    cfg = record.config
    task_list = a.get("taskList") or cfg.get("defaultTaskList")
    if not task_list:
        return fail("DEFAULT_TASK_LIST_UNDEFINED")
    resolved: dict[str, str] = {}
    for key, default, cause in (
        ("scheduleToStartTimeout", "defaultTaskScheduleToStartTimeout", "SCHEDULE_TO_START"),
        ("scheduleToCloseTimeout", "defaultTaskScheduleToCloseTimeout", "SCHEDULE_TO_CLOSE"),
        ("startToCloseTimeout", "defaultTaskStartToCloseTimeout", "START_TO_CLOSE"),
        ("heartbeatTimeout", "defaultTaskHeartbeatTimeout", "HEARTBEAT"),
    ):
        value = a.get(key) or cfg.get(default)
        if not value:
            if key == "heartbeatTimeout":
                value = "NONE"
            else:
                return fail(f"DEFAULT_{cause}_TIMEOUT_UNDEFINED")
        resolved[key] = value
    priority = a.get("taskPriority") or cfg.get("defaultTaskPriority")
    event_id = b.add_event(
        ex,
        "ActivityTaskScheduled",
        {
            "activityType": a["activityType"],
            "activityId": a["activityId"],
            "input": a.get("input"),
            "control": a.get("control"),
            "scheduleToStartTimeout": resolved["scheduleToStartTimeout"],
            "scheduleToCloseTimeout": resolved["scheduleToCloseTimeout"],
            "startToCloseTimeout": resolved["startToCloseTimeout"],
            "taskList": {"name": task_list["name"]},
            "taskPriority": priority,
            "decisionTaskCompletedEventId": dtc,
            "heartbeatTimeout": resolved["heartbeatTimeout"],
        },
    )
    if not event_id:
        return None
    now = b.clock.now()
    ex.activities[a["activityId"]] = Activity(
        activity_id=a["activityId"],
        activity_type=a["activityType"],
        scheduled_event_id=event_id,
        task_list=task_list["name"],
        priority=parse_priority(priority, "taskPriority"),
        seq=b.next_seq(),
        input=a.get("input"),
        start_to_close=resolved["startToCloseTimeout"],
        heartbeat=resolved["heartbeatTimeout"],
        schedule_to_start_deadline=deadline(now, resolved["scheduleToStartTimeout"]),
        schedule_to_close_deadline=deadline(now, resolved["scheduleToCloseTimeout"]),
    )
    b.enqueue_activity(ex, a["activityId"])
    return None


def _request_cancel_activity(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    act = ex.activities.get(a["activityId"])
    if act is None:
        b.add_event(
            ex,
            "RequestCancelActivityTaskFailed",
            {
                "activityId": a["activityId"],
                "cause": "ACTIVITY_ID_UNKNOWN",
                "decisionTaskCompletedEventId": dtc,
            },
        )
        return
    requested = b.add_event(
        ex,
        "ActivityTaskCancelRequested",
        {"decisionTaskCompletedEventId": dtc, "activityId": a["activityId"]},
    )
    if act.started_event_id:
        act.cancel_requested_event_id = requested
        return
    del ex.activities[a["activityId"]]
    b.add_event(
        ex,
        "ActivityTaskCanceled",
        {
            "scheduledEventId": act.scheduled_event_id,
            "startedEventId": 0,
            "latestCancelRequestedEventId": requested,
        },
    )


def _close_failed(b: Backend, ex: Execution, decision_type: str, cause: str, dtc: int) -> None:
    event = decision_type.removesuffix("Execution") + "ExecutionFailed"
    b.add_event(ex, event, {"cause": cause, "decisionTaskCompletedEventId": dtc})


def _complete(b: Backend, ex: Execution, a: Json, dtc: int, unhandled: bool) -> None:
    if unhandled:
        return _close_failed(b, ex, "CompleteWorkflowExecution", "UNHANDLED_DECISION", dtc)
    b.close(
        ex,
        "COMPLETED",
        "WorkflowExecutionCompleted",
        {"result": a.get("result"), "decisionTaskCompletedEventId": dtc},
    )
    return None


def _fail(b: Backend, ex: Execution, a: Json, dtc: int, unhandled: bool) -> None:
    if unhandled:
        return _close_failed(b, ex, "FailWorkflowExecution", "UNHANDLED_DECISION", dtc)
    b.close(
        ex,
        "FAILED",
        "WorkflowExecutionFailed",
        {
            "reason": a.get("reason"),
            "details": a.get("details"),
            "decisionTaskCompletedEventId": dtc,
        },
    )
    return None


def _cancel(b: Backend, ex: Execution, a: Json, dtc: int, unhandled: bool) -> None:
    if unhandled:
        return _close_failed(b, ex, "CancelWorkflowExecution", "UNHANDLED_DECISION", dtc)
    b.close(
        ex,
        "CANCELED",
        "WorkflowExecutionCanceled",
        {"details": a.get("details"), "decisionTaskCompletedEventId": dtc},
    )
    return None


def _continue_as_new(b: Backend, ex: Execution, a: Json, dtc: int, unhandled: bool) -> None:
    def fail(cause: str) -> None:
        _close_failed(b, ex, "ContinueAsNewWorkflowExecution", cause, dtc)

    if unhandled:
        return fail("UNHANDLED_DECISION")
    wtype = {
        "name": ex.workflow_type["name"],
        "version": a.get("workflowTypeVersion") or ex.workflow_type["version"],
    }
    record = b.find_type("workflow", ex.domain, wtype)
    if record is None:
        return fail("WORKFLOW_TYPE_DOES_NOT_EXIST")
    if record.status != "REGISTERED":
        return fail("WORKFLOW_TYPE_DEPRECATED")
    params, missing = resolve_workflow_params(record.config, a)
    if missing is not None:
        return fail(f"DEFAULT_{missing}_UNDEFINED")
    from ._backend import new_run_id

    run_id = new_run_id()
    b.close(
        ex,
        "CONTINUED_AS_NEW",
        "WorkflowExecutionContinuedAsNew",
        {
            "input": params.get("input"),
            "decisionTaskCompletedEventId": dtc,
            "newExecutionRunId": run_id,
            "executionStartToCloseTimeout": params["executionStartToCloseTimeout"],
            "taskList": {"name": params["taskList"]["name"]},
            "taskPriority": params.get("taskPriority"),
            "taskStartToCloseTimeout": params["taskStartToCloseTimeout"],
            "childPolicy": params["childPolicy"],
            "tagList": params.get("tagList"),
            "workflowType": wtype,
            "lambdaRole": params.get("lambdaRole"),
        },
    )
    if ex.close_status != "CONTINUED_AS_NEW":
        return None
    new = b.start_execution(
        ex.domain,
        ex.workflow_id,
        wtype,
        params,
        parent=ex.parent,
        parent_initiated_event_id=ex.parent_initiated_event_id,
        continued_from=ex.run_id,
        run_id=run_id,
    )
    if ex.parent is not None:
        parent = b.executions.get(ex.parent["runId"])
        child = parent.children.get(str(ex.parent_initiated_event_id)) if parent else None
        if child is not None:
            child.run_id = new.run_id
            assert parent is not None
            b.touch(parent)
    return None


def _record_marker(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    b.add_event(
        ex,
        "MarkerRecorded",
        {
            "markerName": a["markerName"],
            "details": a.get("details"),
            "decisionTaskCompletedEventId": dtc,
        },
    )


def _start_timer(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    if a["timerId"] in ex.timers:
        b.add_event(
            ex,
            "StartTimerFailed",
            {
                "timerId": a["timerId"],
                "cause": "TIMER_ID_ALREADY_IN_USE",
                "decisionTaskCompletedEventId": dtc,
            },
        )
        return
    event_id = b.add_event(
        ex,
        "TimerStarted",
        {
            "timerId": a["timerId"],
            "control": a.get("control"),
            "startToFireTimeout": a["startToFireTimeout"],
            "decisionTaskCompletedEventId": dtc,
        },
    )
    if event_id:
        ex.timers[a["timerId"]] = Timer(
            a["timerId"], event_id, b.clock.now() + int(a["startToFireTimeout"])
        )


def _cancel_timer(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    timer = ex.timers.pop(a["timerId"], None)
    if timer is None:
        b.add_event(
            ex,
            "CancelTimerFailed",
            {
                "timerId": a["timerId"],
                "cause": "TIMER_ID_UNKNOWN",
                "decisionTaskCompletedEventId": dtc,
            },
        )
        return
    b.add_event(
        ex,
        "TimerCanceled",
        {
            "timerId": timer.timer_id,
            "startedEventId": timer.started_event_id,
            "decisionTaskCompletedEventId": dtc,
        },
    )


def _initiate_external(
    b: Backend, ex: Execution, a: Json, dtc: int, action: str, extra: Json
) -> tuple[int, Execution | None]:
    """Record ``<action>Initiated``; find the open target, or record ``<action>Failed``.

    ``action`` is ``SignalExternalWorkflowExecution`` or
    ``RequestCancelExternalWorkflowExecution``: both name their target the same way and
    fail the same way when no open execution matches it.
    """
    target_ref = {"workflowId": a["workflowId"], "runId": a.get("runId")}
    initiated = b.add_event(
        ex,
        f"{action}Initiated",
        {**target_ref, **extra, "decisionTaskCompletedEventId": dtc, "control": a.get("control")},
    )
    try:
        target = b.open_execution(ex.domain, a["workflowId"], a.get("runId"))
    except UnknownResourceFault:
        b.add_event(
            ex,
            f"{action}Failed",
            {
                **target_ref,
                "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
                "initiatedEventId": initiated,
                "decisionTaskCompletedEventId": dtc,
                "control": a.get("control"),
            },
        )
        return initiated, None
    return initiated, target


def _signal_external(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    initiated, target = _initiate_external(
        b,
        ex,
        a,
        dtc,
        "SignalExternalWorkflowExecution",
        {"signalName": a["signalName"], "input": a.get("input")},
    )
    if target is None:
        return
    b.add_event(
        target,
        "WorkflowExecutionSignaled",
        {
            "signalName": a["signalName"],
            "input": a.get("input"),
            "externalWorkflowExecution": ex.ref,
            "externalInitiatedEventId": initiated,
        },
    )
    b.add_event(
        ex,
        "ExternalWorkflowExecutionSignaled",
        {"workflowExecution": target.ref, "initiatedEventId": initiated},
    )


def _request_cancel_external(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    initiated, target = _initiate_external(
        b, ex, a, dtc, "RequestCancelExternalWorkflowExecution", {}
    )
    if target is None:
        return
    b.request_cancel(
        target, {"externalWorkflowExecution": ex.ref, "externalInitiatedEventId": initiated}
    )
    b.add_event(
        ex,
        "ExternalWorkflowExecutionCancelRequested",
        {"workflowExecution": target.ref, "initiatedEventId": initiated},
    )


def _start_child(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    def fail(cause: str, initiated: int) -> None:
        b.add_event(
            ex,
            "StartChildWorkflowExecutionFailed",
            {
                "workflowType": a["workflowType"],
                "cause": cause,
                "workflowId": a["workflowId"],
                "initiatedEventId": initiated,
                "decisionTaskCompletedEventId": dtc,
                "control": a.get("control"),
            },
        )

    record = b.find_type("workflow", ex.domain, a["workflowType"])
    if record is None:
        return fail("WORKFLOW_TYPE_DOES_NOT_EXIST", 0)
    if record.status != "REGISTERED":
        return fail("WORKFLOW_TYPE_DEPRECATED", 0)
    params, missing = resolve_workflow_params(record.config, a)
    if missing is not None:
        return fail(f"DEFAULT_{missing}_UNDEFINED", 0)
    initiated = b.add_event(
        ex,
        "StartChildWorkflowExecutionInitiated",
        {
            "workflowId": a["workflowId"],
            "workflowType": a["workflowType"],
            "control": a.get("control"),
            "input": params.get("input"),
            "executionStartToCloseTimeout": params["executionStartToCloseTimeout"],
            "taskList": {"name": params["taskList"]["name"]},
            "taskPriority": params.get("taskPriority"),
            "decisionTaskCompletedEventId": dtc,
            "childPolicy": params["childPolicy"],
            "taskStartToCloseTimeout": params["taskStartToCloseTimeout"],
            "tagList": params.get("tagList"),
            "lambdaRole": params.get("lambdaRole"),
        },
    )
    if not initiated:
        return None
    if (ex.domain, a["workflowId"]) in b.open_ids:
        return fail("WORKFLOW_ALREADY_RUNNING", initiated)
    child = b.start_execution(
        ex.domain,
        a["workflowId"],
        a["workflowType"],
        params,
        parent=ex.ref,
        parent_initiated_event_id=initiated,
    )
    started = b.add_event(
        ex,
        "ChildWorkflowExecutionStarted",
        {
            "workflowExecution": child.ref,
            "workflowType": child.workflow_type,
            "initiatedEventId": initiated,
        },
    )
    ex.children[str(initiated)] = Child(
        initiated_event_id=initiated,
        workflow_id=child.workflow_id,
        workflow_type=child.workflow_type,
        run_id=child.run_id,
        started_event_id=started,
    )
    return None


def _schedule_lambda(b: Backend, ex: Execution, a: Json, dtc: int, _: bool) -> None:
    def fail(cause: str) -> None:
        b.add_event(
            ex,
            "ScheduleLambdaFunctionFailed",
            {"id": a["id"], "name": a["name"], "cause": cause, "decisionTaskCompletedEventId": dtc},
        )

    if a["id"] in ex.lambdas:
        return fail("ID_ALREADY_IN_USE")
    if len(ex.lambdas) >= MAX_OPEN_LAMBDAS:
        return fail("OPEN_LAMBDA_FUNCTIONS_LIMIT_EXCEEDED")
    if a["name"] not in b.lambdas:
        # nothing by that name in the local registry: Lambda cannot serve it here
        return fail("LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION")
    timeout = a.get("startToCloseTimeout") or DEFAULT_LAMBDA_TIMEOUT
    scheduled = b.add_event(
        ex,
        "LambdaFunctionScheduled",
        {
            "id": a["id"],
            "name": a["name"],
            "control": a.get("control"),
            "input": a.get("input"),
            "startToCloseTimeout": timeout,
            "decisionTaskCompletedEventId": dtc,
        },
    )
    if not scheduled:
        return None
    if not ex.lambda_role:
        b.add_event(
            ex,
            "StartLambdaFunctionFailed",
            {
                "scheduledEventId": scheduled,
                "cause": "ASSUME_ROLE_FAILED",
                "message": "The workflow execution has no lambdaRole to invoke Lambda functions",
            },
        )
        return None
    started = b.add_event(ex, "LambdaFunctionStarted", {"scheduledEventId": scheduled})
    ex.lambdas[a["id"]] = LambdaCall(
        lambda_id=a["id"],
        name=a["name"],
        scheduled_event_id=scheduled,
        input=a.get("input"),
        started_event_id=started,
        deadline=deadline(b.clock.now(), timeout),
    )
    b.run_lambda(ex, a["id"])
    return None


_APPLY: dict[str, Any] = {
    "ScheduleActivityTask": _schedule_activity,
    "RequestCancelActivityTask": _request_cancel_activity,
    "CompleteWorkflowExecution": _complete,
    "FailWorkflowExecution": _fail,
    "CancelWorkflowExecution": _cancel,
    "ContinueAsNewWorkflowExecution": _continue_as_new,
    "RecordMarker": _record_marker,
    "StartTimer": _start_timer,
    "CancelTimer": _cancel_timer,
    "SignalExternalWorkflowExecution": _signal_external,
    "RequestCancelExternalWorkflowExecution": _request_cancel_external,
    "StartChildWorkflowExecution": _start_child,
    "ScheduleLambdaFunction": _schedule_lambda,
}
