"""What the messaging tests share: sending, draining and counting over real SQS clients."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from swfasync.messaging import LocalMessaging


async def send(messaging: LocalMessaging, body: Any, **extra: Any) -> str:
    """Send ``body`` (JSON-encoded unless already text) to the submission queue."""
    text = body if isinstance(body, str) else json.dumps(body)
    response = await messaging.sqs.send_message(
        QueueUrl=messaging.queue_url, MessageBody=text, **extra
    )
    return str(response["MessageId"])


async def drain(messaging: LocalMessaging, queue_url: str, *, wait: float = 0) -> list[Any]:
    """Every message now visible on ``queue_url`` (received and deleted), in order."""
    found: list[Any] = []
    while True:
        response = await messaging.sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=int(wait),
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        batch = response.get("Messages", [])
        if not batch:
            return found
        found.extend(batch)
        await messaging.sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
        wait = 0


async def queue_depth(messaging: LocalMessaging, queue_url: str) -> int:
    """Messages in the queue, visible or in flight."""
    response = await messaging.sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    attributes = response["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, within: float = 30, what: str = "condition"
) -> None:
    """Wait until ``check()`` is true; fail the test naming ``what`` after ``within`` seconds."""
    with anyio.move_on_after(within):
        while True:
            outcome = check()
            if inspect.isawaitable(outcome):
                outcome = await outcome
            if outcome:
                return
            await anyio.sleep(0.05)
    raise AssertionError(f"{what} not reached within {within} s")
