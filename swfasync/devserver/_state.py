"""The dev server's state: domains, types and executions, as plain serialisable records.

History events are kept as the JSON SWF puts on the wire, encoded once when recorded
(see ``Backend.add_event``); everything else is a dataclass that msgspec round-trips
through SQLite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ._faults import UnknownResourceFault
from ._rules import parse_integer
from ._validation import invalid

Json = dict[str, Any]

REGION = "us-east-1"
ACCOUNT = "123456789012"
EVENT_LIMIT = 25_000
DAY = 86_400.0


@dataclass
class Domain:
    name: str
    retention_days: str
    description: str | None = None
    status: str = "REGISTERED"
    tags: list[Json] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:swf:{REGION}:{ACCOUNT}:/domain/{self.name}"


@dataclass
class TypeRecord:
    """A registered workflow or activity type; ``config`` is the wire configuration."""

    kind: str  # "workflow" | "activity"
    domain: str
    name: str
    version: str
    creation_date: float
    config: Json
    description: str | None = None
    status: str = "REGISTERED"
    deprecation_date: float | None = None

    @property
    def key(self) -> str:
        return type_key(self.kind, self.domain, self.name, self.version)


def type_key(kind: str, domain: str, name: str, version: str) -> str:
    return msgspec.json.encode([kind, domain, name, version]).decode()


@dataclass
class DecisionTask:
    scheduled_event_id: int
    task_list: str
    priority: int
    seq: int
    schedule_to_start_deadline: float | None = None
    started_event_id: int = 0
    start_to_close_deadline: float | None = None


@dataclass
class Activity:
    activity_id: str
    activity_type: Json
    scheduled_event_id: int
    task_list: str
    priority: int
    seq: int
    input: str | None
    start_to_close: str
    heartbeat: str
    started_event_id: int = 0
    schedule_to_start_deadline: float | None = None
    schedule_to_close_deadline: float | None = None
    start_to_close_deadline: float | None = None
    heartbeat_deadline: float | None = None
    cancel_requested_event_id: int = 0
    heartbeat_details: str | None = None


@dataclass
class Timer:
    timer_id: str
    started_event_id: int
    fire_at: float


@dataclass
class Child:
    initiated_event_id: int
    workflow_id: str
    workflow_type: Json
    run_id: str = ""
    started_event_id: int = 0


@dataclass
class LambdaCall:
    lambda_id: str
    name: str
    scheduled_event_id: int
    input: str | None
    started_event_id: int = 0
    deadline: float | None = None


@dataclass
class Execution:
    domain: str
    workflow_id: str
    run_id: str
    workflow_type: Json
    start_ts: float
    task_list: str
    task_priority: str | None
    child_policy: str
    execution_timeout: str
    task_timeout: str
    tag_list: list[str] = field(default_factory=list)
    lambda_role: str | None = None
    parent: Json | None = None
    parent_initiated_event_id: int = 0
    status: str = "OPEN"
    close_status: str | None = None
    close_ts: float | None = None
    cancel_requested: bool = False
    execution_deadline: float | None = None
    decision: DecisionTask | None = None
    # scheduled while ``decision`` was started; dispatched once that one finishes
    queued_decision: DecisionTask | None = None
    needs_decision: bool = False
    sticky_task_list: str | None = None
    sticky_timeout: str | None = None
    previous_started_event_id: int = 0
    latest_activity_ts: float | None = None
    latest_execution_context: str | None = None
    activities: dict[str, Activity] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    lambdas: dict[str, LambdaCall] = field(default_factory=dict)
    event_count: int = 0

    @property
    def is_open(self) -> bool:
        return self.status == "OPEN"

    @property
    def ref(self) -> Json:
        return {"workflowId": self.workflow_id, "runId": self.run_id}

    @property
    def priority(self) -> int:
        return parse_integer(self.task_priority) or 0 if self.task_priority is not None else 0


# -- durations -------------------------------------------------------------------------


def parse_duration(value: str | None, path: str, *, allow_none: bool = True) -> float | None:
    """Seconds from an SWF duration string; None for "NONE" (no timeout)."""
    if value is None:
        return None
    if value == "NONE":
        if allow_none:
            return None
        raise invalid(value, path, "Member must be a number of seconds, NONE is not allowed")
    seconds = parse_integer(value)
    if seconds is None or seconds < 0:
        raise invalid(value, path, "Member must be a number of seconds or NONE")
    return float(seconds)


def deadline(now: float, value: str | None) -> float | None:
    seconds = parse_duration(value, "timeout")
    return None if seconds is None else now + seconds


def parse_priority(value: str | None, path: str) -> int:
    if value is None:
        return 0
    number = parse_integer(value)
    if number is None:
        raise invalid(value, path, "Member must be an integer in string form")
    if not -(2**31) <= number <= 2**31 - 1:
        raise invalid(value, path, "Member must be a 32-bit integer")
    return number


# -- opaque tokens ---------------------------------------------------------------------


def encode_token(payload: Json) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(payload)).decode()


def decode_token(token: str, what: str = "token") -> Json:
    try:
        value = msgspec.json.decode(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, msgspec.DecodeError):
        raise UnknownResourceFault(f"Invalid {what}: {token[:64]}") from None
    if not isinstance(value, dict):
        raise UnknownResourceFault(f"Invalid {what}: {token[:64]}")
    return value


class PageTokens:
    """``nextPageToken`` values sealed with an HMAC under a key of this server's own, so a
    forged or altered token is refused instead of read (a token is the server's word on
    where a listing stopped; it is not stored anywhere, so it cannot be looked up)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: bytes) -> str:
        digest = hmac.new(self._key, body, hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode()

    def seal(self, payload: Json) -> str:
        body = base64.urlsafe_b64encode(msgspec.json.encode(payload)).decode()
        return f"{body}.{self._mac(body.encode())}"

    def open(self, token: str) -> Json:
        """The payload of a token this server sealed; a ValidationFault for any other."""
        body, _, mac = token.rpartition(".")
        # compare_digest takes ASCII strings only
        if token.isascii() and hmac.compare_digest(mac, self._mac(body.encode())):
            value = msgspec.json.decode(base64.urlsafe_b64decode(body))
            if isinstance(value, dict):
                return value
        raise invalid(token, "nextPageToken", "Member must be a nextPageToken this server returned")


def paged_answer(
    tokens: PageTokens,
    items: Sequence[Any],
    req: Json,
    member: str,
    render: Callable[[Any], Any] = lambda x: x,
) -> Json:
    """A list operation's answer: the page ``req`` asks for under ``member``, rendered,
    with ``nextPageToken`` when more remain."""
    offset = tokens.open(req["nextPageToken"])["o"] if req.get("nextPageToken") else 0
    limit = req.get("maximumPageSize") or 1000
    out: Json = {member: [render(item) for item in items[offset : offset + limit]]}
    if offset + limit < len(items):
        out["nextPageToken"] = tokens.seal({"o": offset + limit})
    return out
