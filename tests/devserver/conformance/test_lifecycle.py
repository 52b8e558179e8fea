"""Domains, types, tags and visibility: the operations around executions."""

from __future__ import annotations

import time

import pytest

from .clients import SwfApi, SwfFault
from .decider import Names, Run, decision, register


async def test_domain_lifecycle_and_tags(swf: SwfApi, names: Names) -> None:
    await swf(
        "RegisterDomain",
        name=names.domain,
        description="conformance",
        workflowExecutionRetentionPeriodInDays="3",
        tags=[{"key": "team", "value": "core"}],
    )
    described = await swf("DescribeDomain", name=names.domain)
    assert described["domainInfo"]["status"] == "REGISTERED"
    assert described["configuration"] == {"workflowExecutionRetentionPeriodInDays": "3"}
    arn = described["domainInfo"]["arn"]
    assert arn.endswith(f":/domain/{names.domain}")

    await swf("TagResource", resourceArn=arn, tags=[{"key": "env", "value": "test"}])
    await swf("UntagResource", resourceArn=arn, tagKeys=["team"])
    tags = await swf("ListTagsForResource", resourceArn=arn)
    assert tags["tags"] == [{"key": "env", "value": "test"}]

    listed = await swf("ListDomains", registrationStatus="REGISTERED", maximumPageSize=1000)
    assert names.domain in {d["name"] for d in listed["domainInfos"]}
    await swf("DeprecateDomain", name=names.domain)
    listed = await swf("ListDomains", registrationStatus="DEPRECATED")
    assert names.domain in {d["name"] for d in listed["domainInfos"]}
    await swf("UndeprecateDomain", name=names.domain)
    assert (await swf("DescribeDomain", name=names.domain))["domainInfo"]["status"] == "REGISTERED"


@pytest.mark.parametrize("kind", ["Workflow", "Activity"])
async def test_type_lifecycle(swf: SwfApi, names: Names, kind: str) -> None:
    await register(swf, names)
    key = "workflowType" if kind == "Workflow" else "activityType"
    the_type = names.workflow_type if kind == "Workflow" else names.activity_type
    described = await swf(f"Describe{kind}Type", domain=names.domain, **{key: the_type})
    assert described["typeInfo"]["status"] == "REGISTERED"
    assert described["typeInfo"][key] == the_type
    listed = await swf(f"List{kind}Types", domain=names.domain, registrationStatus="REGISTERED")
    assert [t[key] for t in listed["typeInfos"]] == [the_type]

    await swf(f"Deprecate{kind}Type", domain=names.domain, **{key: the_type})
    described = await swf(f"Describe{kind}Type", domain=names.domain, **{key: the_type})
    assert described["typeInfo"]["status"] == "DEPRECATED"
    assert "deprecationDate" in described["typeInfo"]
    await swf(f"Undeprecate{kind}Type", domain=names.domain, **{key: the_type})
    await swf(f"Deprecate{kind}Type", domain=names.domain, **{key: the_type})
    await swf(f"Delete{kind}Type", domain=names.domain, **{key: the_type})
    with pytest.raises(SwfFault) as fault:
        await swf(f"Describe{kind}Type", domain=names.domain, **{key: the_type})
    assert fault.value.code == "UnknownResourceFault"


async def test_visibility(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    since = {"oldestDate": time.time() - 3600}
    open_run = await Run.start(swf, names, "stays-open", tagList=["visible"])
    closed_run = await Run.start(swf, names, "closes")
    pending = await swf(
        "CountPendingDecisionTasks", domain=names.domain, taskList={"name": names.task_list}
    )
    assert pending["count"] == 2
    while True:
        task = await open_run.poll_decision()
        if task["workflowExecution"]["workflowId"] == "closes":
            await closed_run.decide(task, decision("CompleteWorkflowExecution"))
            break
        await open_run.decide(task)

    counted = await swf("CountOpenWorkflowExecutions", domain=names.domain, startTimeFilter=since)
    assert counted["count"] == 1
    listed = await swf(
        "ListOpenWorkflowExecutions",
        domain=names.domain,
        startTimeFilter=since,
        tagFilter={"tag": "visible"},
    )
    [info] = listed["executionInfos"]
    assert info["execution"] == open_run.execution
    assert info["executionStatus"] == "OPEN"
    assert info["tagList"] == ["visible"]

    counted = await swf(
        "CountClosedWorkflowExecutions",
        domain=names.domain,
        closeTimeFilter=since,
        closeStatusFilter={"status": "COMPLETED"},
    )
    assert counted["count"] == 1
    listed = await swf(
        "ListClosedWorkflowExecutions",
        domain=names.domain,
        startTimeFilter=since,
        executionFilter={"workflowId": "closes"},
    )
    [info] = listed["executionInfos"]
    assert info["closeStatus"] == "COMPLETED"
    assert info["execution"] == closed_run.execution
    described = await swf(
        "DescribeWorkflowExecution", domain=names.domain, execution=open_run.execution
    )
    assert described["executionConfiguration"]["childPolicy"] == "TERMINATE"
    assert described["openCounts"]["openDecisionTasks"] == 0
