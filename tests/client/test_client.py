"""The client end to end over loopback HTTP against the in-process dev server."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from botocore.loaders import JSONFileLoader

from swfasync import ApplicationError, IdReusePolicy, activity, workflow
from swfasync.client import Client
from swfasync.exceptions import WorkflowAlreadyStartedError, WorkflowFailureError
from swfasync.testing import ActivityEnvironment, Replayer, WorkflowEnvironment

tokens: dict[str, str] = {}  # request -> task token


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def wait_for_human(request: str) -> str:
    tokens[request] = activity.info().task_token
    activity.complete_async()


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def echo(text: str) -> str:
    return text


@workflow.defn(task_list="c")
class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.done = False

    @workflow.run
    async def run(self, limit: int) -> int:
        await workflow.wait_condition(lambda: self.done or self.count >= limit)
        return self.count

    @workflow.signal
    def add(self, n: int) -> None:
        self.count += n

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.state
    def state(self) -> dict[str, Any]:
        return {"count": self.count}


@workflow.defn(task_list="c")
async def Fails() -> None:
    raise ApplicationError("no way", {"code": 7}, type="Refused")


@workflow.defn(task_list="c")
async def Approval(request: str) -> str:
    return await workflow.execute_activity(wait_for_human, request)


@workflow.defn(task_list="c")
async def Chatty(n: int) -> int:
    for i in range(n):
        await workflow.execute_activity(echo, str(i))
    return n


def environment() -> WorkflowEnvironment:
    return WorkflowEnvironment(
        workflows=[Counter, Fails, Approval, Chatty],
        activities=[wait_for_human, echo],
        task_list="c",
    )


async def test_signals_state_describe_and_result() -> None:
    async with environment() as env:
        handle = await env.client.start_workflow(Counter, 5, id="counter")
        await handle.signal("add", 2)
        await handle.signal("add", 3)
        assert await handle.result() == 5
        assert await handle.published_state() == {"count": 5}
        description = await handle.describe()
        assert (description.status, description.close_status) == ("CLOSED", "COMPLETED")
        assert description.workflow_type == "Counter"


async def test_failure_carries_reason_and_details() -> None:
    async with environment() as env:
        handle = await env.client.start_workflow(Fails, id="fails")
        with pytest.raises(WorkflowFailureError) as caught:
            await handle.result()
        assert caught.value.close_status == "FAILED"
        assert caught.value.reason == "Refused: no way"
        assert caught.value.details is not None
        assert '"code":7' in caught.value.details


async def test_cancel_and_terminate() -> None:
    async with environment() as env:
        cancelled = await env.client.start_workflow(Counter, 100, id="to-cancel")
        await cancelled.cancel()
        with pytest.raises(WorkflowFailureError) as caught:
            await cancelled.result()
        assert caught.value.close_status == "CANCELED"
        terminated = await env.client.start_workflow(Counter, 100, id="to-terminate")
        await terminated.terminate(reason="operator")
        with pytest.raises(WorkflowFailureError) as caught:
            await terminated.result()
        assert (caught.value.close_status, caught.value.reason) == ("TERMINATED", "operator")


async def test_id_reuse_policies() -> None:
    async with environment() as env:
        first = await env.client.start_workflow(Counter, 100, id="same")
        with pytest.raises(WorkflowAlreadyStartedError):
            await env.client.start_workflow(Counter, 100, id="same")
        again = await env.client.start_workflow(
            Counter, 100, id="same", id_reuse_policy=IdReusePolicy.USE_EXISTING
        )
        assert again.run_id == first.run_id
        replaced = await env.client.start_workflow(
            Counter, 1, id="same", id_reuse_policy=IdReusePolicy.TERMINATE_EXISTING
        )
        assert replaced.run_id != first.run_id
        assert (await first.describe()).close_status == "TERMINATED"
        await replaced.terminate()


async def test_list_count_and_handles() -> None:
    async with environment() as env:
        for i in range(3):
            await env.client.start_workflow(Counter, 100, id=f"open-{i}", tag_list=["batch"])
        done = await env.client.start_workflow(Chatty, 1, id="closed-0")
        await done.result()
        assert await env.client.count_workflows() == 3
        assert await env.client.count_workflows(status="CLOSED") == 1
        tagged = await env.client.list_workflows(tag="batch")
        assert sorted(r.workflow_id for r in tagged) == ["open-0", "open-1", "open-2"]
        closed = await env.client.list_workflows(status="CLOSED", close_status="COMPLETED")
        assert [r.workflow_id for r in closed] == ["closed-0"]
        latest = await env.client.get_workflow_handle("closed-0")
        assert latest.run_id == done.run_id


async def test_history_has_every_page_and_replays() -> None:
    async with environment() as env:
        handle = await env.client.start_workflow(Chatty, 30, id="chatty")
        assert await handle.result() == 30
        body = await handle.history_json(page_size=50)
        events = await handle.history()
        assert len(body["events"]) == len(events) > 150  # several pages of 50
        assert [e.event_id for e in events] == list(range(1, len(events) + 1))
        result = Replayer([Chatty]).replay(body)
        assert result.ok


async def test_manual_completion_by_task_token() -> None:
    tokens.clear()
    async with environment() as env:
        approved = await env.client.start_workflow(Approval, "raise", id="approve-1")
        rejected = await env.client.start_workflow(Approval, "holiday", id="approve-2")
        with anyio.fail_after(10):
            while len(tokens) < 2:  # noqa: ASYNC110 - the activity side, not a server event
                await anyio.sleep(0.01)
        # The two activities run concurrently: find each one's token by its request.
        assert await env.client.heartbeat_activity(tokens["raise"], "still thinking") is False
        await env.client.complete_activity(tokens["raise"], "yes")
        await env.client.fail_activity(tokens["holiday"], ApplicationError("no"))
        assert await approved.result() == "yes"
        with pytest.raises(WorkflowFailureError) as caught:
            await rejected.result()
        assert "no" in (caught.value.reason or "")


async def test_idempotent_registration() -> None:
    async with WorkflowEnvironment() as env:
        assert await env.client.register_domain() is False  # the environment made it
        assert await env.client.register_workflow(Counter) is True
        assert await env.client.register_workflow(Counter) is False
        assert await env.client.register_activity(echo, task_list="c") is True
        assert await env.client.register_activity(echo, task_list="c") is False


async def test_client_outside_context_is_a_clear_error() -> None:
    client = Client.local("http://127.0.0.1:9", "x")
    with pytest.raises(RuntimeError, match="not open"):
        _ = client.raw


async def test_activity_environment_captures_heartbeats_and_cancels() -> None:
    @activity.defn
    async def counts() -> int:
        for i in range(3):
            activity.heartbeat(i)
        await anyio.lowlevel.checkpoint()
        return activity.info().started_event_id

    env = ActivityEnvironment()
    assert await env.run(counts) == 1
    assert env.heartbeats == [(0,), (1,), (2,)]

    @activity.defn
    def sync_waits() -> str:
        for _ in range(1000):
            activity.heartbeat()
            if activity.is_cancelled():
                return "noticed"
            anyio.from_thread.run(anyio.sleep, 0.001)
        return "never"

    cancelling = ActivityEnvironment(on_heartbeat=lambda details: cancelling.cancel())
    assert await cancelling.run(sync_waits) == "noticed"


async def test_opening_a_client_reads_botocores_data_files_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making an aiobotocore client parses about 80 ms of JSON (SWF's model, every
    service's endpoints): the client has it parsed on a thread, not on the host's loop."""
    loop_thread = threading.current_thread()
    read_on: list[tuple[str, bool]] = []
    original = JSONFileLoader.load_file

    def load_file(self: JSONFileLoader, file_path: str) -> Any:
        data = original(self, file_path)
        if data is not None:  # a file that was there and parsed, not a look for one
            read_on.append((file_path, threading.current_thread() is loop_thread))
        return data

    monkeypatch.setattr(JSONFileLoader, "load_file", load_file)
    async with Client.local("http://127.0.0.1:1", "d"):
        pass
    loaded = {path for path, _ in read_on}
    assert any(path.endswith("endpoints") for path in loaded)
    assert any("swf" in path for path in loaded)
    assert [path for path, on_loop in read_on if on_loop] == []
