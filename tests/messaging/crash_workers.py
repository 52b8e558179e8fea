"""A consumer and a notifier that stop at the worst moment, for the tests to SIGKILL there.

``python -m tests.messaging.crash_workers consumer SWF_URL MOTO_URL QUEUE DLQ``: starts
workflows but never deletes; prints ``STARTED <message id>`` after each start.

``python -m tests.messaging.crash_workers notifier SWF_URL MOTO_URL TOPIC LEDGER N``:
records N notifications, then publishes the next and stops before recording it, printing
``PUBLISHED <notification id>``.
"""

from __future__ import annotations

import sys
from typing import Any

import anyio

from swfasync.client import Client
from swfasync.messaging import SqliteLedger, SqsSubmissions, StatusNotifier
from swfasync.messaging._local import LOCAL_CREDENTIALS

from .workflows import ALL


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class NeverDeletes:
    """Stands where the consumer's batched deleter is: the start happened, the delete never
    will."""

    def add(self, message: Any) -> None:
        say(f"STARTED {message.message_id}")


class StopsBeforeDeleting(SqsSubmissions):
    async def _process(self, message: Any, deleter: Any) -> bool:
        return await super()._process(message, NeverDeletes())


class StopsBeforeRecording(SqliteLedger):
    def __init__(self, path: str, allowed: int) -> None:
        super().__init__(path)
        self.allowed = allowed

    async def record_sent(
        self,
        workflow_id: str,
        run_id: str,
        event_id: int,
        status: str,
        notification_id: str,
        continued: bool,
    ) -> None:
        if self.allowed == 0:
            say(f"PUBLISHED {notification_id}")
            await anyio.sleep_forever()
        self.allowed -= 1
        await super().record_sent(workflow_id, run_id, event_id, status, notification_id, continued)


async def consumer(swf_url: str, moto_url: str, queue_url: str, dlq_url: str) -> None:
    async with (
        Client.local(swf_url) as client,
        StopsBeforeDeleting(
            client,
            queue_url,
            dlq_url,
            workflows=ALL,
            visibility_timeout=2,
            sqs_options={"endpoint_url": moto_url, **LOCAL_CREDENTIALS},
        ),
    ):
        say("READY")
        await anyio.sleep_forever()


async def notifier(swf_url: str, moto_url: str, topic_arn: str, ledger: str, allowed: str) -> None:
    async with (
        Client.local(swf_url) as client,
        StatusNotifier(
            client,
            topic_arn,
            ledger=StopsBeforeRecording(ledger, int(allowed)),
            interval=0.1,
            sns_options={"endpoint_url": moto_url, **LOCAL_CREDENTIALS},
        ),
    ):
        say("READY")
        await anyio.sleep_forever()


if __name__ == "__main__":
    role, *args = sys.argv[1:]
    if role == "consumer":
        anyio.run(lambda: consumer(*args))
    else:
        anyio.run(lambda: notifier(*args))
