"""SIGKILL at the worst moment: no message and no notification is lost, and what repeats is
bounded by what was in flight."""

from __future__ import annotations

import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from swfasync.messaging import SqsSubmissions, StatusNotifier
from swfasync.testing import WorkflowEnvironment

from .helpers import drain, eventually, queue_depth, send
from .test_notifier import OPENING, Inbox
from .workflows import ALL, counting, submission

ROOT = Path(__file__).resolve().parents[2]
EVERY = {*OPENING, "Workflow Completed Successfully"}


async def lines_until(process: Process, want: Callable[[list[str]], bool]) -> list[str]:
    """The child's stdout lines, read until ``want(lines)``."""
    assert process.stdout is not None
    lines: list[str] = []
    buffer = ""
    with anyio.fail_after(60):
        async for chunk in TextReceiveStream(process.stdout):
            buffer += chunk
            *complete, buffer = buffer.split("\n")
            lines.extend(complete)
            if want(lines):
                return lines
    raise AssertionError(f"the child ended first; it printed {lines}")


async def kill(process: Process) -> None:
    process.send_signal(signal.SIGKILL)
    with anyio.fail_after(10):
        await process.wait()


async def test_consumer_killed_between_start_and_delete_loses_nothing_starts_nothing_twice(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    jobs = [f"k-{n}" for n in range(6)]
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        for job in jobs:
            await send(messaging, submission(job))
        process = await anyio.open_process(
            [
                sys.executable,
                "-m",
                "tests.messaging.crash_workers",
                "consumer",
                env.server.endpoint_url,
                messaging.endpoint_url,
                messaging.queue_url,
                messaging.dlq_url,
            ],
            cwd=ROOT,
        )
        try:
            lines = await lines_until(
                process, lambda seen: len({s for s in seen if s.startswith("STARTED")}) == len(jobs)
            )
        finally:
            await kill(process)
        assert await queue_depth(messaging, messaging.queue_url) == len(jobs)  # none deleted
        async with SqsSubmissions(
            env.client,
            messaging.queue_url,
            messaging.dlq_url,
            workflows=ALL,
            sqs=messaging.sqs,
            wait_time=1,
        ) as running:
            await eventually(
                lambda: running.stats.duplicates == len(jobs), what="every redelivery handled"
            )

            async def emptied() -> bool:
                return await queue_depth(messaging, messaging.queue_url) == 0

            await eventually(emptied, what="queue empty")
        assert running.stats.started == 0  # every redelivery found its run
        for job in jobs:
            runs = await env.client.list_workflows(
                status="CLOSED", workflow_id=f"my_awesome_app+{job}"
            ) + await env.client.list_workflows(status="OPEN", workflow_id=f"my_awesome_app+{job}")
            assert len(runs) == 1, job
        assert await drain(messaging, messaging.dlq_url) == []
        assert len({s for s in lines if s.startswith("STARTED")}) == len(jobs)


async def test_notifier_killed_between_publish_and_record_repeats_only_that_one(
    make_env: Callable[..., WorkflowEnvironment], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite3"
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        inbox = Inbox(messaging, await messaging.subscribe_queue("all"))
        process = await anyio.open_process(
            [
                sys.executable,
                "-m",
                "tests.messaging.crash_workers",
                "notifier",
                env.server.endpoint_url,
                messaging.endpoint_url,
                messaging.topic_arn,
                str(ledger),
                "3",  # record three, then stop between the fourth's publish and record
            ],
            cwd=ROOT,
        )
        try:
            await lines_until(process, lambda seen: "READY" in seen)
            handle = await env.client.start_workflow(counting, 1, id="crash-1")
            await handle.result()
            lines = await lines_until(process, lambda seen: seen[-1].startswith("PUBLISHED"))
        finally:
            await kill(process)
        in_flight = lines[-1].split()[1]
        async with StatusNotifier(
            env.client, messaging.topic_arn, ledger=ledger, sns=messaging.sns, interval=0.1
        ):

            async def complete() -> bool:
                await inbox.read()
                return {n.status for n in inbox.received} == EVERY

            await eventually(complete, what="every status after the restart")
    counts = Counter(n.notification_id for n in inbox.received)
    assert {n.status for n in inbox.received} == EVERY
    assert [i for i, c in counts.items() if c > 1] == [in_flight]
    assert counts[in_flight] == 2
