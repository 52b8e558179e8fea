"""Child workflows, signals and cancel requests between executions, and their failures."""

from __future__ import annotations

from typing import Any

from .clients import SwfApi
from .decider import Names, Run, decision, event_types, find, register

CHILDREN = "children"


def start_child(names: Names, workflow_id: str, **attributes: Any) -> dict[str, Any]:
    return decision(
        "StartChildWorkflowExecution",
        workflowType=attributes.pop("workflowType", names.workflow_type),
        workflowId=workflow_id,
        taskList={"name": CHILDREN},
        input=f"input of {workflow_id}",
        **attributes,
    )


async def poll_children(parent: Run, count: int) -> dict[str, dict[str, Any]]:
    """The first decision task of each of ``count`` children, by workflow id."""
    tasks: dict[str, dict[str, Any]] = {}
    while len(tasks) < count:
        task = await parent.poll_decision(CHILDREN)
        tasks[task["workflowExecution"]["workflowId"]] = task
    return tasks


async def test_children_close_every_way(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    parent = await Run.start(swf, names, "parent")
    kids = ["kid-completes", "kid-fails", "kid-canceled", "kid-terminated"]
    await parent.next_decision(
        *(start_child(names, kid, control=kid) for kid in kids),
        start_child(names, "kid-unknown-type", workflowType={"name": "nope", "version": "0"}),
        decision("SignalExternalWorkflowExecution", workflowId="nobody", signalName="s", input="i"),
        decision("RequestCancelExternalWorkflowExecution", workflowId="nobody"),
    )
    tasks = await poll_children(parent, len(kids))
    child_runs = {kid: task["workflowExecution"]["runId"] for kid, task in tasks.items()}
    await swf(
        "DescribeWorkflowExecution",
        domain=names.domain,
        execution={"workflowId": "kid-completes", "runId": child_runs["kid-completes"]},
    )

    # The parent saw its children start, and the failures of what could not be started.
    task = await parent.next_decision(
        decision(
            "SignalExternalWorkflowExecution",
            workflowId="kid-completes",
            runId=child_runs["kid-completes"],
            signalName="hello",
            input="from parent",
        ),
        decision("RequestCancelExternalWorkflowExecution", workflowId="kid-canceled"),
    )
    events = task["events"]
    assert event_types(events).count("ChildWorkflowExecutionStarted") == len(kids)
    failed = find(events, "StartChildWorkflowExecutionFailed")
    assert failed["cause"] == "WORKFLOW_TYPE_DOES_NOT_EXIST"
    assert find(events, "SignalExternalWorkflowExecutionFailed")["cause"] == (
        "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"
    )
    assert find(events, "RequestCancelExternalWorkflowExecutionFailed")["cause"] == (
        "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION"
    )

    # Each child closes its own way.
    started = find(tasks["kid-completes"]["events"], "WorkflowExecutionStarted")
    assert started["parentWorkflowExecution"] == parent.execution
    assert started["parentInitiatedEventId"] > 0
    await Run(swf, names, "kid-fails").decide(
        tasks["kid-fails"], decision("FailWorkflowExecution", reason="kid reason")
    )
    for kid in ["kid-completes", "kid-canceled", "kid-terminated"]:
        await Run(swf, names, kid).decide(tasks[kid])
    await swf("TerminateWorkflowExecution", domain=names.domain, workflowId="kid-terminated")
    # The signal and the cancel request each gave their child a new decision task.
    answers = {
        "kid-completes": decision("CompleteWorkflowExecution", result="kid result"),
        "kid-canceled": decision("CancelWorkflowExecution"),
    }
    seen: dict[str, list[str]] = {}
    for _ in answers:
        task = await parent.poll_decision(CHILDREN)
        kid = task["workflowExecution"]["workflowId"]
        seen[kid] = event_types(task["events"])
        await Run(swf, names, kid, child_runs[kid]).decide(task, answers[kid])
    assert "WorkflowExecutionSignaled" in seen["kid-completes"]
    assert "WorkflowExecutionCancelRequested" in seen["kid-canceled"]

    events = await parent.wait_for_event("ChildWorkflowExecutionCanceled")
    for event_type in [
        "SignalExternalWorkflowExecutionInitiated",
        "ExternalWorkflowExecutionSignaled",
        "RequestCancelExternalWorkflowExecutionInitiated",
        "ExternalWorkflowExecutionCancelRequested",
        "ChildWorkflowExecutionTerminated",
    ]:
        assert event_type in event_types(events)
    events = await parent.wait_for_event("ChildWorkflowExecutionFailed")
    events = await parent.wait_for_event("ChildWorkflowExecutionCompleted")
    assert find(events, "ChildWorkflowExecutionCompleted")["result"] == "kid result"
    assert find(events, "ChildWorkflowExecutionFailed")["reason"] == "kid reason"
    signaled = await Run(swf, names, "kid-completes", child_runs["kid-completes"]).history()
    assert find(signaled, "WorkflowExecutionSignaled")["externalInitiatedEventId"] > 0
    await parent.next_decision(decision("CompleteWorkflowExecution"))
