"""An activity task's life on the worker: info, answers, logs, cancellation, shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import anyio
import anyio.lowlevel
import pytest
import structlog
from structlog.testing import capture_logs

from swfasync import activity, workflow
from swfasync._wire import events as e
from swfasync.client import WorkflowHandle
from swfasync.exceptions import ActivityCancelledError, ActivityFailedError
from swfasync.testing import ActivityEnvironment, WorkflowEnvironment

from .workflows import until

TASK_LIST = "acts"
infos: list[activity.ActivityInfo] = []
events: list[str] = []  # what the activities below went through, in order
heartbeating: set[str] = set()  # the activity types that have begun to heartbeat


@activity.defn(
    start_to_close_timeout=timedelta(seconds=30), heartbeat_timeout=timedelta(seconds=10)
)
async def describes() -> str:
    infos.append(activity.info())
    infos.append(activity.info())
    return "described"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
def describes_in_a_thread() -> str:
    infos.append(activity.info())
    return "described"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def takes_a_number(value: int) -> int:
    return value


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def breaks() -> None:
    raise ValueError("broken on purpose")


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def leaves_it_open() -> None:
    activity.complete_async()


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def unknown_to_the_worker() -> None:
    """Registered with SWF, but no worker of these tests runs it."""


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def heartbeats_in_a_child_task() -> str:
    async def beat() -> None:
        heartbeating.add(activity.info().activity_type)
        while True:
            activity.heartbeat()
            await anyio.sleep(0.01)

    try:
        async with anyio.create_task_group() as children:
            children.start_soon(beat)
    except asyncio.CancelledError:
        events.append("child task group cancelled")
        raise
    return "never cancelled"


async def heartbeat_until_cancelled() -> NoReturn:
    """Heartbeat every 10 ms, so a cancellation request reaches the activity soon."""
    heartbeating.add(activity.info().activity_type)
    while True:
        activity.heartbeat()
        await anyio.sleep(0.01)


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def cleans_up_when_cancelled() -> str:
    try:
        await heartbeat_until_cancelled()
    except asyncio.CancelledError:
        events.append("cleaning up")
        await anyio.sleep(0.01)  # cleanup may await: the cancellation came once
        events.append("cleaned up")
        raise


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def returns_when_cancelled() -> str:
    try:
        await heartbeat_until_cancelled()
    except asyncio.CancelledError:
        await anyio.sleep(0.01)
        return "stopped early"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def hangs_in_cleanup() -> str:
    try:
        await heartbeat_until_cancelled()
    except asyncio.CancelledError:
        events.append("cleaning up")
        try:
            await anyio.sleep_forever()
        except asyncio.CancelledError:
            events.append("cleanup cancelled")
            raise
    return "unreachable"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def heartbeats_until_stopped() -> str:
    try:
        await heartbeat_until_cancelled()
    except asyncio.CancelledError:
        events.append("cancelled")
        raise


@workflow.defn(task_list=TASK_LIST)
async def RunsOne(name: str, args: list[Any]) -> str:
    try:
        return repr(await workflow.execute_activity(name, *args, version="1"))
    except ActivityFailedError as error:
        return f"failed: {error.reason}"


@workflow.defn(task_list=TASK_LIST)
class CancelsOnSignal:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, name: str) -> str:
        started = workflow.start_activity(
            name,
            version="1",
            cancellation=workflow.ActivityCancellation.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self.go)
        started.cancel()
        try:
            return f"completed: {await started!r}"
        except (asyncio.CancelledError, ActivityCancelledError):
            return "cancelled"

    @workflow.signal
    def cancel_it(self) -> None:
        self.go = True


ACTIVITIES = [
    describes,
    describes_in_a_thread,
    takes_a_number,
    breaks,
    leaves_it_open,
    heartbeats_in_a_child_task,
    cleans_up_when_cancelled,
    returns_when_cancelled,
    hangs_in_cleanup,
    heartbeats_until_stopped,
]
TASK_FIELDS = ("workflow_id", "run_id", "activity_id", "activity_type", "domain", "task_list")


def environment() -> WorkflowEnvironment:
    return WorkflowEnvironment(
        workflows=[RunsOne, CancelsOnSignal],
        activities=ACTIVITIES,
        task_list=TASK_LIST,
        worker_options={"max_heartbeat_interval": 0.05},
    )


def logged(logs: list[MutableMapping[str, Any]], event: str) -> MutableMapping[str, Any]:
    return next(log for log in logs if log["event"] == event)


def assert_names_the_task(
    log: MutableMapping[str, Any], handle: WorkflowHandle[Any], type_: str
) -> None:
    assert {key: log[key] for key in TASK_FIELDS} == {
        "workflow_id": handle.workflow_id,
        "run_id": handle.run_id,
        "activity_id": "a1",
        "activity_type": type_,
        "domain": "default",
        "task_list": TASK_LIST,
    }


async def test_info_describes_the_task_and_stays_the_same() -> None:
    infos.clear()
    before = datetime.now(UTC)
    async with environment() as env:
        handle = await env.client.start_workflow(RunsOne, "describes", [], id="describes")
        assert await handle.result() == "'described'"
        thread = await env.client.start_workflow(
            RunsOne, "describes_in_a_thread", [], id="describes-thread"
        )
        assert await thread.result() == "'described'"
    first, again, in_thread = infos
    assert again == first
    assert first.started_at is not None
    assert before <= first.started_at <= datetime.now(UTC)
    assert first.task_token
    assert dataclasses.replace(first, task_token="", started_at=None) == activity.ActivityInfo(
        task_token="",
        activity_id="a1",
        activity_type="describes",
        activity_version="1",
        workflow_id="describes",
        run_id=handle.run_id,
        domain="default",
        task_list=TASK_LIST,
        started_event_id=first.started_event_id,
        heartbeat_timeout=10.0,
    )
    assert first.started_event_id > 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.activity_id = "changed"  # type: ignore[misc]
    assert (in_thread.workflow_id, in_thread.heartbeat_timeout) == ("describes-thread", None)


async def test_unknown_type_and_bad_input_are_answered_as_failures() -> None:
    async with environment() as env:
        await env.client.register_activity(unknown_to_the_worker, task_list=TASK_LIST)
        with capture_logs() as logs:
            unknown = await env.client.start_workflow(
                RunsOne, "unknown_to_the_worker", [], id="unknown"
            )
            assert await unknown.result() == (
                "failed: UnknownTypeError: this worker has no activity unknown_to_the_worker/1"
            )
        refused = logged(logs, "activity_type_unknown")
        assert refused["log_level"] == "error"
        assert_names_the_task(refused, unknown, "unknown_to_the_worker/1")

        bad = await env.client.start_workflow(RunsOne, "takes_a_number", ["seven"], id="bad")
        reason = await bad.result()
        assert reason.startswith("failed: PayloadError: input[0] does not match")
        good = await env.client.start_workflow(RunsOne, "takes_a_number", [7], id="good")
        assert await good.result() == "7"


async def test_log_events_name_the_task() -> None:
    async with environment() as env:
        with capture_logs() as logs:
            failing = await env.client.start_workflow(RunsOne, "breaks", [], id="breaks")
            assert await failing.result() == "failed: ValueError: broken on purpose"
            leaving = await env.client.start_workflow(RunsOne, "leaves_it_open", [], id="leaves")
            await until(lambda: any(log["event"] == "activity_completing_async" for log in logs))
        failed = logged(logs, "activity_failed")
        assert (failed["log_level"], failed["reason"]) == (
            "warning",
            "ValueError: broken on purpose",
        )
        assert_names_the_task(failed, failing, "breaks/1")
        finished = logged(logs, "activity_finished")
        assert (finished["log_level"], finished["outcome"]) == ("debug", "failed")
        assert finished["seconds"] >= 0
        assert_names_the_task(finished, failing, "breaks/1")
        left_open = logged(logs, "activity_completing_async")
        assert_names_the_task(left_open, leaving, "leaves_it_open/1")


async def test_with_debug_filtered_out_the_other_events_still_name_the_task() -> None:
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    try:
        async with environment() as env:  # its worker's logger is made under this level
            with capture_logs() as logs:
                failing = await env.client.start_workflow(RunsOne, "breaks", [], id="breaks")
                assert await failing.result() == "failed: ValueError: broken on purpose"
    finally:
        structlog.configure(**previous)
    assert_names_the_task(logged(logs, "activity_failed"), failing, "breaks/1")
    assert not [log for log in logs if log["event"] == "activity_finished"]


@pytest.mark.parametrize(
    ("name", "expected_events"),
    [
        ("heartbeats_in_a_child_task", ["child task group cancelled"]),
        ("cleans_up_when_cancelled", ["cleaning up", "cleaned up"]),
    ],
)
async def test_cancellation_request_interrupts_an_async_activity_once(
    name: str, expected_events: list[str]
) -> None:
    events.clear()
    heartbeating.clear()
    async with environment() as env:
        with capture_logs() as logs:
            handle = await env.client.start_workflow(CancelsOnSignal, name, id=name)
            await until(lambda: name in heartbeating)
            await handle.signal("cancel_it")
            assert await handle.result() == "cancelled"
        assert events == expected_events
        requested = logged(logs, "activity_cancel_requested")
        assert_names_the_task(requested, handle, f"{name}/1")
        answered = logged(logs, "activity_cancelled")
        assert_names_the_task(answered, handle, f"{name}/1")
        kinds = [type(event).__name__ for event in await handle.history()]
        assert "ActivityTaskCanceled" in kinds


async def test_an_activity_may_answer_a_cancellation_request_with_a_result() -> None:
    heartbeating.clear()
    async with environment() as env:
        handle = await env.client.start_workflow(
            CancelsOnSignal, "returns_when_cancelled", id="returns"
        )
        await until(lambda: "returns_when_cancelled" in heartbeating)
        await handle.signal("cancel_it")
        await handle.result()  # the workflow had given up on it: what it returns is its own
        # The interruption was taken back once the activity ended: its answer went out.
        history = await handle.history()
        assert not [event for event in history if isinstance(event, e.ActivityTaskCanceled)]
        completed = [event for event in history if isinstance(event, e.ActivityTaskCompleted)]
        assert [event.attributes.result for event in completed] == ['"stopped early"']


async def test_task_gone_on_heartbeat_interrupts_the_activity_and_answers_nothing() -> None:
    events.clear()
    heartbeating.clear()
    async with environment() as env:
        with capture_logs() as logs:
            handle = await env.client.start_workflow(
                CancelsOnSignal, "heartbeats_until_stopped", id="gone"
            )
            await until(lambda: "heartbeats_until_stopped" in heartbeating)
            await handle.terminate(reason="gone")
            # The worker counts a task once its handling has ended, answered or not.
            await until(lambda: env.worker is not None and env.worker.completed_activities == 1)
        assert events == ["cancelled"]
        gone = logged(logs, "activity_task_gone_on_heartbeat")
        assert_names_the_task(gone, handle, "heartbeats_until_stopped/1")
        answers = {"activity_cancelled", "activity_finished", "activity_answer_rejected_task_gone"}
        assert not [log for log in logs if log["event"] in answers]


@pytest.mark.parametrize("cancel_first", [False, True], ids=["running", "in-cleanup"])
async def test_shutdown_past_its_grace_ends_heartbeating_activities(cancel_first: bool) -> None:
    events.clear()
    heartbeating.clear()
    name = "hangs_in_cleanup" if cancel_first else "heartbeats_until_stopped"
    async with WorkflowEnvironment(workflows=[CancelsOnSignal], task_list=TASK_LIST) as env:
        for definition in ACTIVITIES:
            await env.client.register_activity(definition, task_list=TASK_LIST)
        handle = await env.client.start_workflow(CancelsOnSignal, name, id=f"shutdown-{name}")
        worker = env.new_worker(
            workflows=[],
            activities=ACTIVITIES,
            graceful_shutdown_timeout=0.1,
            max_heartbeat_interval=0.05,
        )
        with anyio.fail_after(10):
            async with worker:
                await until(lambda: name in heartbeating)
                if cancel_first:
                    await handle.signal("cancel_it")
                    await until(lambda: events == ["cleaning up"])
                worker.shutdown()
        assert events == (["cleaning up", "cleanup cancelled"] if cancel_first else ["cancelled"])
        assert worker.completed_activities == 0
        kinds = [type(event).__name__ for event in await handle.history()]
        assert "ActivityTaskStarted" in kinds
        assert not {"ActivityTaskCompleted", "ActivityTaskCanceled", "ActivityTaskFailed"} & set(
            kinds
        )


async def test_activity_environment_interrupts_as_the_worker_does() -> None:
    events.clear()
    cancelling = ActivityEnvironment(on_heartbeat=lambda details: cancelling.cancel())
    with pytest.raises(asyncio.CancelledError):
        await cancelling.run(cleans_up_when_cancelled)
    assert events == ["cleaning up", "cleaned up"]
    assert await cancelling.run(returns_when_cancelled) == "stopped early"
    # Its interruptions were taken back: the caller's task goes on uncancelled.
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await anyio.lowlevel.checkpoint()  # a cancellation left pending would land here

    @activity.defn
    async def never_waits() -> str:
        return "done"

    cancelled_before = ActivityEnvironment()
    cancelled_before.cancel()
    assert await cancelled_before.run(never_waits) == "done"
    await anyio.lowlevel.checkpoint()
    with pytest.raises(asyncio.CancelledError):
        await cancelled_before.run(heartbeats_until_stopped)
    assert task.cancelling() == 0
    await anyio.lowlevel.checkpoint()
