"""End-to-end basics: start, decide, run an activity, complete; exact histories."""

from __future__ import annotations

from .conftest import Client, Helper, attrs, complete, schedule, types_of


async def test_activity_round_trip(h: Helper, swf: Client) -> None:
    run_id = await h.start(input="in")
    task = await h.decide()
    assert types_of(task["events"]) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert task["startedEventId"] == 3
    assert task["previousStartedEventId"] == 0
    assert task["workflowExecution"] == {"workflowId": "wf-1", "runId": run_id}
    started = attrs(task["events"][0])
    assert started == {
        "input": "in",
        "executionStartToCloseTimeout": "3600",
        "taskStartToCloseTimeout": "30",
        "childPolicy": "TERMINATE",
        "taskList": {"name": "deciders"},
        "workflowType": {"name": "wf", "version": "1"},
        "parentInitiatedEventId": 0,
    }
    await h.respond(task, schedule("a1", input="x"))
    act = await h.work()
    assert act["activityId"] == "a1"
    assert act["input"] == "x"
    assert act["startedEventId"] == 6
    await swf.respond_activity_task_completed(taskToken=act["taskToken"], result="done")
    task = await h.decide()
    assert task["previousStartedEventId"] == 3
    await h.respond(task, complete("ok"))
    events = await h.history("wf-1", run_id)
    assert types_of(events) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "ActivityTaskScheduled",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskCompleted",
        "WorkflowExecutionCompleted",
    ]
    assert [e["eventId"] for e in events] == list(range(1, 12))
    assert attrs(events[4]) == {
        "activityType": {"name": "act", "version": "1"},
        "activityId": "a1",
        "input": "x",
        "scheduleToStartTimeout": "60",
        "scheduleToCloseTimeout": "120",
        "startToCloseTimeout": "60",
        "taskList": {"name": "workers"},
        "decisionTaskCompletedEventId": 4,
        "heartbeatTimeout": "NONE",
    }
    assert attrs(events[5]) == {"identity": "worker", "scheduledEventId": 5}
    assert attrs(events[6]) == {"result": "done", "scheduledEventId": 5, "startedEventId": 6}
    assert attrs(events[3]) == {"scheduledEventId": 2, "startedEventId": 3}
    assert attrs(events[10]) == {"result": "ok", "decisionTaskCompletedEventId": 10}
    desc = await swf.describe_workflow_execution(
        domain=h.domain, execution={"workflowId": "wf-1", "runId": run_id}
    )
    assert desc["executionInfo"]["executionStatus"] == "CLOSED"
    assert desc["executionInfo"]["closeStatus"] == "COMPLETED"
