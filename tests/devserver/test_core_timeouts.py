"""Every timeout, on a manual clock; and time-skipping on the system clock."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

from swfasync.devserver import DevServer, ManualClock

from .conftest import (
    DOMAIN,
    Client,
    Helper,
    attrs,
    complete,
    make_client,
    schedule,
    start_timer,
    types_of,
)


async def test_timer_fires_when_clock_advances(h: Helper, clock: ManualClock) -> None:
    run_id = await h.start()
    await h.respond(await h.decide(), start_timer("t", 100))
    clock.advance(99)
    assert (await h.history("wf-1", run_id))[-1]["eventType"] == "TimerStarted"
    clock.advance(1)
    task = await h.decide()
    assert types_of(task["events"])[-4:] == [
        "TimerStarted",
        "TimerFired",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert attrs(task["events"][-3]) == {"timerId": "t", "startedEventId": 5}


async def test_activity_timeouts(h: Helper, clock: ManualClock, swf: Client) -> None:
    run_id = await h.start()
    await h.respond(
        await h.decide(),
        schedule("s2s", scheduleToStartTimeout="10"),
        schedule("s2c", scheduleToCloseTimeout="20", taskList={"name": "other"}),
        schedule("st2c", startToCloseTimeout="5", taskList={"name": "third"}),
        schedule("hb", heartbeatTimeout="3", taskList={"name": "fourth"}),
    )
    third = await h.work("third")
    fourth = await h.work("fourth")
    await swf.record_activity_task_heartbeat(taskToken=fourth["taskToken"], details="50%")
    clock.advance(3)
    clock.advance(2)
    clock.advance(5)
    clock.advance(10)
    events = await h.history("wf-1", run_id)
    timed_out = {
        a["timeoutType"]: a
        for a in (attrs(e) for e in events if e["eventType"] == "ActivityTaskTimedOut")
    }
    assert set(timed_out) == {
        "HEARTBEAT",
        "START_TO_CLOSE",
        "SCHEDULE_TO_START",
        "SCHEDULE_TO_CLOSE",
    }
    assert timed_out["HEARTBEAT"]["details"] == "50%"
    assert timed_out["SCHEDULE_TO_START"]["startedEventId"] == 0
    assert timed_out["START_TO_CLOSE"]["startedEventId"] == third["startedEventId"]
    # the worker's late answer is refused
    try:
        await swf.respond_activity_task_completed(taskToken=third["taskToken"])
    except swf.exceptions.UnknownResourceFault:
        pass
    else:
        raise AssertionError("a timed-out task must not be completable")


async def test_decision_and_workflow_timeouts(h: Helper, clock: ManualClock) -> None:
    run_id = await h.start(executionStartToCloseTimeout="100", taskStartToCloseTimeout="10")
    task = await h.decide()
    clock.advance(10)
    task = await h.decide()
    assert types_of(task["events"]) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
        "DecisionTaskTimedOut",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert attrs(task["events"][3]) == {
        "timeoutType": "START_TO_CLOSE",
        "scheduledEventId": 2,
        "startedEventId": 3,
    }
    assert task["previousStartedEventId"] == 3
    clock.advance(90)
    events = await h.history("wf-1", run_id)
    assert events[-1]["eventType"] == "WorkflowExecutionTimedOut"
    assert attrs(events[-1]) == {"timeoutType": "START_TO_CLOSE", "childPolicy": "TERMINATE"}


async def test_none_means_no_timeout(h: Helper, clock: ManualClock, swf: Client) -> None:
    run_id = await h.start(taskStartToCloseTimeout="NONE")
    await h.decide()
    clock.advance(10 * 365 * 86400)
    desc = await swf.describe_workflow_execution(
        domain=DOMAIN, execution={"workflowId": "wf-1", "runId": run_id}
    )
    assert desc["executionInfo"]["executionStatus"] == "CLOSED"  # 3600 s execution timeout
    events = await h.history("wf-1", run_id)
    assert "DecisionTaskTimedOut" not in types_of(events)


async def test_sticky_task_list_schedule_to_start(h: Helper, clock: ManualClock) -> None:
    run_id = await h.start()
    await h.respond(
        await h.decide(),
        start_timer("t", 1),
        taskList={"name": "sticky-host-1"},
        taskListScheduleToStartTimeout="5",
    )
    clock.advance(1)
    events = await h.history("wf-1", run_id)
    assert attrs(events[3])["taskList"] == {"name": "sticky-host-1"}
    assert attrs(events[6]) == {
        "taskList": {"name": "sticky-host-1"},
        "startToCloseTimeout": "30",
        "scheduleToStartTimeout": "5",
    }
    clock.advance(5)
    task = await h.decide()  # back on the default list
    assert types_of(task["events"])[-4:] == [
        "DecisionTaskScheduled",
        "DecisionTaskTimedOut",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]
    assert attrs(task["events"][-3]) == {
        "timeoutType": "SCHEDULE_TO_START",
        "scheduledEventId": 7,
        "startedEventId": 0,
    }
    assert attrs(task["events"][-2])["taskList"] == {"name": "deciders"}


async def test_sticky_task_list_served(h: Helper, clock: ManualClock) -> None:
    await h.start()
    await h.respond(
        await h.decide(),
        start_timer("t", 1),
        taskList={"name": "sticky-host-1"},
        taskListScheduleToStartTimeout="5",
    )
    clock.advance(1)
    task = await h.decide("sticky-host-1")
    assert task["events"][-1]["eventType"] == "DecisionTaskStarted"


async def test_time_skipping_thirty_day_timer() -> None:
    async with DevServer(time_skipping=True) as server, AsyncExitStack() as stack:
        swf = await stack.enter_async_context(make_client(server.endpoint_url))
        await swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
        await swf.register_workflow_type(
            domain=DOMAIN,
            name="wf",
            version="1",
            defaultTaskList={"name": "deciders"},
            defaultExecutionStartToCloseTimeout=str(60 * 86400),
            defaultTaskStartToCloseTimeout="30",
            defaultChildPolicy="TERMINATE",
        )
        h = Helper(swf, DOMAIN)
        started = time.monotonic()
        clock_start = server.clock.now()
        run_id = await h.start()
        await h.respond(await h.decide(), start_timer("month", 30 * 86400))
        task = await h.decide()
        assert "TimerFired" in types_of(task["events"])
        await h.respond(task, complete("slept"))
        elapsed = time.monotonic() - started
        events = await h.history("wf-1", run_id)
        assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
        assert server.clock.now() - clock_start >= 30 * 86400
        assert elapsed < 1.0, f"30 days took {elapsed:.3f}s of wall time"
