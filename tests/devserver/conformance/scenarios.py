"""Scenarios shared by several tests: one description, run by any client on any server.

``order_scenario`` is the one the three clients (and the moto comparison) run: registration,
start, a ScheduleActivityTask decision, an activity polled and completed, a timer,
a signal arriving while a decision task is open, completion, and the history read back.
It is lean on purpose: through the AWS CLI every call is a process start.
"""

from __future__ import annotations

from typing import Any

from .clients import SwfApi
from .decider import IDENTITY, Names, Run, decision, normalise_history

__all__ = ["EXPECTED_ORDER_HISTORY", "order_scenario"]


async def order_scenario(swf: SwfApi, names: Names) -> list[dict[str, Any]]:
    """Drive one execution to completion; return its history, normalised."""
    await register_for_order(swf, names)
    run = await Run.start(swf, names, "order-1", input="order", tagList=["conformance"])

    await run.next_decision(
        decision(
            "ScheduleActivityTask",
            activityType=names.activity_type,
            activityId="charge",
            input="42",
        )
    )
    task = await run.poll_activity()
    assert task["activityId"] == "charge"
    assert task["input"] == "42"
    await swf("RespondActivityTaskCompleted", taskToken=task["taskToken"], result="receipt")

    await run.next_decision(decision("StartTimer", timerId="pause", startToFireTimeout="0"))

    # The timer fired and a decision task is open; a signal arrives before it is answered.
    task = await run.poll_decision()
    await swf(
        "SignalWorkflowExecution",
        domain=names.domain,
        workflowId=run.workflow_id,
        runId=run.run_id,
        signalName="approve",
        input="yes",
    )
    await run.decide(task)
    await run.next_decision(decision("CompleteWorkflowExecution", result="done"))
    return normalise_history(await run.history())


async def register_for_order(swf: SwfApi, names: Names) -> None:
    await swf("RegisterDomain", name=names.domain, workflowExecutionRetentionPeriodInDays="1")
    await swf(
        "RegisterWorkflowType",
        domain=names.domain,
        **names.workflow_type,
        defaultTaskList={"name": names.task_list},
        defaultExecutionStartToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="30",
        defaultChildPolicy="TERMINATE",
    )
    await swf(
        "RegisterActivityType",
        domain=names.domain,
        **names.activity_type,
        defaultTaskList={"name": names.activity_list},
        defaultTaskScheduleToStartTimeout="300",
        defaultTaskScheduleToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="300",
        defaultTaskHeartbeatTimeout="NONE",
    )


def _decision_task(scheduled: int) -> list[dict[str, Any]]:
    return [
        {
            "eventId": scheduled,
            "eventType": "DecisionTaskScheduled",
            "decisionTaskScheduledEventAttributes": {
                "taskList": {"name": "decisions"},
                "startToCloseTimeout": "30",
            },
        },
        {
            "eventId": scheduled + 1,
            "eventType": "DecisionTaskStarted",
            "decisionTaskStartedEventAttributes": {
                "scheduledEventId": scheduled,
                "identity": IDENTITY,
            },
        },
    ]


def _completed(event_id: int, scheduled: int, started: int) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "eventType": "DecisionTaskCompleted",
        "decisionTaskCompletedEventAttributes": {
            "scheduledEventId": scheduled,
            "startedEventId": started,
        },
    }


def _expected_order_history() -> list[dict[str, Any]]:
    names = Names(domain="-")
    return [
        {
            "eventId": 1,
            "eventType": "WorkflowExecutionStarted",
            "workflowExecutionStartedEventAttributes": {
                "input": "order",
                "executionStartToCloseTimeout": "600",
                "taskStartToCloseTimeout": "30",
                "childPolicy": "TERMINATE",
                "taskList": {"name": "decisions"},
                "workflowType": names.workflow_type,
                "tagList": ["conformance"],
                "parentInitiatedEventId": 0,
            },
        },
        *_decision_task(2),
        _completed(4, 2, 3),
        {
            "eventId": 5,
            "eventType": "ActivityTaskScheduled",
            "activityTaskScheduledEventAttributes": {
                "activityType": names.activity_type,
                "activityId": "charge",
                "input": "42",
                "taskList": {"name": "activities"},
                "scheduleToStartTimeout": "300",
                "scheduleToCloseTimeout": "600",
                "startToCloseTimeout": "300",
                "heartbeatTimeout": "NONE",
                "decisionTaskCompletedEventId": 4,
            },
        },
        {
            "eventId": 6,
            "eventType": "ActivityTaskStarted",
            "activityTaskStartedEventAttributes": {"scheduledEventId": 5, "identity": IDENTITY},
        },
        {
            "eventId": 7,
            "eventType": "ActivityTaskCompleted",
            "activityTaskCompletedEventAttributes": {
                "result": "receipt",
                "scheduledEventId": 5,
                "startedEventId": 6,
            },
        },
        *_decision_task(8),
        _completed(10, 8, 9),
        {
            "eventId": 11,
            "eventType": "TimerStarted",
            "timerStartedEventAttributes": {
                "timerId": "pause",
                "startToFireTimeout": "0",
                "decisionTaskCompletedEventId": 10,
            },
        },
        {
            "eventId": 12,
            "eventType": "TimerFired",
            "timerFiredEventAttributes": {"timerId": "pause", "startedEventId": 11},
        },
        *_decision_task(13),
        {
            "eventId": 15,
            "eventType": "WorkflowExecutionSignaled",
            "workflowExecutionSignaledEventAttributes": {"signalName": "approve", "input": "yes"},
        },
        # SWF schedules the follow-up task while the started one is still open.
        {
            "eventId": 16,
            "eventType": "DecisionTaskScheduled",
            "decisionTaskScheduledEventAttributes": {
                "taskList": {"name": "decisions"},
                "startToCloseTimeout": "30",
            },
        },
        _completed(17, 13, 14),
        {
            "eventId": 18,
            "eventType": "DecisionTaskStarted",
            "decisionTaskStartedEventAttributes": {"scheduledEventId": 16, "identity": IDENTITY},
        },
        _completed(19, 16, 18),
        {
            "eventId": 20,
            "eventType": "WorkflowExecutionCompleted",
            "workflowExecutionCompletedEventAttributes": {
                "result": "done",
                "decisionTaskCompletedEventId": 19,
            },
        },
    ]


EXPECTED_ORDER_HISTORY = _expected_order_history()


async def ledger_scenario(swf: SwfApi, names: Names) -> list[dict[str, Any]]:
    """Markers, a cancelled timer, a heartbeating activity that fails, a failed workflow and a
    terminated one; their two histories, normalised, one after the other."""
    await register_for_order(swf, names)
    run = await Run.start(
        swf,
        names,
        "ledger-1",
        input="ledger",
        executionStartToCloseTimeout="900",
        taskStartToCloseTimeout="20",
        childPolicy="ABANDON",
    )
    await run.next_decision(
        decision("RecordMarker", markerName="version", details="2"),
        decision("StartTimer", timerId="deadline", startToFireTimeout="3600", control="ctl"),
        decision(
            "ScheduleActivityTask",
            activityType=names.activity_type,
            activityId="post",
            control="row-1",
            taskList={"name": "ledger"},
            scheduleToStartTimeout="60",
            scheduleToCloseTimeout="120",
            startToCloseTimeout="90",
            heartbeatTimeout="30",
        ),
    )
    task = await run.poll_activity("ledger")
    beat = await swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"], details="half")
    assert beat["cancelRequested"] is False
    await swf(
        "RespondActivityTaskFailed", taskToken=task["taskToken"], reason="overdrawn", details="-5"
    )
    await run.next_decision(
        decision("CancelTimer", timerId="deadline"),
        decision("FailWorkflowExecution", reason="ledger closed", details="see activity"),
    )
    other = await Run.start(swf, names, "ledger-2")
    await swf(
        "TerminateWorkflowExecution",
        domain=names.domain,
        workflowId=other.workflow_id,
        runId=other.run_id,
        reason="operator",
        details="cleanup",
        childPolicy="ABANDON",
    )
    return normalise_history(await run.history()) + normalise_history(await other.history())
