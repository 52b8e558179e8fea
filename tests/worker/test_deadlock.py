"""A stuck activation is reported with where it is stuck: the blocking call and the
workflow's own stack, not only that a deadline passed."""

from __future__ import annotations

import threading
import time

import pytest
from structlog.testing import capture_logs

from swfasync import workflow
from swfasync._worker.activation_threads import ActivationThreads, CallTimeoutError
from swfasync.testing import WorkflowEnvironment

from .workflows import until

release = threading.Event()


def wait_for_stock() -> None:
    time.sleep(1.5)  # stands for a blocking call made from workflow code


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
            await until(lambda: any(e["event"] == "workflow_deadlock_detected" for e in logs))
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
        await handle.terminate(reason="test over")


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
