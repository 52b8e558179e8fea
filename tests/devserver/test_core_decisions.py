"""Decision semantics: every decision, its *Failed causes, coalescing and UNHANDLED_DECISION."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from swfasync.devserver import DevServer

from .conftest import DOMAIN, Client, Helper, Json, attrs, complete, schedule, start_timer, types_of


def d(decision_type: str, **attributes: Any) -> Json:
    key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    return {"decisionType": decision_type, key: attributes}


def failed(events: list[Json], event_type: str) -> list[Json]:
    return [attrs(e) for e in events if e["eventType"] == event_type]


async def test_unhandled_decision_and_coalescing(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    task = await h.decide()
    for name in ("s1", "s2"):
        await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName=name)
    await h.respond(task, complete())
    events = await h.history("wf-1", run_id)
    assert types_of(events)[3:] == [
        "WorkflowExecutionSignaled",
        "DecisionTaskScheduled",  # one follow-up for both signals
        "WorkflowExecutionSignaled",
        "DecisionTaskCompleted",
        "CompleteWorkflowExecutionFailed",
    ]
    assert attrs(events[-1]) == {"cause": "UNHANDLED_DECISION", "decisionTaskCompletedEventId": 7}
    task = await h.decide()
    assert task["previousStartedEventId"] == 3
    await h.respond(task, complete())
    assert (await h.history("wf-1", run_id))[-1]["eventType"] == "WorkflowExecutionCompleted"


async def test_invalid_batch_rejected_whole(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    task = await h.decide()
    with pytest.raises(ClientError) as info:
        await h.respond(
            task, start_timer("ok", 5), d("StartTimer", timerId="bad", startToFireTimeout="NONE")
        )
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "startToFireTimeout" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        await h.respond(task, d("StartTimer", timerId="t", startToFireTimeout="soon"))
    assert len(await h.history("wf-1", run_id)) == 3  # nothing recorded
    await h.respond(task, start_timer("ok", 5))
    with pytest.raises(ClientError) as info:
        await h.respond(task, complete())
    assert info.value.response["Error"]["Code"] == "UnknownResourceFault"


async def test_failed_decisions_record_causes(h: Helper, swf: Client) -> None:
    await swf.register_activity_type(domain=DOMAIN, name="bare", version="1")
    await swf.register_activity_type(domain=DOMAIN, name="old", version="1")
    await swf.deprecate_activity_type(domain=DOMAIN, activityType={"name": "old", "version": "1"})
    run_id = await h.start()
    await h.respond(
        await h.decide(),
        schedule("a"),
        schedule("a"),
        d("ScheduleActivityTask", activityType={"name": "zzz", "version": "1"}, activityId="b"),
        d("ScheduleActivityTask", activityType={"name": "old", "version": "1"}, activityId="c"),
        d("ScheduleActivityTask", activityType={"name": "bare", "version": "1"}, activityId="e"),
        d(
            "ScheduleActivityTask",
            activityType={"name": "bare", "version": "1"},
            activityId="f",
            taskList={"name": "x"},
        ),
        d(
            "ScheduleActivityTask",
            activityType={"name": "bare", "version": "1"},
            activityId="g",
            taskList={"name": "x"},
            scheduleToStartTimeout="1",
        ),
        d(
            "ScheduleActivityTask",
            activityType={"name": "bare", "version": "1"},
            activityId="h",
            taskList={"name": "x"},
            scheduleToStartTimeout="1",
            scheduleToCloseTimeout="1",
        ),
        start_timer("t", 10),
        start_timer("t", 10),
        d("CancelTimer", timerId="nope"),
        d("RequestCancelActivityTask", activityId="nope"),
        d(
            "StartChildWorkflowExecution",
            workflowType={"name": "x", "version": "1"},
            workflowId="c",
        ),
        d("SignalExternalWorkflowExecution", workflowId="nobody", signalName="s", control="c"),
        d("RequestCancelExternalWorkflowExecution", workflowId="nobody"),
        d("ScheduleLambdaFunction", id="l1", name="unregistered"),
    )
    events = await h.history("wf-1", run_id)
    causes = [a["cause"] for a in failed(events, "ScheduleActivityTaskFailed")]
    assert causes == [
        "ACTIVITY_ID_ALREADY_IN_USE",
        "ACTIVITY_TYPE_DOES_NOT_EXIST",
        "ACTIVITY_TYPE_DEPRECATED",
        "DEFAULT_TASK_LIST_UNDEFINED",
        "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED",
        "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED",
        "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED",
    ]
    assert failed(events, "StartTimerFailed") == [
        {"timerId": "t", "cause": "TIMER_ID_ALREADY_IN_USE", "decisionTaskCompletedEventId": 4}
    ]
    assert failed(events, "CancelTimerFailed")[0]["cause"] == "TIMER_ID_UNKNOWN"
    assert failed(events, "RequestCancelActivityTaskFailed")[0]["cause"] == "ACTIVITY_ID_UNKNOWN"
    child = failed(events, "StartChildWorkflowExecutionFailed")[0]
    assert child == {
        "workflowType": {"name": "x", "version": "1"},
        "cause": "WORKFLOW_TYPE_DOES_NOT_EXIST",
        "workflowId": "c",
        "initiatedEventId": 0,
        "decisionTaskCompletedEventId": 4,
    }
    signal = failed(events, "SignalExternalWorkflowExecutionFailed")[0]
    initiated = [
        e["eventId"] for e in events if e["eventType"] == "SignalExternalWorkflowExecutionInitiated"
    ]
    assert signal == {
        "workflowId": "nobody",
        "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
        "initiatedEventId": initiated[0],
        "decisionTaskCompletedEventId": 4,
        "control": "c",
    }
    cancel = failed(events, "RequestCancelExternalWorkflowExecutionFailed")[0]
    assert cancel["cause"] == "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"
    assert failed(events, "ScheduleLambdaFunctionFailed") == [
        {
            "id": "l1",
            "name": "unregistered",
            "cause": "LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION",
            "decisionTaskCompletedEventId": 4,
        }
    ]
    assert events[-2]["eventType"] == "ScheduleLambdaFunctionFailed"
    assert events[-1]["eventType"] == "DecisionTaskScheduled"  # the failures call for a decision


async def test_activity_cancellation(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    await h.respond(
        await h.decide(), schedule("queued"), schedule("running", taskList={"name": "r"})
    )
    running = await h.work("r")
    await h.respond(
        await _next_after(h, swf, run_id),
        d("RequestCancelActivityTask", activityId="queued"),
        d("RequestCancelActivityTask", activityId="running"),
    )
    events = await h.history("wf-1", run_id)
    canceled = failed(events, "ActivityTaskCanceled")
    assert canceled == [
        {"scheduledEventId": 5, "startedEventId": 0, "latestCancelRequestedEventId": 12}
    ]
    status = await swf.record_activity_task_heartbeat(taskToken=running["taskToken"])
    assert status["cancelRequested"] is True
    await swf.respond_activity_task_canceled(taskToken=running["taskToken"], details="undone")
    events = await h.history("wf-1", run_id)
    assert failed(events, "ActivityTaskCanceled")[1] == {
        "details": "undone",
        "scheduledEventId": 6,
        "startedEventId": 7,
        "latestCancelRequestedEventId": 14,
    }
    pending = await swf.count_pending_activity_tasks(domain=DOMAIN, taskList={"name": "workers"})
    assert pending == {
        "count": 0,
        "truncated": False,
        "ResponseMetadata": pending["ResponseMetadata"],
    }


async def _next_after(h: Helper, swf: Client, run_id: str) -> Json:
    """Make the execution decidable (a signal) and take the decision task."""
    await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="go")
    return await h.decide()


async def test_timers_markers_signals(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    await h.respond(
        await h.decide(),
        start_timer("t1", 100),
        d("RecordMarker", markerName="m", details="x"),
        d("SignalExternalWorkflowExecution", workflowId="wf-1", signalName="self", input="i"),
    )
    await h.respond(await h.decide(), d("CancelTimer", timerId="t1"))
    events = await h.history("wf-1", run_id)
    assert types_of(events)[4:] == [
        "TimerStarted",
        "MarkerRecorded",
        "SignalExternalWorkflowExecutionInitiated",
        "WorkflowExecutionSignaled",
        "ExternalWorkflowExecutionSignaled",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "TimerCanceled",
    ]
    assert attrs(events[7]) == {
        "signalName": "self",
        "input": "i",
        "externalWorkflowExecution": {"workflowId": "wf-1", "runId": run_id},
        "externalInitiatedEventId": 7,
    }
    assert attrs(events[8]) == {
        "workflowExecution": {"workflowId": "wf-1", "runId": run_id},
        "initiatedEventId": 7,
    }
    assert attrs(events[-1]) == {
        "timerId": "t1",
        "startedEventId": 5,
        "decisionTaskCompletedEventId": 12,
    }
    assert attrs(events[5]) == {
        "markerName": "m",
        "details": "x",
        "decisionTaskCompletedEventId": 4,
    }


async def test_children_and_child_policies(h: Helper, swf: Client) -> None:
    parent_run = await h.start("parent", childPolicy="REQUEST_CANCEL")
    await h.respond(
        await h.decide(),
        d(
            "StartChildWorkflowExecution",
            workflowType={"name": "wf", "version": "1"},
            workflowId="kid",
            taskList={"name": "kids"},
            input="hi",
            control="ctl",
        ),
        d(
            "StartChildWorkflowExecution",
            workflowType={"name": "wf", "version": "1"},
            workflowId="parent",
        ),
    )
    kid_task = await h.decide("kids")
    kid_run = kid_task["workflowExecution"]["runId"]
    assert attrs(kid_task["events"][0])["parentWorkflowExecution"] == {
        "workflowId": "parent",
        "runId": parent_run,
    }
    assert attrs(kid_task["events"][0])["parentInitiatedEventId"] == 5
    events = await h.history("parent", parent_run)
    assert types_of(events)[4:8] == [
        "StartChildWorkflowExecutionInitiated",
        "ChildWorkflowExecutionStarted",
        "StartChildWorkflowExecutionInitiated",
        "StartChildWorkflowExecutionFailed",
    ]
    assert attrs(events[7])["cause"] == "WORKFLOW_ALREADY_RUNNING"
    assert attrs(events[7])["initiatedEventId"] == 7
    # parent asks the child to cancel; child cancels; parent hears of it
    await h.respond(await h.decide(), d("RequestCancelExternalWorkflowExecution", workflowId="kid"))
    await h.respond(kid_task)
    kid_task = await h.decide("kids")
    assert "WorkflowExecutionCancelRequested" in types_of(kid_task["events"])
    await h.respond(kid_task, d("CancelWorkflowExecution", details="bye"))
    task = await h.decide()
    # the parent's decision task was already scheduled: the close coalesces into it
    assert types_of(task["events"])[-5:] == [
        "RequestCancelExternalWorkflowExecutionInitiated",
        "ExternalWorkflowExecutionCancelRequested",
        "DecisionTaskScheduled",
        "ChildWorkflowExecutionCanceled",
        "DecisionTaskStarted",
    ]
    assert attrs(task["events"][-2]) == {
        "workflowExecution": {"workflowId": "kid", "runId": kid_run},
        "workflowType": {"name": "wf", "version": "1"},
        "details": "bye",
        "initiatedEventId": 5,
        "startedEventId": 6,
    }
    # a second child, then the parent is terminated: REQUEST_CANCEL reaches the child
    await h.respond(
        task,
        d(
            "StartChildWorkflowExecution",
            workflowType={"name": "wf", "version": "1"},
            workflowId="kid2",
            taskList={"name": "kids"},
            childPolicy="TERMINATE",
        ),
    )
    await swf.terminate_workflow_execution(domain=DOMAIN, workflowId="parent", reason="stop")
    events = await h.history("parent", parent_run)
    assert attrs(events[-1]) == {
        "reason": "stop",
        "childPolicy": "REQUEST_CANCEL",
        "cause": "OPERATOR_INITIATED",
    }
    kid2 = await h.decide("kids")
    kid2_events = await h.history("kid2", kid2["workflowExecution"]["runId"])
    cancel = [attrs(e) for e in kid2_events if e["eventType"] == "WorkflowExecutionCancelRequested"]
    assert cancel == [{"cause": "CHILD_POLICY_APPLIED"}]


async def test_terminate_child_policy(h: Helper, swf: Client) -> None:
    parent_run = await h.start("parent")
    await h.respond(
        await h.decide(),
        d(
            "StartChildWorkflowExecution",
            workflowType={"name": "wf", "version": "1"},
            workflowId="kid",
            taskList={"name": "kids"},
        ),
    )
    kid = await h.decide("kids")
    await swf.terminate_workflow_execution(domain=DOMAIN, workflowId="parent")
    kid_events = await h.history("kid", kid["workflowExecution"]["runId"])
    assert attrs(kid_events[-1]) == {"childPolicy": "TERMINATE", "cause": "CHILD_POLICY_APPLIED"}
    parent_events = await h.history("parent", parent_run)
    assert parent_events[-1]["eventType"] == "WorkflowExecutionTerminated"


async def test_continue_as_new(h: Helper, swf: Client) -> None:
    run_id = await h.start(tagList=["t"])
    await h.respond(
        await h.decide(), d("ContinueAsNewWorkflowExecution", input="next", tagList=["t2"])
    )
    events = await h.history("wf-1", run_id)
    continued = attrs(events[-1])
    new_run = continued.pop("newExecutionRunId")
    assert new_run != run_id
    assert continued == {
        "input": "next",
        "decisionTaskCompletedEventId": 4,
        "executionStartToCloseTimeout": "3600",
        "taskList": {"name": "deciders"},
        "taskStartToCloseTimeout": "30",
        "childPolicy": "TERMINATE",
        "tagList": ["t2"],
        "workflowType": {"name": "wf", "version": "1"},
    }
    task = await h.decide()
    assert task["workflowExecution"] == {"workflowId": "wf-1", "runId": new_run}
    started = attrs(task["events"][0])
    assert started["continuedExecutionRunId"] == run_id
    assert started["input"] == "next"
    await h.respond(task, d("ContinueAsNewWorkflowExecution", workflowTypeVersion="9"))
    events = await h.history("wf-1", new_run)
    assert attrs(events[-2]) == {
        "cause": "WORKFLOW_TYPE_DOES_NOT_EXIST",
        "decisionTaskCompletedEventId": 4,
    }
    info = await swf.describe_workflow_execution(
        domain=DOMAIN, execution={"workflowId": "wf-1", "runId": run_id}
    )
    assert info["executionInfo"]["closeStatus"] == "CONTINUED_AS_NEW"


async def test_lambda_functions(server: DevServer, h: Helper, swf: Client) -> None:
    async def shout(data: str | None) -> str:
        return (data or "").upper()

    def broken(data: str | None) -> str:
        raise ValueError("bad input")

    server.register_lambda("shout", shout)
    server.register_lambda("broken", broken)
    run_id = await h.start(lambdaRole="arn:aws:iam::123456789012:role/swf-lambda")
    await h.respond(
        await h.decide(),
        d("ScheduleLambdaFunction", id="l1", name="shout", input="hey"),
        d("ScheduleLambdaFunction", id="l2", name="broken", input="x", startToCloseTimeout="9"),
        d("ScheduleLambdaFunction", id="l1", name="shout"),
    )
    task = await h.decide()
    events = task["events"]
    by_type = {e["eventType"]: attrs(e) for e in events}
    assert failed(events, "LambdaFunctionScheduled")[0] == {
        "id": "l1",
        "name": "shout",
        "input": "hey",
        "startToCloseTimeout": "300",
        "decisionTaskCompletedEventId": 4,
    }
    assert by_type["LambdaFunctionCompleted"] == {
        "scheduledEventId": 5,
        "startedEventId": 6,
        "result": "HEY",
    }
    assert by_type["LambdaFunctionFailed"] == {
        "scheduledEventId": 7,
        "startedEventId": 8,
        "reason": "ValueError",
        "details": "bad input",
    }
    assert by_type["ScheduleLambdaFunctionFailed"]["cause"] == "ID_ALREADY_IN_USE"
    # no role: the function cannot be started
    other = await h.start("no-role")
    await h.respond(await h.decide(), d("ScheduleLambdaFunction", id="l", name="shout"))
    events = await h.history("no-role", other)
    assert failed(events, "StartLambdaFunctionFailed")[0]["cause"] == "ASSUME_ROLE_FAILED"
    assert run_id


async def test_lambda_timeout(server: DevServer, h: Helper, clock: Any) -> None:
    import asyncio

    gate = asyncio.Event()

    async def slow(data: str | None) -> str:
        await gate.wait()
        return "late"

    server.register_lambda("slow", slow)
    run_id = await h.start(lambdaRole="arn:aws:iam::123456789012:role/r")
    await h.respond(
        await h.decide(), d("ScheduleLambdaFunction", id="s", name="slow", startToCloseTimeout="5")
    )
    clock.advance(5)
    task = await h.decide()
    assert attrs(task["events"][-3]) == {
        "scheduledEventId": 5,
        "startedEventId": 6,
        "timeoutType": "START_TO_CLOSE",
    }
    gate.set()
    await asyncio.sleep(0.01)
    assert "LambdaFunctionCompleted" not in types_of(await h.history("wf-1", run_id))
