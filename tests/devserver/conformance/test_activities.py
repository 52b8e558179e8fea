"""Activity tasks: schedule, fail, cancel (scheduled and running), heartbeat, the *Failed events."""

from __future__ import annotations

from .clients import SwfApi
from .decider import Names, Run, decision, event_types, find, register


async def test_failures_and_failed_decisions(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(
        decision(
            "ScheduleActivityTask",
            activityType={"name": "never-registered", "version": "1"},
            activityId="ghost",
        ),
        decision("RequestCancelActivityTask", activityId="no-such-activity"),
        decision("ScheduleActivityTask", activityType=names.activity_type, activityId="a1"),
    )
    task = await run.poll_activity()
    pending = await swf(
        "CountPendingActivityTasks", domain=names.domain, taskList={"name": names.activity_list}
    )
    assert pending["count"] == 0  # the only task is started, not pending
    await swf(
        "RespondActivityTaskFailed", taskToken=task["taskToken"], reason="boom", details="trace"
    )
    decision_task = await run.poll_decision()
    events = decision_task["events"]
    failed = find(events, "ScheduleActivityTaskFailed")
    assert failed["cause"] == "ACTIVITY_TYPE_DOES_NOT_EXIST"
    assert failed["activityId"] == "ghost"
    assert find(events, "RequestCancelActivityTaskFailed")["cause"] == "ACTIVITY_ID_UNKNOWN"
    assert find(events, "ActivityTaskFailed")["reason"] == "boom"
    await run.decide(decision_task, decision("CompleteWorkflowExecution"))


async def test_cancel_running_activity_through_its_heartbeat(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(
        decision("ScheduleActivityTask", activityType=names.activity_type, activityId="long")
    )
    task = await run.poll_activity()
    beat = await swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"], details="1%")
    assert beat == {"cancelRequested": False}
    # An activity starting schedules no decision task: a signal makes the decider act.
    await swf("SignalWorkflowExecution", domain=names.domain, workflowId="wf", signalName="stop")
    await run.next_decision(decision("RequestCancelActivityTask", activityId="long"))
    beat = await swf("RecordActivityTaskHeartbeat", taskToken=task["taskToken"], details="2%")
    assert beat == {"cancelRequested": True}
    await swf("RespondActivityTaskCanceled", taskToken=task["taskToken"], details="stopped")
    events = (await run.poll_decision())["events"]
    requested = [e for e in events if e["eventType"] == "ActivityTaskCancelRequested"]
    canceled = find(events, "ActivityTaskCanceled")
    assert canceled["details"] == "stopped"
    assert canceled["latestCancelRequestedEventId"] == requested[-1]["eventId"]


async def test_cancel_scheduled_activity_is_immediate(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(
        decision("ScheduleActivityTask", activityType=names.activity_type, activityId="queued")
    )
    await swf("SignalWorkflowExecution", domain=names.domain, workflowId="wf", signalName="stop")
    task = await run.next_decision(decision("RequestCancelActivityTask", activityId="queued"))
    assert "ActivityTaskScheduled" in event_types(task["events"])
    events = (await run.poll_decision())["events"]
    assert event_types(events)[-5:] == [
        "DecisionTaskCompleted",
        "ActivityTaskCancelRequested",
        "ActivityTaskCanceled",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    pending = await swf(
        "CountPendingActivityTasks", domain=names.domain, taskList={"name": names.activity_list}
    )
    assert pending["count"] == 0
