"""Every SWF timeout, on the wall clock: one-second timeouts, all waited for at once."""

from __future__ import annotations

import anyio

from .clients import SwfApi
from .decider import Names, Run, decision, find, register


async def workflow_times_out(swf: SwfApi, names: Names) -> None:
    run = await Run.start(swf, names, "wf-timeout", executionStartToCloseTimeout="1")
    timed_out = find(
        await run.wait_for_event("WorkflowExecutionTimedOut"), "WorkflowExecutionTimedOut"
    )
    assert timed_out == {"timeoutType": "START_TO_CLOSE", "childPolicy": "TERMINATE"}


async def decision_task_times_out(swf: SwfApi, names: Names) -> None:
    run = await Run.start(
        swf, names, "decision-timeout", taskStartToCloseTimeout="1", taskList={"name": "slow"}
    )
    await run.poll_decision("slow")  # and never answer it
    events = await run.wait_for_event("DecisionTaskTimedOut")
    timed_out = find(events, "DecisionTaskTimedOut")
    assert timed_out == {
        "timeoutType": "START_TO_CLOSE",
        "scheduledEventId": 2,
        "startedEventId": 3,
    }
    task = await run.poll_decision("slow")  # SWF schedules a new decision task
    assert task["previousStartedEventId"] == 3
    await swf("TerminateWorkflowExecution", domain=names.domain, workflowId=run.workflow_id)


async def activities_time_out(swf: SwfApi, names: Names) -> None:
    run = await Run.start(swf, names, "activity-timeout", taskList={"name": "acts"})
    task = await run.poll_decision("acts")
    await run.decide(
        task,
        decision(
            "ScheduleActivityTask",
            activityType=names.activity_type,
            activityId="unpolled",
            taskList={"name": "nobody-polls"},
            scheduleToStartTimeout="1",
        ),
        decision(
            "ScheduleActivityTask",
            activityType=names.activity_type,
            activityId="silent",
            taskList={"name": "heartbeats"},
            heartbeatTimeout="1",
        ),
    )
    await run.poll_activity("heartbeats")  # started, and never heartbeats
    with anyio.fail_after(10):
        while True:
            events = await run.history()
            kinds = [
                e["activityTaskTimedOutEventAttributes"]["timeoutType"]
                for e in events
                if e["eventType"] == "ActivityTaskTimedOut"
            ]
            if len(kinds) == 2:
                break
            await anyio.sleep(0.1)
    assert sorted(kinds) == ["HEARTBEAT", "SCHEDULE_TO_START"]
    await swf("TerminateWorkflowExecution", domain=names.domain, workflowId=run.workflow_id)


async def child_times_out(swf: SwfApi, names: Names) -> None:
    run = await Run.start(swf, names, "parent-of-timeout", taskList={"name": "parents"})
    task = await run.poll_decision("parents")
    await run.decide(
        task,
        decision(
            "StartChildWorkflowExecution",
            workflowType=names.workflow_type,
            workflowId="child-timeout",
            taskList={"name": "kids"},
            executionStartToCloseTimeout="1",
        ),
    )
    events = await run.wait_for_event("ChildWorkflowExecutionTimedOut")
    assert find(events, "ChildWorkflowExecutionTimedOut")["timeoutType"] == "START_TO_CLOSE"
    await swf("TerminateWorkflowExecution", domain=names.domain, workflowId=run.workflow_id)


async def test_every_timeout(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    async with anyio.create_task_group() as tg:
        for scenario in [
            workflow_times_out,
            decision_task_times_out,
            activities_time_out,
            child_times_out,
        ]:
            tg.start_soon(scenario, swf, names)
