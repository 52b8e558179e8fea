"""Timers and markers, and the decision failures that belong to them."""

from __future__ import annotations

from .clients import SwfApi
from .decider import Names, Run, decision, find, register


async def test_timers_and_markers(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(
        decision("StartTimer", timerId="long", startToFireTimeout="3600", control="c"),
        decision("StartTimer", timerId="long", startToFireTimeout="1"),
        decision("CancelTimer", timerId="no-such-timer"),
        decision("RecordMarker", markerName="checkpoint", details="state"),
    )
    task = await run.next_decision(decision("CancelTimer", timerId="long"))
    events = task["events"]
    assert find(events, "TimerStarted")["control"] == "c"
    assert find(events, "StartTimerFailed")["cause"] == "TIMER_ID_ALREADY_IN_USE"
    assert find(events, "CancelTimerFailed")["cause"] == "TIMER_ID_UNKNOWN"
    assert find(events, "MarkerRecorded") == {
        "markerName": "checkpoint",
        "details": "state",
        "decisionTaskCompletedEventId": 4,
    }
    # Cancelling a timer closes nothing by itself: no new decision task, so read history.
    events = await run.history()
    canceled = find(events, "TimerCanceled")
    assert canceled["timerId"] == "long"
    assert canceled["startedEventId"] == events[4]["eventId"]
    assert not any(e["eventType"] == "TimerFired" for e in events)
    counts = await swf("DescribeWorkflowExecution", domain=names.domain, execution=run.execution)
    assert counts["openCounts"]["openTimers"] == 0
