"""Visibility: list and count with every filter, describe, retention."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from swfasync.devserver import DevServer, ManualClock

from .conftest import DOMAIN, Client, Helper, complete, make_client, register_types, schedule

EPOCH = {"oldestDate": 0}


async def test_list_and_count(h: Helper, swf: Client, clock: ManualClock) -> None:
    runs = {}
    for i in range(4):
        runs[i] = await h.start(f"w{i}", tagList=[f"tag{i % 2}"])
        clock.advance(10)
    for _ in range(2):  # close w0 (completed) and w1 (terminated)
        task = await h.decide()
        if task["workflowExecution"]["workflowId"] == "w0":
            await h.respond(task, complete())
    await swf.terminate_workflow_execution(domain=DOMAIN, workflowId="w1")
    open_ = await swf.list_open_workflow_executions(domain=DOMAIN, startTimeFilter=EPOCH)
    assert [e["execution"]["workflowId"] for e in open_["executionInfos"]] == ["w3", "w2"]
    rev = await swf.list_open_workflow_executions(
        domain=DOMAIN, startTimeFilter=EPOCH, reverseOrder=True, maximumPageSize=1
    )
    assert [e["execution"]["workflowId"] for e in rev["executionInfos"]] == ["w2"]
    nxt = await swf.list_open_workflow_executions(
        domain=DOMAIN,
        startTimeFilter=EPOCH,
        reverseOrder=True,
        maximumPageSize=1,
        nextPageToken=rev["nextPageToken"],
    )
    assert [e["execution"]["workflowId"] for e in nxt["executionInfos"]] == ["w3"]
    tagged = await swf.list_open_workflow_executions(
        domain=DOMAIN, startTimeFilter=EPOCH, tagFilter={"tag": "tag0"}
    )
    assert [e["execution"]["workflowId"] for e in tagged["executionInfos"]] == ["w2"]
    closed = await swf.list_closed_workflow_executions(
        domain=DOMAIN, closeStatusFilter={"status": "TERMINATED"}, startTimeFilter=EPOCH
    )
    info = closed["executionInfos"][0]
    assert info["execution"] == {"workflowId": "w1", "runId": runs[1]}
    assert (info["executionStatus"], info["closeStatus"]) == ("CLOSED", "TERMINATED")
    assert info["tagList"] == ["tag1"]
    by_close = await swf.count_closed_workflow_executions(
        domain=DOMAIN, closeTimeFilter=EPOCH, typeFilter={"name": "wf"}
    )
    assert by_close["count"] == 2
    count = await swf.count_open_workflow_executions(
        domain=DOMAIN, startTimeFilter=EPOCH, executionFilter={"workflowId": "w3"}
    )
    assert count["count"] == 1
    narrow = await swf.count_open_workflow_executions(
        domain=DOMAIN, startTimeFilter={"oldestDate": clock.now() - 15, "latestDate": clock.now()}
    )
    assert narrow["count"] == 1
    with pytest.raises(ClientError) as info_err:
        await swf.list_open_workflow_executions(
            domain=DOMAIN,
            startTimeFilter=EPOCH,
            tagFilter={"tag": "x"},
            executionFilter={"workflowId": "w3"},
        )
    assert info_err.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError):
        await swf.count_closed_workflow_executions(domain=DOMAIN)


async def test_describe_and_retention(h: Helper, swf: Client, clock: ManualClock) -> None:
    run_id = await h.start()
    await h.respond(await h.decide(), schedule("a"), executionContext="ctx-1")
    await h.work()
    execution = {"workflowId": "wf-1", "runId": run_id}
    desc = await swf.describe_workflow_execution(domain=DOMAIN, execution=execution)
    assert desc["openCounts"] == {
        "openActivityTasks": 1,
        "openDecisionTasks": 0,
        "openTimers": 0,
        "openChildWorkflowExecutions": 0,
        "openLambdaFunctions": 0,
    }
    assert desc["latestExecutionContext"] == "ctx-1"
    assert desc["latestActivityTaskTimestamp"].timestamp() == clock.now()
    assert desc["executionConfiguration"] == {
        "taskStartToCloseTimeout": "30",
        "executionStartToCloseTimeout": "3600",
        "taskList": {"name": "deciders"},
        "childPolicy": "TERMINATE",
    }
    await swf.terminate_workflow_execution(domain=DOMAIN, workflowId="wf-1")
    clock.advance(86400 - 1)  # retention is 1 day
    await swf.describe_workflow_execution(domain=DOMAIN, execution=execution)
    clock.advance(2)
    with pytest.raises(ClientError) as info:
        await swf.describe_workflow_execution(domain=DOMAIN, execution=execution)
    assert info.value.response["Error"]["Code"] == "UnknownResourceFault"


async def test_retention_per_domain(swf: Client, clock: ManualClock) -> None:
    """Each domain lists its own executions and forgets closed ones by its own period."""
    for name, days in (("keeps-none", "0"), ("keeps-a-day", "1")):
        await register_types(swf, domain=name, retention_days=days)
        await Helper(swf, name).start("same-id")
        await swf.terminate_workflow_execution(domain=name, workflowId="same-id")
    clock.advance(1)
    gone = await swf.count_closed_workflow_executions(domain="keeps-none", startTimeFilter=EPOCH)
    kept = await swf.list_closed_workflow_executions(domain="keeps-a-day", startTimeFilter=EPOCH)
    assert gone["count"] == 0
    assert [e["execution"]["workflowId"] for e in kept["executionInfos"]] == ["same-id"]
    clock.advance(86400)
    kept = await swf.list_closed_workflow_executions(domain="keeps-a-day", startTimeFilter=EPOCH)
    assert kept["executionInfos"] == []


async def test_retention_survives_a_restart(tmp_path: Path) -> None:
    clock = ManualClock()
    db = str(tmp_path / "swf.db")
    async with (
        DevServer(clock=clock, db_path=db) as server,
        make_client(server.endpoint_url) as swf,
    ):
        await register_types(swf)
        await Helper(swf, DOMAIN).start("closed")
        await swf.terminate_workflow_execution(domain=DOMAIN, workflowId="closed")
    clock.advance(86400 - 1)
    async with (
        DevServer(clock=clock, db_path=db) as server,
        make_client(server.endpoint_url) as swf,
    ):
        count = await swf.count_closed_workflow_executions(domain=DOMAIN, startTimeFilter=EPOCH)
        assert count["count"] == 1
        clock.advance(2)
        count = await swf.count_closed_workflow_executions(domain=DOMAIN, startTimeFilter=EPOCH)
        assert count["count"] == 0
