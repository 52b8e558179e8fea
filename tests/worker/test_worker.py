"""The worker end to end over loopback HTTP against the in-process dev server."""

from __future__ import annotations

import time

import anyio
import pytest
from structlog.testing import capture_logs

from swfasync._wire import events as e
from swfasync.client import WorkflowHandle
from swfasync.testing import WorkflowEnvironment
from swfasync.worker import Worker

from . import workflows as w

ALL_WORKFLOWS = [w.Greeting, w.RetriesTimeout, w.CancelsActivity, w.FanOut, w.Spins]
ALL_ACTIVITIES = [
    w.greet,
    w.shout,
    w.hangs_first_time,
    w.heartbeats_until_cancelled,
    w.sync_heartbeats_until_cancelled,
    w.slow,
]


def environment(**worker_options: object) -> WorkflowEnvironment:
    return WorkflowEnvironment(
        workflows=ALL_WORKFLOWS,
        activities=ALL_ACTIVITIES,
        task_list="t",
        worker_options={"max_heartbeat_interval": 0.05, **worker_options},
    )


# The core paths run through both the worker's fast transport and plain aiobotocore.
TRANSPORTS = pytest.mark.parametrize(
    "fast_transport", [True, False], ids=["fast-transport", "aiobotocore"]
)


@TRANSPORTS
async def test_async_and_sync_activities(fast_transport: bool) -> None:
    async with environment(fast_transport=fast_transport) as env:
        handle = await env.client.start_workflow(w.Greeting, "World", id="greet-1")
        assert await handle.result() == "HELLO, WORLD!"
        assert env.worker is not None
        assert env.worker.completed_activities == 2


async def test_killed_activity_worker_times_out_and_is_retried() -> None:
    w.flaky_attempts.clear()
    async with WorkflowEnvironment(workflows=ALL_WORKFLOWS, task_list="t") as env:
        await env.client.register_activity(w.hangs_first_time, task_list="t")
        handle = await env.client.start_workflow(w.RetriesTimeout, "x", id="retry-1")
        doomed = env.new_worker(
            workflows=[], activities=[w.hangs_first_time], graceful_shutdown_timeout=0
        )
        async with doomed:
            await w.until(lambda: bool(w.flaky_attempts))
        # The dead worker answered nothing: SWF's start-to-close timeout hands it back,
        # and the workflow's retry policy schedules a new attempt.
        async with env.new_worker(workflows=[], activities=[w.hangs_first_time]):
            assert await handle.result() == "done x"
        assert w.flaky_attempts == ["a1", "a1.2"]
        kinds = [type(e).__name__ for e in await handle.history()]
        assert "ActivityTaskTimedOut" in kinds


@TRANSPORTS
@pytest.mark.parametrize("sync", [False, True])
async def test_heartbeat_carries_cancellation_into_activity(
    sync: bool, fast_transport: bool
) -> None:
    w.cancel_seen.clear()
    async with environment(fast_transport=fast_transport) as env:
        handle = await env.client.start_workflow(w.CancelsActivity, sync, id=f"cancel-{sync}")
        await anyio.sleep(0.2)  # let the activity start heartbeating
        await handle.signal("cancel_it")
        assert await handle.result() == "cancelled"
        assert w.cancel_seen == ["sync" if sync else "async"]
        kinds = [type(e).__name__ for e in await handle.history()]
        assert "ActivityTaskCancelRequested" in kinds
        assert "ActivityTaskCanceled" in kinds


async def test_workflow_bug_fails_only_the_decision_task_and_recovers() -> None:
    async with WorkflowEnvironment(workflows=[w.BuggyV1], task_list="t") as env:
        assert env.worker is not None
        with capture_logs() as logs:
            handle = await env.client.start_workflow(w.BuggyV1, 21, id="buggy-1")
            await w.until(lambda: any(log["event"] == "decision_task_failed" for log in logs))
        failed = next(log for log in logs if log["event"] == "decision_task_failed")
        assert failed["workflow_id"] == "buggy-1"
        assert failed["run_id"] == handle.run_id
        assert (await handle.describe()).status == "OPEN"
        env.worker.replace_workflows([w.BuggyFixed])  # deploy the fix
        assert await handle.result(raise_on_decision_failure=False) == 42
        # The failed attempt is in the history (its record and the retry timer), not
        # a decision task left to time out.
        markers = [ev for ev in await handle.history() if isinstance(ev, e.MarkerRecorded)]
        assert [m.attributes.marker_name for m in markers][:1] == ["swfasync.decision_failure"]


async def test_graceful_shutdown_finishes_running_activities() -> None:
    w.started_slow.clear()
    w.finished_slow.clear()
    async with WorkflowEnvironment(workflows=ALL_WORKFLOWS, task_list="t") as env:
        await env.client.register_activity(w.slow, task_list="t")
        handle = await env.client.start_workflow(w.FanOut, 4, id="fanout-1")
        async with env.new_worker(activities=[w.slow]) as worker:
            await w.until(lambda: len(w.started_slow) >= 4)
            worker.shutdown()
        # Leaving the block waited for the running activities: none was lost.
        assert sorted(w.finished_slow) == ["s0", "s1", "s2", "s3"]
        assert worker.completed_activities == 4
        assert await handle.result() == ["s0", "s1", "s2", "s3"]


async def test_capacity_limit_is_taken_before_polling() -> None:
    w.max_running[0] = 0
    async with environment(max_concurrent_activities=1, activity_pollers=3) as env:
        handle = await env.client.start_workflow(w.FanOut, 3, id="fanout-cap")
        assert await handle.result() == ["s0", "s1", "s2"]
    assert w.max_running[0] == 1


async def test_stuck_activation_hits_the_deadlock_timeout() -> None:
    w.spin.clear()
    async with environment(deadlock_timeout=0.3) as env:
        with capture_logs() as logs:
            handle = await env.client.start_workflow(w.Spins, id="spins-1")
            started = time.monotonic()
            await w.until(lambda: any(log["event"] == "workflow_deadlock_detected" for log in logs))
            # The worker's loop stayed responsive while the activation was stuck.
            assert time.monotonic() - started < 5
            other = await env.client.start_workflow(w.Greeting, "x", id="greet-while-stuck")
            assert await other.result() == "HELLO, X!"
        w.spin.set()  # let the abandoned thread end
        await handle.terminate(reason="test over")


async def test_embedding_in_an_application_task_group() -> None:
    async with WorkflowEnvironment() as env:
        worker = Worker(
            env.client, task_list="t", workflows=[w.Greeting], activities=[w.greet, w.shout]
        )
        async with anyio.create_task_group() as tg:
            await tg.start(worker.run)
            handle: WorkflowHandle[str] = await env.client.start_workflow(
                w.Greeting, "app", id="embedded"
            )
            assert await handle.result() == "HELLO, APP!"
            worker.shutdown()


async def test_incremental_decisions_use_the_cache() -> None:
    async with environment() as env:
        handle = await env.client.start_workflow(w.Greeting, "c", id="cached")
        await handle.result()
        assert env.worker is not None
        assert env.worker.handler.cache_hits >= 1
