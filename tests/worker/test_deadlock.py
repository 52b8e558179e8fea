"""A stuck activation is reported with where it is stuck: the blocking call and the
workflow's own stack, not only that a deadline passed."""

from __future__ import annotations

import threading
import time

import anyio
import pytest
from structlog.testing import capture_logs

from swfasync import workflow
from swfasync._worker.activation_threads import ActivationThreads, CallTimeoutError
from swfasync.exceptions import (
    WorkflowDeadlockError,
    WorkflowDecisionFailedError,
    WorkflowFailureError,
)
from swfasync.testing import WorkflowEnvironment

release = threading.Event()


def wait_for_stock() -> None:
    time.sleep(1.5)  # stands for a blocking call made from workflow code


SLEEP_LINE = wait_for_stock.__code__.co_firstlineno + 1


@workflow.defn(task_list="deadlock")
async def Restock() -> str:
    wait_for_stock()
    return "restocked"


async def test_a_blocking_call_in_workflow_code_is_reported_with_the_workflows_stack() -> None:
    async with WorkflowEnvironment(
        workflows=[Restock], task_list="deadlock", worker_options={"deadlock_timeout": 0.3}
    ) as env:
        with capture_logs() as logs:
            handle = await env.client.start_workflow(Restock, id="restock-1")
            # The decision task fails as a bug would: result() raises with the record.
            with anyio.fail_after(20), pytest.raises(WorkflowDecisionFailedError) as caught:
                await handle.result()
        [event] = [e for e in logs if e["event"] == "workflow_deadlock_detected"]
        assert event["workflow_id"] == "restock-1"
        assert event["log_level"] == "error"
        # The blocking call, in the workflow's own file and line ...
        assert "time.sleep(1.5)" in event["blocked_at"]
        assert f"{__file__}:" in event["blocked_at"]
        # ... and the workflow's stack down to it, without the SDK's frames.
        stack = event["stack"]
        assert stack.index("in Restock") < stack.index("in wait_for_stock")
        assert "swfasync" not in stack.replace(__file__, "")
        # The same, recorded in the history: what describe() and result() show.
        failure = caught.value.failure
        assert failure.error_type == "WorkflowDeadlockError"
        assert "time.sleep(1.5)" in failure.message
        assert failure.file == __file__
        assert failure.line == SLEEP_LINE
        assert "in wait_for_stock" in failure.stack
        description = await handle.describe()
        assert description.status == "OPEN"  # retried with backoff; a fix recovers it
        assert description.decision_failure is not None
        assert description.decision_failure.error_type == "WorkflowDeadlockError"
        await handle.terminate(reason="test over")


async def test_a_deadlock_fails_the_execution_when_the_worker_is_told_to() -> None:
    async with WorkflowEnvironment(
        workflows=[Restock],
        task_list="deadlock",
        worker_options={
            "deadlock_timeout": 0.3,
            "workflow_failure_exception_types": [WorkflowDeadlockError],
        },
    ) as env:
        handle = await env.client.start_workflow(Restock, id="restock-2")
        with anyio.fail_after(20), pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
        assert "WorkflowDeadlockError" in str(caught.value)


def wait_on(lock: threading.Event) -> None:
    lock.wait()


async def test_a_call_stuck_in_a_library_names_both_its_own_line_and_the_library() -> None:
    threads = ActivationThreads("stuck-where")
    try:
        with pytest.raises(CallTimeoutError) as caught:
            await threads.run(0.1, wait_on, release)
        stuck = caught.value
        assert "lock.wait()" in stuck.blocked_at  # the caller's own line first
        assert "threading.py" in stuck.blocked_at  # then where it waits
        assert "in wait_on" in stuck.stack
        assert isinstance(stuck, TimeoutError)
    finally:
        release.set()
        threads.close()
