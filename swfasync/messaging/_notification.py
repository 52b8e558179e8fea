"""The status notification: the JSON body published to SNS and its message attributes.

Subscribers filter on three String message attributes: ``app_id`` (left out for runs that
no application submitted), ``workflow_slug`` and ``status``, e.g. the filter policy
``{"workflow_slug": ["tutorial"], "app_id": ["my_awesome_app"]}``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Final

import msgspec

# SNS FIFO limits on MessageGroupId and MessageDeduplicationId.
FIFO_ID_LIMIT: Final = 128


class Failure(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Why a run did not complete: SWF's reason and details, or its timeout type."""

    reason: str | None = None
    details: str | None = None
    timeout_type: str | None = None
    cause: str | None = None


class StatusNotification(msgspec.Struct, frozen=True, kw_only=True):
    """One status change of one run (the SNS message body, as JSON).

    Attributes:
        notification_id: the same for every delivery of this status change
            (``<run id>:<event id>``); deduplicate on it.
        workflow_id, run_id: the execution.
        app_id, workflow_slug, job_number: as submitted (``workflow_slug`` falls back to
            the workflow type's name, the others to null, for runs started otherwise).
        status, status_code: one of the nine statuses and its code.
        event_id, event_type, timestamp: the history event that announced it, and when.
        workflow_type, workflow_version: the execution's type.
        started_at: when the run started.
        result: the workflow's result (decoded JSON) with ``Workflow Completed Successfully``.
        failure: reason and details (or timeout type) when the run did not complete.
    """

    notification_id: str
    workflow_id: str
    run_id: str
    app_id: str | None
    workflow_slug: str
    job_number: str | None
    status: str
    status_code: int
    event_id: int
    event_type: str
    timestamp: datetime
    workflow_type: str
    workflow_version: str
    started_at: datetime
    result: Any = None
    failure: Failure | None = None


_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder(StatusNotification)


def encode_notification(notification: StatusNotification) -> str:
    return _encoder.encode(notification).decode()


def decode_notification(body: str | bytes) -> StatusNotification:
    """Decode a notification's JSON body (what a subscriber receives with raw delivery)."""
    return _decoder.decode(body)


def message_attributes(notification: StatusNotification) -> dict[str, dict[str, str]]:
    """The SNS message attributes subscribers filter on."""
    attributes = {
        "workflow_slug": {"DataType": "String", "StringValue": notification.workflow_slug},
        "status": {"DataType": "String", "StringValue": notification.status},
    }
    if notification.app_id:
        attributes["app_id"] = {"DataType": "String", "StringValue": notification.app_id}
    return attributes


def fifo_id(text: str) -> str:
    """``text`` if SNS FIFO accepts it as a group or deduplication id, else its digest."""
    if len(text) <= FIFO_ID_LIMIT and text.isascii() and text.isprintable() and " " not in text:
        return text
    return hashlib.sha256(text.encode()).hexdigest()
