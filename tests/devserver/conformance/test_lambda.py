"""Lambda tasks, served by the dev server's local registry of Python callables."""

from __future__ import annotations

from typing import Any

import anyio

from .clients import SwfApi
from .decider import Names, Run, decision, event_types, find, register
from .lambdas import ROLE


def schedule(lambda_id: str, name: str, **attributes: Any) -> dict[str, Any]:
    return decision("ScheduleLambdaFunction", id=lambda_id, name=name, **attributes)


async def test_lambda_functions(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names, lambdaRole=ROLE)
    await run.next_decision(
        schedule("ok", "conformance-echo", input="ping"),
        schedule("ok", "conformance-echo", input="again"),
        schedule("bad", "conformance-fail", input="x"),
        schedule("late", "conformance-slow", startToCloseTimeout="1"),
    )
    with anyio.fail_after(10):
        while True:
            events = await run.history()
            kinds = event_types(events)
            done = {"LambdaFunctionCompleted", "LambdaFunctionFailed", "LambdaFunctionTimedOut"}
            if done <= set(kinds):
                break
            await anyio.sleep(0.1)
    assert kinds.count("LambdaFunctionScheduled") == 3
    assert kinds.count("LambdaFunctionStarted") == 3
    assert find(events, "ScheduleLambdaFunctionFailed")["cause"] == "ID_ALREADY_IN_USE"
    assert find(events, "LambdaFunctionCompleted")["result"] == "ping"
    assert find(events, "LambdaFunctionFailed")["reason"] == "ValueError"
    assert find(events, "LambdaFunctionTimedOut")["timeoutType"] == "START_TO_CLOSE"
    await swf("TerminateWorkflowExecution", domain=names.domain, workflowId=run.workflow_id)


async def test_lambda_without_a_role_cannot_start(swf: SwfApi, names: Names) -> None:
    await register(swf, names)
    run = await Run.start(swf, names)
    await run.next_decision(schedule("ok", "conformance-echo"))
    task = await run.poll_decision()
    assert find(task["events"], "StartLambdaFunctionFailed")["cause"] == "ASSUME_ROLE_FAILED"
    await run.decide(task, decision("CompleteWorkflowExecution"))
