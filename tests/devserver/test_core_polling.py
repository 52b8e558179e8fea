"""Long polls: woken at once, empty answers, priority order, hung-up pollers, history pages."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import aiohttp
from botocore.exceptions import ClientError

from swfasync.devserver import DevServer

from .conftest import DOMAIN, Client, Helper, Json, attrs, make_client, schedule, types_of


async def test_poll_is_woken_when_a_task_is_scheduled(h: Helper, swf: Client) -> None:
    poll = asyncio.create_task(h.decide())
    await asyncio.sleep(0.05)
    assert not poll.done()
    began = time.monotonic()
    await h.start()
    task = await poll
    assert time.monotonic() - began < 0.5
    assert task["startedEventId"] == 3


async def test_empty_poll() -> None:
    async with DevServer(long_poll_timeout=0.3) as server, AsyncExitStack() as stack:
        swf = await stack.enter_async_context(make_client(server.endpoint_url))
        await swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
        began = time.monotonic()
        task = await swf.poll_for_decision_task(domain=DOMAIN, taskList={"name": "idle"})
        assert time.monotonic() - began >= 0.29
        assert (task["taskToken"], task["startedEventId"]) == ("", 0)
        assert task["previousStartedEventId"] == 0
        task = await swf.poll_for_activity_task(domain=DOMAIN, taskList={"name": "idle"})
        assert (task["taskToken"], task["startedEventId"]) == ("", 0)


async def test_priority_then_fifo(h: Helper, swf: Client) -> None:
    await h.start()
    await h.respond(
        await h.decide(),
        schedule("low", taskPriority="-1"),
        schedule("first"),
        schedule("high", taskPriority="10"),
        schedule("second"),
    )
    order = [(await h.work())["activityId"] for _ in range(4)]
    assert order == ["high", "first", "second", "low"]


async def test_hung_up_poller_gets_no_task(server: DevServer, h: Helper, swf: Client) -> None:
    body = b'{"domain": "%s", "taskList": {"name": "deciders"}}' % DOMAIN.encode()
    headers = {
        "X-Amz-Target": "SimpleWorkflowService.PollForDecisionTask",
        "Content-Type": "application/x-amz-json-1.0",
    }
    async with aiohttp.ClientSession() as session:
        request = asyncio.create_task(session.post(server.endpoint_url, data=body, headers=headers))
        await asyncio.sleep(0.1)
        request.cancel()  # the poller goes away while waiting
        await asyncio.gather(request, return_exceptions=True)
    await asyncio.sleep(0.05)
    run_id = await h.start()
    task = await h.decide()
    assert task["workflowExecution"]["runId"] == run_id
    assert types_of(task["events"]) == [
        "WorkflowExecutionStarted",
        "DecisionTaskScheduled",
        "DecisionTaskStarted",
    ]


async def test_decision_task_pages(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    await h.respond(
        await h.decide(),
        *(
            {
                "decisionType": "RecordMarker",
                "recordMarkerDecisionAttributes": {"markerName": str(i)},
            }
            for i in range(10)
        ),
    )
    await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="s")
    first = await h.decide(maximumPageSize=6)
    assert [e["eventId"] for e in first["events"]] == [1, 2, 3, 4, 5, 6]
    pages: list[Json] = [first]
    while "nextPageToken" in pages[-1]:
        pages.append(
            await swf.poll_for_decision_task(
                domain=DOMAIN,
                taskList={"name": "deciders"},
                nextPageToken=pages[-1]["nextPageToken"],
                maximumPageSize=6,
            )
        )
    ids = [e["eventId"] for p in pages for e in p["events"]]
    assert ids == list(range(1, 18))
    assert {p["taskToken"] for p in pages} == {first["taskToken"]}
    assert {p["startedEventId"] for p in pages} == {17}
    assert all(p["previousStartedEventId"] == 3 for p in pages)
    await swf.respond_decision_task_completed(taskToken=first["taskToken"])
    await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="s2")
    task = await h.decide(reverseOrder=True, maximumPageSize=3)
    assert [e["eventId"] for e in task["events"]] == [21, 20, 19]
    await swf.respond_decision_task_completed(taskToken=task["taskToken"])
    await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="s3")
    task = await h.decide(startAtPreviousStartedEvent=True)
    assert task["previousStartedEventId"] == 21
    assert [e["eventId"] for e in task["events"]] == [21, 22, 23, 24, 25]
    history = await swf.get_workflow_execution_history(
        domain=DOMAIN,
        execution={"workflowId": "wf-1", "runId": run_id},
        reverseOrder=True,
        maximumPageSize=2,
    )
    assert [e["eventId"] for e in history["events"]] == [25, 24]
    assert attrs(history["events"][0]) == {"identity": "decider", "scheduledEventId": 24}


async def test_decision_pages_in_every_order_and_size(h: Helper, swf: Client) -> None:
    """Each way of asking for a decision task's events gives the history up to the task's
    started event, from the previous started event when asked, backwards when asked,
    in pages of the size asked."""
    run_id = await h.start()
    for i in range(12):
        await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName=f"s{i}")
    for from_previous in (False, True):
        for reverse in (False, True):
            for size in (1, 4, 1000):
                first = await h.decide(
                    startAtPreviousStartedEvent=from_previous,
                    reverseOrder=reverse,
                    maximumPageSize=size,
                )
                pages = [first]
                while pages[-1].get("nextPageToken"):
                    pages.append(
                        await swf.poll_for_decision_task(
                            domain=DOMAIN,
                            taskList={"name": "deciders"},
                            nextPageToken=pages[-1]["nextPageToken"],
                            maximumPageSize=size,
                        )
                    )
                whole = await h.history("wf-1", run_id)
                expected = [e["eventId"] for e in whole][: first["startedEventId"]]
                if from_previous and first["previousStartedEventId"]:
                    expected = expected[first["previousStartedEventId"] - 1 :]
                if reverse:
                    expected = expected[::-1]
                assert all(len(page["events"]) <= size for page in pages)
                assert [e["eventId"] for p in pages for e in p["events"]] == expected
                # the next task, for the next way of asking
                await h.respond(first)
                await swf.signal_workflow_execution(
                    domain=DOMAIN, workflowId="wf-1", signalName="next"
                )


async def test_history_pages_backwards(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    for i in range(6):
        await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName=f"s{i}")
    whole = [e["eventId"] for e in await h.history("wf-1", run_id)]
    for size in (1, 2, 7, 1000):
        ids: list[int] = []
        token = None
        while True:
            page = await swf.get_workflow_execution_history(
                domain=DOMAIN,
                execution={"workflowId": "wf-1", "runId": run_id},
                reverseOrder=True,
                maximumPageSize=size,
                **({"nextPageToken": token} if token else {}),
            )
            assert len(page["events"]) <= size
            ids += [e["eventId"] for e in page["events"]]
            token = page.get("nextPageToken")
            if not token:
                break
        assert ids == whole[::-1]


async def test_pending_counts(h: Helper, swf: Client) -> None:
    await h.start("a")
    await h.start("b")
    count = await swf.count_pending_decision_tasks(domain=DOMAIN, taskList={"name": "deciders"})
    assert (count["count"], count["truncated"]) == (2, False)
    await h.decide()
    count = await swf.count_pending_decision_tasks(domain=DOMAIN, taskList={"name": "deciders"})
    assert count["count"] == 1


async def test_event_limit(h: Helper, swf: Client) -> None:
    run_id = await h.start()
    markers = [
        {"decisionType": "RecordMarker", "recordMarkerDecisionAttributes": {"markerName": "m"}}
    ] * 1000
    for _ in range(26):
        await h.respond(await h.decide(), *markers)
        try:
            await swf.signal_workflow_execution(domain=DOMAIN, workflowId="wf-1", signalName="s")
        except ClientError:
            break  # closed by the limit
    events = await h.history("wf-1", run_id)
    assert len(events) == 25_000
    assert events[-1]["eventType"] == "WorkflowExecutionTerminated"
    assert attrs(events[-1]) == {"childPolicy": "TERMINATE", "cause": "EVENT_LIMIT_EXCEEDED"}
