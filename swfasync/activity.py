"""The API of activity code: declaring activity types, heartbeats, cancellation, info.

Example::

    from datetime import timedelta
    from swfasync import activity

    @activity.defn(version="1", start_to_close_timeout=timedelta(minutes=5))
    async def charge(order_id: str, amount: int) -> str:
        ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar, overload

from ._engine.definitions import ActivityDefinition as ActivityDefinition
from ._engine.definitions import Duration, define_activity
from ._worker import context as _context
from ._worker.context import ActivityInfo as ActivityInfo
from ._worker.context import CompleteAsync as CompleteAsync

__all__ = (
    "ActivityDefinition",
    "ActivityInfo",
    "CompleteAsync",
    "callback_url",
    "complete_async",
    "defn",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "raise_if_cancelled",
)

F = TypeVar("F", bound=Callable[..., Any])


@overload
def defn(fn: F, /) -> F: ...


@overload
def defn(
    *,
    name: str | None = None,
    version: str = "1",
    task_list: str | None = None,
    schedule_to_start_timeout: Duration | None = None,
    schedule_to_close_timeout: Duration | None = None,
    start_to_close_timeout: Duration | None = None,
    heartbeat_timeout: Duration | None = None,
    task_priority: int | None = None,
    description: str | None = None,
) -> Callable[[F], F]: ...


def defn(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    version: str = "1",
    task_list: str | None = None,
    schedule_to_start_timeout: Duration | None = None,
    schedule_to_close_timeout: Duration | None = None,
    start_to_close_timeout: Duration | None = None,
    heartbeat_timeout: Duration | None = None,
    task_priority: int | None = None,
    description: str | None = None,
) -> Any:
    """Declare an activity type implemented by a sync or async function.

    The options are the type's registration defaults (name defaults to the function
    name); a workflow may override any of them per call. Sync functions run in threads.
    """

    def decorate(target: F) -> F:
        define_activity(
            target,
            name=name,
            version=version,
            task_list=task_list,
            schedule_to_start_timeout=schedule_to_start_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
            start_to_close_timeout=start_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout,
            task_priority=task_priority,
            description=description,
        )
        return target

    return decorate(fn) if fn is not None else decorate


def info() -> ActivityInfo:
    """The running activity's task: ids, task token, heartbeat timeout."""
    return _context.get().info


def in_activity() -> bool:
    """True inside an activity run by a worker or an ``ActivityEnvironment``."""
    return _context.current.get(None) is not None


def heartbeat(*details: Any) -> None:
    """Record progress; the worker sends it to SWF, throttled, in the background.

    Heartbeats keep a task with a heartbeat timeout alive and are how a cancellation
    request reaches the activity: after one, ``is_cancelled()`` becomes true and an
    async activity is cancelled at its next ``await``. ``details`` (JSON, at most 2,048
    characters encoded) travel to SWF with the heartbeat. Never blocks; thread-safe.

    Raises:
        PayloadTooLargeError: the encoded details exceed SWF's 2,048 characters (field
            ``heartbeat_details``); nothing is recorded, earlier heartbeats stand.
        PayloadError: the details cannot be encoded as JSON.
    """
    # Encoded (and checked) at once, in the activity, so the caller sees the error; the
    # background sender could only drop or cut the details.
    _context.get().heartbeat(details)


def is_cancelled() -> bool:
    """True once SWF has answered a heartbeat with a cancellation request."""
    return _context.get().cancel_requested


def raise_if_cancelled() -> None:
    """Raise ``asyncio.CancelledError`` if cancellation was requested (for sync activities).

    The worker then reports the task as cancelled (RespondActivityTaskCanceled).
    """
    if is_cancelled():
        raise asyncio.CancelledError("the activity's cancellation was requested")


def complete_async() -> NoReturn:
    """Leave this task open: something else completes it later with its task token.

    Raises a marker the worker recognises; it stops heartbeating and sends no answer.
    Save ``info().task_token`` first and hand it to whoever will call
    ``Client.complete_activity`` (or ``fail_activity`` / ``cancel_activity``).
    """
    _context.get()  # only meaningful inside an activity
    raise CompleteAsync()


def callback_url(base_url: str | None = None, *, secret: str | bytes | None = None) -> str:
    """A signed URL on an swfasync HTTP gateway that resumes this task, once.

    Hand it to an outside service, then call ``complete_async()``; the service answers
    with ``PUT <url>`` and ``{"status": "succeeded", "result": ...}`` or
    ``{"status": "failed", "error": {"reason": ..., "details": ...}}``. The URL carries
    this task's token under an HMAC of ``secret`` bound to the domain: the gateway refuses
    a forged or altered one (403), and SWF refuses a second use (410).

    Args:
        base_url: the gateway's URL as the outside service reaches it; default
            ``SWFASYNC_GATEWAY_URL``.
        secret: the gateway's callback secret (16 bytes or more); default the first of
            ``SWFASYNC_CALLBACK_SECRET`` (comma-separated, as the gateway reads it).

    Raises:
        GatewayConfigError: no base URL or no secret is configured, or the secret is
            shorter than 16 bytes.
    """
    import os

    from .gateway import _signing  # the gateway is optional: imported only when used

    task = _context.get().info
    base = base_url or os.environ.get(_signing.URL_ENV)
    if not base:
        raise _signing.GatewayConfigError(
            f"callback_url() needs the gateway's URL: pass base_url= or set {_signing.URL_ENV}"
        )
    secrets = _signing.secrets_from(secret)
    if not secrets:
        raise _signing.GatewayConfigError(
            f"callback_url() needs the gateway's secret: pass secret= or set {_signing.SECRET_ENV}"
        )
    return _signing.callback_url(base, task.task_token, task.domain, secrets[0])
