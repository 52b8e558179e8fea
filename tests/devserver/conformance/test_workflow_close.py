"""Every way an execution closes, and every way a close decision fails."""

from __future__ import annotations

from .clients import SwfApi
from .decider import Names, Run, attributes, decision, event_types, find, register

CLOSE_DECISIONS = [
    decision("CompleteWorkflowExecution", result="r"),
    decision("FailWorkflowExecution", reason="why", details="d"),
    decision("CancelWorkflowExecution", details="d"),
    decision("ContinueAsNewWorkflowExecution", input="again"),
]


async def test_close_decisions_fail_when_events_arrived_meanwhile(
    swf: SwfApi, names: Names
) -> None:
    """A close decision made without seeing the latest events fails with UNHANDLED_DECISION."""
    await register(swf, names)
    run = await Run.start(swf, names)
    for i, close in enumerate(CLOSE_DECISIONS):
        task = await run.poll_decision()
        await swf(
            "SignalWorkflowExecution",
            domain=names.domain,
            workflowId=run.workflow_id,
            signalName=f"late-{i}",
        )
        await run.decide(task, close)
    events = await run.history()
    for close in CLOSE_DECISIONS:
        failed = find(events, f"{close['decisionType']}Failed")
        assert failed["cause"] == "UNHANDLED_DECISION"
    # Still open, with the decision task that the last signal scheduled.
    info = await swf("DescribeWorkflowExecution", domain=names.domain, execution=run.execution)
    assert info["executionInfo"]["executionStatus"] == "OPEN"
    assert info["openCounts"]["openDecisionTasks"] == 1
    await run.next_decision(decision("CompleteWorkflowExecution"))


async def test_cancel_requested_then_canceled(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision()
    await swf("RequestCancelWorkflowExecution", domain=names.domain, workflowId=run.workflow_id)
    task = await run.next_decision(decision("CancelWorkflowExecution", details="bye"))
    assert "WorkflowExecutionCancelRequested" in event_types(task["events"])
    events = await run.history()
    assert find(events, "WorkflowExecutionCanceled")["details"] == "bye"
    info = await swf("DescribeWorkflowExecution", domain=names.domain, execution=run.execution)
    assert info["executionInfo"]["closeStatus"] == "CANCELED"


async def test_failed(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(decision("FailWorkflowExecution", reason="bad input", details="x"))
    failed = find(await run.history(), "WorkflowExecutionFailed")
    assert failed["reason"] == "bad input"


async def test_terminated(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await swf(
        "TerminateWorkflowExecution",
        domain=names.domain,
        workflowId=run.workflow_id,
        reason="operator",
        details="stop",
    )
    terminated = find(await run.history(), "WorkflowExecutionTerminated")
    assert terminated["reason"] == "operator"
    assert terminated["childPolicy"] == "TERMINATE"


async def test_continued_as_new(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names, input="first")
    await run.next_decision(decision("ContinueAsNewWorkflowExecution", input="second"))
    continued = find(await run.history(), "WorkflowExecutionContinuedAsNew")
    new_run = Run(swf, names, run.workflow_id, continued["newExecutionRunId"])
    task = await new_run.poll_decision()
    assert task["workflowExecution"] == new_run.execution
    started = attributes(task["events"][0])
    assert started["continuedExecutionRunId"] == run.run_id
    assert started["input"] == "second"
    await new_run.decide(task, decision("CompleteWorkflowExecution"))
