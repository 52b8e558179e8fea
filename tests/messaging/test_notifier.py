"""StatusNotifier against the dev server and moto's SNS (to SQS subscribers), over loopback."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest

from swfasync._client.idempotency import TERMINATE_REASON as DUPLICATE_REASON
from swfasync.messaging import (
    STATUSES,
    File,
    LocalMessaging,
    SqliteLedger,
    StatusNotification,
    StatusNotifier,
    decode_notification,
)
from swfasync.messaging._tags import make_tags
from swfasync.testing import WorkflowEnvironment

from .helpers import drain, eventually
from .workflows import Waiting, chained, refusing, tutorial

FILE = File(value="input.txt", url="https://files.example/input.txt", mime_type="text/plain")


class Inbox:
    """A subscriber queue, read into notifications grouped by workflow id."""

    def __init__(self, messaging: LocalMessaging, url: str) -> None:
        self.messaging = messaging
        self.url = url
        self.received: list[StatusNotification] = []
        self.attributes: list[dict[str, Any]] = []

    async def read(self) -> list[StatusNotification]:
        for raw in await drain(self.messaging, self.url):
            self.received.append(decode_notification(raw["Body"]))
            self.attributes.append(raw.get("MessageAttributes", {}))
        return self.received

    def statuses(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for n in self.received:
            found[n.workflow_id].append(n.status)
        return dict(found)

    async def has(self, expected: dict[str, list[str]]) -> bool:
        await self.read()
        got = self.statuses()
        return all(got.get(k) == v for k, v in expected.items())


def notifier(
    env: WorkflowEnvironment, ledger: Path | SqliteLedger, **options: Any
) -> StatusNotifier:
    assert env.messaging is not None
    options.setdefault("interval", 0.1)
    return StatusNotifier(
        env.client, env.messaging.topic_arn, ledger=ledger, sns=env.messaging.sns, **options
    )


OPENING = list(STATUSES[:4])


async def test_all_nine_statuses_from_swf_history(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        inbox = Inbox(messaging, await messaging.subscribe_queue("all"))
        async with notifier(env, tmp_path / "ledger.sqlite3"):
            tags = make_tags("my_awesome_app", "tutorial", "j-1")
            done = await env.client.start_workflow(tutorial, "x", FILE, id="done", tag_list=tags)
            await done.result()
            await env.client.start_workflow(refusing, "y", id="failed")
            canceled = await env.client.start_workflow(Waiting, "z", id="canceled")
            terminated = await env.client.start_workflow(Waiting, "t", id="terminated")
            await eventually(
                lambda: inbox.has(dict.fromkeys(("canceled", "terminated"), OPENING)),
                what="the waiting runs started",
            )
            await canceled.cancel()
            await terminated.terminate(reason="operator")
            await eventually(
                lambda: inbox.has(
                    {
                        "done": [*OPENING, "Workflow Completed Successfully"],
                        "failed": [*OPENING, "Workflow Completed With Errors"],
                        "canceled": [*OPENING, "Workflow Stop Requested", "Workflow Canceled"],
                        "terminated": [*OPENING, "Workflow Terminated With Exception"],
                    }
                ),
                what="every status of four runs",
            )
            await env.client.start_workflow(
                Waiting, "late", id="timed-out", execution_timeout=timedelta(minutes=5)
            )
            await eventually(lambda: inbox.has({"timed-out": OPENING}))
            env.server.advance_clock(301)
            await eventually(
                lambda: inbox.has({"timed-out": [*OPENING, "Workflow Terminated With Exception"]}),
                what="the timeout announced",
            )
    by_id = {(n.workflow_id, n.status): n for n in inbox.received}
    seen = {n.status for n in inbox.received}
    assert seen == set(STATUSES)
    assert [n.status_code for n in inbox.received if n.workflow_id == "done"] == [1, 2, 3, 4, 5]
    completed = by_id[("done", "Workflow Completed Successfully")]
    assert completed.app_id == "my_awesome_app"
    assert completed.workflow_slug == "tutorial"
    assert completed.job_number == "j-1"
    assert completed.run_id == done.run_id
    assert completed.result == "x <- input.txt (text/plain) at https://files.example/input.txt"
    assert by_id[("failed", "Workflow Completed With Errors")].failure is not None
    assert by_id[("failed", "Workflow Created")].workflow_slug == "refusing"  # no tags: type
    assert by_id[("failed", "Workflow Created")].app_id is None
    terminated_note = by_id[("terminated", "Workflow Terminated With Exception")]
    assert terminated_note.failure is not None
    assert terminated_note.failure.reason == "operator"
    timeout_note = by_id[("timed-out", "Workflow Terminated With Exception")]
    assert timeout_note.failure is not None
    assert timeout_note.failure.timeout_type == "START_TO_CLOSE"
    ids = [n.notification_id for n in inbox.received]
    assert len(ids) == len(set(ids))
    for note, attributes in zip(inbox.received, inbox.attributes, strict=True):
        assert attributes["status"]["StringValue"] == note.status
        assert attributes["workflow_slug"]["StringValue"] == note.workflow_slug
        assert ("app_id" in attributes) == (note.app_id is not None)


async def test_filter_policies_pick_an_applications_notifications(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        mine = Inbox(
            messaging,
            await messaging.subscribe_queue(
                "mine", {"workflow_slug": ["tutorial"], "app_id": ["my_awesome_app"]}
            ),
        )
        finished = Inbox(
            messaging,
            await messaging.subscribe_queue(
                "finished", {"status": ["Workflow Completed Successfully"]}
            ),
        )
        async with notifier(env, tmp_path / "ledger.sqlite3"):
            for app, job in (("my_awesome_app", "1"), ("other_app", "2"), ("my_awesome_app", "3")):
                handle = await env.client.start_workflow(
                    tutorial, "x", FILE, id=f"{app}-{job}", tag_list=make_tags(app, "tutorial", job)
                )
                await handle.result()
            await env.client.start_workflow(
                refusing, "y", id="refused", tag_list=make_tags("my_awesome_app", "refusing", "4")
            )
            expected_mine = {
                "my_awesome_app-1": [*OPENING, "Workflow Completed Successfully"],
                "my_awesome_app-3": [*OPENING, "Workflow Completed Successfully"],
            }
            await eventually(lambda: mine.has(expected_mine), what="my app's notifications")
            await eventually(
                lambda: finished.has(
                    {
                        k: ["Workflow Completed Successfully"]
                        for k in ("my_awesome_app-1", "other_app-2", "my_awesome_app-3")
                    }
                )
            )
        await mine.read()
        await finished.read()
    assert mine.statuses() == expected_mine
    assert {n.workflow_id for n in finished.received} == {
        "my_awesome_app-1",
        "other_app-2",
        "my_awesome_app-3",
    }


async def test_a_restart_publishes_what_happened_while_down_and_nothing_twice(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        inbox = Inbox(messaging, await messaging.subscribe_queue("all"))
        async with notifier(env, ledger):
            waiting = await env.client.start_workflow(Waiting, "w", id="across")
            await eventually(lambda: inbox.has({"across": OPENING}))
        # down: the run is signalled and completes, another starts and completes
        await waiting.signal("proceed")
        await waiting.result()
        await env.client.start_workflow(refusing, "r", id="while-down")
        async with notifier(env, ledger):
            await eventually(
                lambda: inbox.has(
                    {
                        "across": [*OPENING, "Workflow Completed Successfully"],
                        "while-down": [*OPENING, "Workflow Completed With Errors"],
                    }
                ),
                what="what happened while down",
            )
    ids = [n.notification_id for n in inbox.received]
    assert len(ids) == len(set(ids))


async def test_a_fifo_topic_groups_by_workflow_and_drops_repeats(
    moto_endpoint: str, tmp_path: Path
) -> None:
    async with (
        WorkflowEnvironment(workflows=[tutorial], task_list="messaging") as env,
        LocalMessaging(moto_endpoint, fifo=True) as messaging,
    ):
        inbox_url = await messaging.subscribe_queue("fifo-app")
        async with StatusNotifier(
            env.client,
            messaging.topic_arn,
            ledger=tmp_path / "ledger.sqlite3",
            sns=messaging.sns,
            interval=0.1,
        ) as running:
            handle = await env.client.start_workflow(tutorial, "x", FILE, id="fifo-1")
            await handle.result()
            received: list[Any] = []

            async def all_five() -> bool:
                received.extend(await drain(messaging, inbox_url))
                return len(received) >= 5

            await eventually(all_five, what="five notifications through the FIFO topic")
            # What a crash between publish and record does: the same notification again.
            again = decode_notification(received[0]["Body"])
            await running._publish(again)
            await anyio.sleep(0.5)
            received.extend(await drain(messaging, inbox_url))
    notes = [decode_notification(r["Body"]) for r in received]
    assert [r["Attributes"]["MessageGroupId"] for r in received] == ["fifo-1"] * len(received)
    dedup = [r["Attributes"]["MessageDeduplicationId"] for r in received]
    assert dedup == [n.notification_id for n in notes]
    # The repeat carries its first delivery's deduplication id, so SNS FIFO drops it
    # within its five-minute window (moto's server does not deduplicate: it arrives here).
    assert dedup[5:] == dedup[:1]
    assert [n.status for n in notes[:5]] == [*OPENING, "Workflow Completed Successfully"]


async def test_a_duplicate_run_an_idempotent_start_terminated_announces_nothing(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        inbox = Inbox(messaging, await messaging.subscribe_queue("all"))
        async with notifier(env, tmp_path / "ledger.sqlite3", interval=3600) as running:
            await anyio.sleep(0.2)  # the first scan, with nothing to see
            duplicate = await env.client.start_workflow(Waiting, "d", id="raced")
            await duplicate.terminate(reason=DUPLICATE_REASON + "earlier-run")
            operator = await env.client.start_workflow(Waiting, "o", id="stopped")
            await operator.terminate(reason="operator")
            await running.scan()

            async def stopped_announced() -> bool:
                await inbox.read()
                return "Workflow Terminated With Exception" in inbox.statuses().get("stopped", [])

            await eventually(stopped_announced, what="the operator's termination announced")
            assert await running.scan() == 0
        assert "raced" not in inbox.statuses()


async def test_a_job_that_continues_as_new_opens_once_and_closes_once(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        inbox = Inbox(messaging, await messaging.subscribe_queue("all"))
        async with notifier(env, tmp_path / "ledger.sqlite3"):
            tags = make_tags("my_awesome_app", "chained", "c-1")
            handle = await env.client.start_workflow(chained, 2, id="chain", tag_list=tags)
            assert await handle.result() == 0
            await eventually(
                lambda: inbox.has({"chain": [*OPENING, "Workflow Completed Successfully"]}),
                what="one opening and one completion",
            )
    runs = {n.status: n.run_id for n in inbox.received}
    assert runs["Workflow Created"] == handle.run_id
    assert runs["Workflow Completed Successfully"] != handle.run_id  # the last run's
    completed = [n for n in inbox.received if n.status == "Workflow Completed Successfully"]
    assert (completed[0].app_id, completed[0].job_number) == ("my_awesome_app", "c-1")


async def test_a_quiet_open_run_is_read_less_often_and_its_close_at_once(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        inbox = Inbox(messaging, await messaging.subscribe_queue("all"))
        reads: list[str] = []
        history = env.client.raw.get_workflow_execution_history

        async def counted(**kwargs: Any) -> Any:
            reads.append(kwargs["execution"]["workflowId"])
            return await history(**kwargs)

        monkeypatch.setattr(env.client.raw, "get_workflow_execution_history", counted)
        async with notifier(env, tmp_path / "ledger.sqlite3", interval=0.05, idle_cap=0.4):
            handle = await env.client.start_workflow(Waiting, "q", id="quiet")
            await eventually(lambda: inbox.has({"quiet": OPENING}))
            reads.clear()
            await anyio.sleep(2)  # 40 scans
            assert 3 <= reads.count("quiet") <= 10
            await handle.signal("proceed")
            with anyio.fail_after(5):  # well under a poll of every run on every scan
                await eventually(
                    lambda: inbox.has({"quiet": [*OPENING, "Workflow Completed Successfully"]})
                )
