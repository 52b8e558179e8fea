"""History paging, both ways: GetWorkflowExecutionHistory and PollForDecisionTask."""

from __future__ import annotations

from .clients import SwfApi
from .decider import Names, Run, decision, register


async def make_history(swf: SwfApi, names: Names) -> Run:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(*(decision("RecordMarker", markerName=f"m{i}") for i in range(6)))
    await swf("SignalWorkflowExecution", domain=names.domain, workflowId="wf", signalName="go")
    return run


async def test_history_pages_concatenate_to_the_whole(swf: SwfApi, names: Names) -> None:
    run = await make_history(swf, names)
    whole = await run.history()
    assert [e["eventId"] for e in whole] == list(range(1, len(whole) + 1))
    assert len(whole) == 12
    assert await run.history(maximumPageSize=5) == whole
    assert await run.history(maximumPageSize=5, reverseOrder=True) == whole[::-1]
    first = await swf(
        "GetWorkflowExecutionHistory",
        domain=names.domain,
        execution=run.execution,
        maximumPageSize=12,
    )
    assert "nextPageToken" not in first or not first["nextPageToken"]


async def test_decision_task_pages(swf: SwfApi, names: Names) -> None:
    run = await make_history(swf, names)
    task = await run.poll_decision(maximumPageSize=4)
    events = list(task["events"])
    assert len(events) == 4
    assert task["startedEventId"] == 13
    assert task["previousStartedEventId"] == 3
    while task.get("nextPageToken"):
        task = await swf(
            "PollForDecisionTask",
            domain=names.domain,
            taskList={"name": names.task_list},
            maximumPageSize=4,
            nextPageToken=task["nextPageToken"],
        )
        events += task["events"]
    assert [e["eventId"] for e in events] == list(range(1, 14))
    assert events[-1]["eventType"] == "DecisionTaskStarted"
