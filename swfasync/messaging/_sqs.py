"""The SQS side of the consumer: one received message, batched deletes, visibility, the DLQ.

A message leaves its queue in exactly two ways: deleted after its workflow was started
(or found already started), or deleted after a copy, unchanged, was accepted by the
dead-letter queue. Anything else leaves it where it is for SQS to deliver again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import anyio

from .._log import get_logger
from ._aws import is_transient

log = get_logger("swfasync.messaging")

BATCH: Final = 10  # SQS's maximum per receive, delete and visibility batch
# SQS allows 10 message attributes; the dead-letter reason takes up to four of them.
ATTRIBUTE_LIMIT: Final = 10
DETAIL_LIMIT: Final = 1024
REASON_ATTRIBUTE: Final = "swfasync.reason"
DETAIL_ATTRIBUTE: Final = "swfasync.detail"
FIELD_ATTRIBUTE: Final = "swfasync.field"
SOURCE_ATTRIBUTE: Final = "swfasync.source_message_id"


@dataclass
class Received:
    """One received message and what the consumer knows about it."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]
    done: bool = False

    @classmethod
    def from_response(cls, raw: dict[str, Any]) -> Received:
        return cls(
            message_id=raw["MessageId"],
            receipt_handle=raw["ReceiptHandle"],
            body=raw.get("Body", ""),
            attributes=dict(raw.get("Attributes", {})),
            message_attributes=dict(raw.get("MessageAttributes", {})),
        )

    @property
    def group_id(self) -> str | None:
        return self.attributes.get("MessageGroupId")

    @property
    def receive_count(self) -> int:
        return int(self.attributes.get("ApproximateReceiveCount", "1"))


def dead_letter_attributes(
    message: Received, reason: str, detail: str, field: str | None
) -> dict[str, Any]:
    """The message's own attributes (as many as fit) and the dead-letter reason."""
    ours: dict[str, Any] = {
        REASON_ATTRIBUTE: {"DataType": "String", "StringValue": reason},
        DETAIL_ATTRIBUTE: {"DataType": "String", "StringValue": detail[:DETAIL_LIMIT] or reason},
        SOURCE_ATTRIBUTE: {"DataType": "String", "StringValue": message.message_id},
    }
    if field:
        ours[FIELD_ATTRIBUTE] = {"DataType": "String", "StringValue": field}
    kept: dict[str, Any] = {}
    for name, value in message.message_attributes.items():
        if len(kept) + len(ours) >= ATTRIBUTE_LIMIT:
            log.warning("dead_letter_attribute_dropped", message_id=message.message_id, name=name)
            continue
        if name not in ours:
            kept[name] = {k: v for k, v in value.items() if k in _ATTRIBUTE_KEYS}
    return {**kept, **ours}


_ATTRIBUTE_KEYS: Final = frozenset({"DataType", "StringValue", "BinaryValue"})


class Acknowledger(Protocol):
    """Where a handled message goes to be deleted."""

    def add(self, message: Received) -> None: ...


@dataclass
class Deleter:
    """Deletes acknowledged messages in batches of up to ten.

    A delete that fails leaves its message to be delivered again, which the idempotent
    start makes harmless; so a failed batch is tried a few times, then logged.
    """

    sqs: Any
    queue_url: str
    stats: Any = None  # anything with a ``deleted`` count to keep up to date
    delay: float = 0.02
    attempts: int = 5
    _pending: list[Received] = field(default_factory=list)
    _wake: anyio.Event = field(default_factory=anyio.Event)
    _closed: bool = False
    deleted: int = 0

    def add(self, message: Received) -> None:
        self._pending.append(message)
        self._wake.set()

    def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            if len(self._pending) < BATCH and not self._closed:
                await anyio.sleep(self.delay)  # let a batch gather
            while self._pending:
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
                with anyio.CancelScope(shield=True):
                    await self._delete(batch)
            if self._closed:
                return

    async def _delete(self, batch: Sequence[Received]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(batch)]
        for attempt in range(self.attempts):
            try:
                response = await self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url, Entries=entries
                )
            except Exception as error:
                if attempt + 1 < self.attempts and is_transient(error):
                    await anyio.sleep(min(2.0, 0.1 * 2**attempt))
                    continue
                log.warning(
                    "delete_failed",
                    queue_url=self.queue_url,
                    messages=[m.message_id for m in batch],
                    error=repr(error),
                )
                return
            failed = response.get("Failed", [])
            self.deleted += len(batch) - len(failed)
            if self.stats is not None:
                self.stats.deleted += len(batch) - len(failed)
            for entry in failed:
                message = batch[int(entry["Id"])]
                log.warning(
                    "delete_refused",
                    message_id=message.message_id,
                    code=entry.get("Code"),
                    detail=entry.get("Message"),
                )
            return


async def keep_invisible(
    sqs: Any, queue_url: str, messages: Sequence[Received], visibility: int
) -> None:
    """Extend the visibility of ``messages`` not yet done, every half ``visibility`` seconds, until
    cancelled: a slow start must not let SQS hand its message to another consumer."""
    while True:
        await anyio.sleep(max(1.0, visibility / 2))
        pending = [m for m in messages if not m.done]
        for start in range(0, len(pending), BATCH):
            chunk = pending[start : start + BATCH]
            try:
                await sqs.change_message_visibility_batch(
                    QueueUrl=queue_url,
                    Entries=[
                        {
                            "Id": str(i),
                            "ReceiptHandle": m.receipt_handle,
                            "VisibilityTimeout": visibility,
                        }
                        for i, m in enumerate(chunk)
                    ],
                )
            except Exception as error:
                log.warning("visibility_extension_failed", error=repr(error))


async def retry_later(sqs: Any, queue_url: str, messages: Sequence[Received], cap: int) -> None:
    """Make ``messages`` visible again after a backoff that grows with their deliveries
    (capped by the visibility timeout): a transient failure is tried again by SQS."""
    for start in range(0, len(messages), BATCH):
        chunk = messages[start : start + BATCH]
        entries = [
            {
                "Id": str(i),
                "ReceiptHandle": m.receipt_handle,
                "VisibilityTimeout": min(cap, math.ceil(2 ** min(m.receive_count, 10))),
            }
            for i, m in enumerate(chunk)
        ]
        try:
            with anyio.CancelScope(shield=True):
                await sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)
        except Exception as error:
            # The visibility timeout brings them back anyway.
            log.info("retry_backoff_not_set", error=repr(error))
