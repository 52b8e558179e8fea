"""The per-run cache and the sticky task list: incremental decisions, misses, fall-back.

The decisive property: whatever path a decision took (cached instance fed the history's
tail, or a full replay), it equals what a fresh full replay of the same history prefix
decides. Every decision a worker sends here is checked against that.
"""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
import pytest

from swfasync._client.transport import AiobotocoreTransport
from swfasync._engine.instance import ActivationResult
from swfasync._wire import events as e
from swfasync._wire.codec import AnyEvent
from swfasync._worker.decisions import fetch_full_history, poll_decision_task
from swfasync.client import WorkflowHandle
from swfasync.testing import WorkflowEnvironment
from swfasync.worker import DecisionTask, DecisionTaskHandler, Worker

from . import workflows as w

WORKFLOWS = [w.Mixed]
ACTIVITIES = [w.double]


class RecordingHandler(DecisionTaskHandler):
    """Keeps every task a worker activated with the decisions it made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decided: list[tuple[DecisionTask, bool, ActivationResult | None]] = []

    def activate(self, task: DecisionTask, cached: Any = None) -> ActivationResult | None:
        result = super().activate(task, cached)
        self.decided.append((task, cached is not None, result))
        return result


def recording(worker: Worker) -> RecordingHandler:
    handler = RecordingHandler(
        worker.workflows,
        domain=worker.client.domain,
        max_cached=worker.handler.max_cached,
        max_cached_bytes=worker.handler.max_cached_bytes,
    )
    worker.handler = handler
    return handler


def replayed_decisions(history: list[AnyEvent], started_event_id: int) -> list[dict[str, Any]]:
    """What a fresh instance decides from the full history up to ``started_event_id``."""
    fresh = DecisionTaskHandler(WORKFLOWS, domain="default", max_cached=0)
    started = next(ev for ev in history if isinstance(ev, e.WorkflowExecutionStarted))
    task = DecisionTask(
        task_token="-",
        workflow_id="-",
        run_id="-",
        workflow_type=started.attributes.workflow_type.name,
        workflow_version=started.attributes.workflow_type.version,
        started_event_id=started_event_id,
        previous_started_event_id=0,
        events=[ev for ev in history if ev.event_id <= started_event_id],
    )
    result = fresh.activate(task)
    decided: list[dict[str, Any]] = msgspec.to_builtins(result.decisions if result else [])
    return decided


async def finish(env: WorkflowEnvironment, handle: WorkflowHandle[Any], bonus: int) -> Any:
    history = await handle.history()
    while not any(isinstance(ev, e.TimerFired) for ev in history):
        await anyio.sleep(0.01)
        history = await handle.history()
    await handle.signal("add_bonus", bonus)
    return await handle.result()


async def answered_after_timer(handle: WorkflowHandle[Any]) -> bool:
    history = await handle.history()
    fired = [ev.event_id for ev in history if isinstance(ev, e.TimerFired)]
    return bool(fired) and any(
        isinstance(ev, e.DecisionTaskCompleted) and ev.event_id > fired[0] for ev in history
    )


async def assert_every_decision_replays(
    handler: RecordingHandler, handles: list[WorkflowHandle[Any]]
) -> None:
    histories = {h.run_id: await h.history() for h in handles}
    checked = 0
    for task, _, result in handler.decided:
        sent = msgspec.to_builtins(result.decisions if result else [])
        assert sent == replayed_decisions(histories[task.run_id], task.started_event_id)
        checked += 1
    assert checked == len(handler.decided) > 0


# The core paths run through both the worker's fast transport and plain aiobotocore.
TRANSPORTS = pytest.mark.parametrize(
    "fast_transport", [True, False], ids=["fast-transport", "aiobotocore"]
)


@TRANSPORTS
async def test_decisions_after_the_first_come_back_sticky_and_incremental(
    fast_transport: bool,
) -> None:
    async with WorkflowEnvironment(task_list="t") as env:
        worker = env.new_worker(
            workflows=WORKFLOWS, activities=ACTIVITIES, fast_transport=fast_transport
        )
        handler = recording(worker)
        async with worker:
            handle = await env.client.start_workflow(w.Mixed, 4, id="sticky-1")
            assert await finish(env, handle, 100) == 2 * (0 + 1 + 2 + 3) + 2 * 3 + 100
        history = await handle.history()
        scheduled = [ev for ev in history if isinstance(ev, e.DecisionTaskScheduled)]
        assert scheduled[0].attributes.task_list.name == "t"
        assert {ev.attributes.task_list.name for ev in scheduled[1:]} == {worker.sticky_task_list}
        # Only the first decision replays; every later one is fed the tail of a sticky page.
        assert handler.full_replays == 1
        assert handler.cache_hits == len(scheduled) - 1
        assert all(task.partial for task, _, _ in handler.decided[1:])
        assert all(cached for _, cached, _ in handler.decided[1:])
        await assert_every_decision_replays(handler, [handle])
        # The closing decision asked for no sticky list, and the closed run left the cache.
        completed = [ev for ev in history if isinstance(ev, e.DecisionTaskCompleted)]
        assert completed[-1].attributes.task_list is None
        assert handler.cached_runs == 0


async def test_full_replay_on_every_decision_decides_the_same() -> None:
    async with WorkflowEnvironment(task_list="t") as env:
        worker = env.new_worker(workflows=WORKFLOWS, activities=ACTIVITIES, max_cached_workflows=0)
        handler = recording(worker)
        async with worker:
            assert worker.sticky_task_list is None
            handle = await env.client.start_workflow(w.Mixed, 3, id="uncached-1")
            assert await finish(env, handle, 1) == 2 * 3 + 2 * 3 + 1
        assert handler.cache_hits == 0
        assert handler.full_replays == len(handler.decided)
        await assert_every_decision_replays(handler, [handle])


@TRANSPORTS
async def test_evicted_runs_are_rebuilt_from_the_full_history(fast_transport: bool) -> None:
    async with WorkflowEnvironment(task_list="t") as env:
        # One cached run at most, three runs in flight: sticky tasks keep missing.
        worker = env.new_worker(
            workflows=WORKFLOWS,
            activities=ACTIVITIES,
            max_cached_workflows=1,
            fast_transport=fast_transport,
        )
        handler = recording(worker)
        async with worker:
            handles = [
                await env.client.start_workflow(w.Mixed, 3, id=f"evicted-{n}") for n in range(3)
            ]
            results = [await finish(env, h, n) for n, h in enumerate(handles)]
        assert results == [12 + n for n in range(3)]
        assert handler.cached_runs <= 1
        rebuilt = [task for task, cached, _ in handler.decided if not cached]
        assert len(rebuilt) > len(handles), "a sticky miss must fall back to a full replay"
        assert all(not task.partial for task in rebuilt)
        await assert_every_decision_replays(handler, handles)


async def test_memory_bound_evicts_least_recently_used() -> None:
    async with WorkflowEnvironment(task_list="t") as env:
        worker = env.new_worker(workflows=WORKFLOWS, activities=ACTIVITIES, max_cached_bytes=40_000)
        handler = recording(worker)
        async with worker:
            handles = [
                await env.client.start_workflow(w.Mixed, 2, id=f"bytes-{n}") for n in range(4)
            ]
            for handle in handles:
                history = await handle.history()
                while not any(isinstance(ev, e.TimerStarted) for ev in history):
                    await anyio.sleep(0.01)
                    history = await handle.history()
            assert 0 < handler.cached_bytes <= 40_000
            assert handler.cached_runs < len(handles)
            for n, handle in enumerate(handles):
                assert await finish(env, handle, n) == 2 * 1 + 6 + n
        await assert_every_decision_replays(handler, handles)


async def test_sticky_task_of_a_gone_worker_returns_to_the_shared_task_list() -> None:
    async with WorkflowEnvironment(task_list="t") as env:
        first = env.new_worker(
            workflows=WORKFLOWS, activities=ACTIVITIES, sticky_schedule_to_start_timeout=1
        )
        async with first:
            handle = await env.client.start_workflow(w.Mixed, 1, id="orphan-1")
            # Wait until the decision after the timer (it asked for the sticky list) is
            # recorded and the run waits for its signal; then the process goes away.
            with anyio.fail_after(10):
                while True:
                    if await answered_after_timer(handle):
                        break
                    await anyio.sleep(0.01)
        await handle.signal("add_bonus", 7)
        second = env.new_worker(workflows=WORKFLOWS, activities=ACTIVITIES)
        handler = recording(second)
        async with second:
            assert await handle.result() == 0 + 2 * 3 + 7
        history = await handle.history()
        timed_out = [ev for ev in history if isinstance(ev, e.DecisionTaskTimedOut)]
        assert [ev.attributes.timeout_type for ev in timed_out] == ["SCHEDULE_TO_START"]
        assert handler.full_replays == 1
        await assert_every_decision_replays(handler, [handle])


async def test_full_history_stops_at_the_task_started_event() -> None:
    async with WorkflowEnvironment(task_list="t") as env:
        await env.client.register(workflows=WORKFLOWS, activities=ACTIVITIES, task_list="t")
        handle = await env.client.start_workflow(w.Mixed, 1, id="cut-1")
        swf = AiobotocoreTransport(env.client.raw)
        task = await poll_decision_task(
            swf, domain=env.client.domain, task_list="t", identity="test"
        )
        assert task is not None
        assert not task.partial
        await handle.signal("add_bonus", 1)  # recorded after the task started
        full = await fetch_full_history(swf, domain=env.client.domain, task=task)
        assert [ev.event_id for ev in full] == [ev.event_id for ev in task.events]
        assert full[-1].event_id == task.started_event_id


def test_a_partial_task_without_cached_state_is_refused() -> None:
    handler = DecisionTaskHandler(WORKFLOWS, domain="default")
    task = DecisionTask(
        task_token="-",
        workflow_id="wf",
        run_id="run",
        workflow_type="Mixed",
        workflow_version="1",
        started_event_id=9,
        previous_started_event_id=3,
        events=[],
        partial=True,
    )
    with pytest.raises(ValueError, match="full replay needs the whole history"):
        handler.activate(task)
