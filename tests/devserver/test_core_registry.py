"""Domains, types and tags: lifecycle, listing with paging and reverse order."""

from __future__ import annotations

from .conftest import DOMAIN, Client


async def test_domain_lifecycle_and_paging(swf: Client) -> None:
    for i in range(5):
        await swf.register_domain(
            name=f"d{i}", workflowExecutionRetentionPeriodInDays="3", description=f"domain {i}"
        )
    page1 = await swf.list_domains(registrationStatus="REGISTERED", maximumPageSize=2)
    assert [d["name"] for d in page1["domainInfos"]] == ["d0", "d1"]
    page2 = await swf.list_domains(
        registrationStatus="REGISTERED", maximumPageSize=2, nextPageToken=page1["nextPageToken"]
    )
    page3 = await swf.list_domains(
        registrationStatus="REGISTERED", maximumPageSize=2, nextPageToken=page2["nextPageToken"]
    )
    assert [d["name"] for d in page2["domainInfos"] + page3["domainInfos"]] == ["d2", "d3", "d4"]
    assert "nextPageToken" not in page3
    rev = await swf.list_domains(registrationStatus="REGISTERED", reverseOrder=True)
    assert [d["name"] for d in rev["domainInfos"]] == ["d4", "d3", "d2", "d1", "d0"]
    await swf.deprecate_domain(name="d1")
    deprecated = await swf.list_domains(registrationStatus="DEPRECATED")
    assert deprecated["domainInfos"] == [
        {
            "name": "d1",
            "status": "DEPRECATED",
            "description": "domain 1",
            "arn": "arn:aws:swf:us-east-1:123456789012:/domain/d1",
        }
    ]
    await swf.undeprecate_domain(name="d1")
    desc = await swf.describe_domain(name="d1")
    assert desc["domainInfo"]["status"] == "REGISTERED"
    assert desc["configuration"] == {"workflowExecutionRetentionPeriodInDays": "3"}


async def test_type_lifecycle(swf: Client, domain: str) -> None:
    for v in ("2", "3"):
        await swf.register_activity_type(
            domain=domain, name="act", version=v, description=f"v{v}", defaultTaskPriority="5"
        )
    listed = await swf.list_activity_types(domain=domain, registrationStatus="REGISTERED")
    assert [t["activityType"]["version"] for t in listed["typeInfos"]] == ["1", "2", "3"]
    named = await swf.list_activity_types(
        domain=domain,
        registrationStatus="REGISTERED",
        name="act",
        reverseOrder=True,
        maximumPageSize=1,
    )
    assert [t["activityType"]["version"] for t in named["typeInfos"]] == ["3"]
    at = {"name": "act", "version": "2"}
    await swf.deprecate_activity_type(domain=domain, activityType=at)
    desc = await swf.describe_activity_type(domain=domain, activityType=at)
    assert desc["typeInfo"]["status"] == "DEPRECATED"
    assert "deprecationDate" in desc["typeInfo"]
    assert desc["configuration"] == {"defaultTaskPriority": "5"}
    await swf.undeprecate_activity_type(domain=domain, activityType=at)
    await swf.deprecate_activity_type(domain=domain, activityType=at)
    await swf.delete_activity_type(domain=domain, activityType=at)
    listed = await swf.list_activity_types(domain=domain, registrationStatus="DEPRECATED")
    assert listed["typeInfos"] == []
    wt = {"name": "wf", "version": "1"}
    desc = await swf.describe_workflow_type(domain=domain, workflowType=wt)
    assert desc["configuration"] == {
        "defaultTaskStartToCloseTimeout": "30",
        "defaultExecutionStartToCloseTimeout": "3600",
        "defaultTaskList": {"name": "deciders"},
        "defaultChildPolicy": "TERMINATE",
    }
    await swf.deprecate_workflow_type(domain=domain, workflowType=wt)
    await swf.undeprecate_workflow_type(domain=domain, workflowType=wt)
    await swf.deprecate_workflow_type(domain=domain, workflowType=wt)
    await swf.delete_workflow_type(domain=domain, workflowType=wt)
    listed = await swf.list_workflow_types(domain=domain, registrationStatus="REGISTERED")
    assert listed["typeInfos"] == []


async def test_tags(swf: Client, domain: str) -> None:
    arn = f"arn:aws:swf:us-east-1:123456789012:/domain/{DOMAIN}"
    await swf.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b"}])
    await swf.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "2"}])
    tags = await swf.list_tags_for_resource(resourceArn=arn)
    assert tags["tags"] == [{"key": "a", "value": "2"}, {"key": "b"}]
    await swf.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert (await swf.list_tags_for_resource(resourceArn=arn))["tags"] == [{"key": "b"}]
    await swf.register_domain(
        name="tagged", workflowExecutionRetentionPeriodInDays="0", tags=[{"key": "x", "value": "y"}]
    )
    tagged = await swf.list_tags_for_resource(
        resourceArn="arn:aws:swf:us-east-1:123456789012:/domain/tagged"
    )
    assert tagged["tags"] == [{"key": "x", "value": "y"}]
