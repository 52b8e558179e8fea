"""The callback-with-token pattern: ``/v1/tasks/*`` by task token, ``/v1/callbacks/*`` by
signed URL.

An activity that waits for the outside world calls ``activity.complete_async()`` after
handing out its task token (to a trusted service, which then calls ``/v1/tasks/complete``
with a bearer token) or a signed callback URL (``activity.callback_url()``, for a service
that should be able to resume this one task and nothing else).

Statuses: 200 recorded; 400 for a body or token that breaks SWF's rules (a task token is 1
to 1,024 characters: SWF's tokens are opaque, so one within the rules that SWF does not
know is, like a used one, gone); 410 when SWF says the task is gone (answered already,
timed out, or its execution closed); 403 for a callback URL that no secret of this gateway
signed for this domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .._client.client import Client
from ..exceptions import ApplicationError
from . import _bodies, _signing
from ._models import (
    CallbackError,
    CallbackRequest,
    CompleteTaskRequest,
    FailTaskRequest,
    HeartbeatAnswer,
    HeartbeatTaskRequest,
    TaskAnswered,
)
from ._problems import HttpProblem, bad_request

FAILURE_TYPE = "ExternalFailure"
"""The error type the workflow sees (``ActivityFailedError``) for a failure reported
through the gateway."""


def _failure(reason: str | None, details: Any) -> ApplicationError:
    extra = () if details is None else (details,)
    return ApplicationError(reason or "failed", *extra, type=FAILURE_TYPE)


async def complete(client: Client, request: web.Request) -> TaskAnswered:
    body = await _bodies.read(request, CompleteTaskRequest)
    await client.complete_activity(body.task_token, body.result)
    return TaskAnswered(status="completed")


async def fail(client: Client, request: web.Request) -> TaskAnswered:
    body = await _bodies.read(request, FailTaskRequest)
    await client.fail_activity(body.task_token, _failure(body.reason, body.details))
    return TaskAnswered(status="failed")


async def heartbeat(client: Client, request: web.Request) -> HeartbeatAnswer:
    body = await _bodies.read(request, HeartbeatTaskRequest)
    details = () if body.details is None else (body.details,)
    cancel_requested = await client.heartbeat_activity(body.task_token, *details)
    return HeartbeatAnswer(cancel_requested=cancel_requested)


async def callback(
    client: Client, secrets: Sequence[bytes], request: web.Request, token: str
) -> TaskAnswered:
    """Verify the signature (403), then answer the task once (a second use is 410, by
    SWF's word: see :mod:`swfasync.gateway._signing`)."""
    if not secrets:
        raise HttpProblem(
            403,
            "callback-not-verifiable",
            "this gateway has no callback secret, so it can verify no callback URL",
        )
    try:
        task_token = _signing.verify(token, client.domain, secrets)
    except _signing.InvalidCallbackToken as error:
        raise HttpProblem(403, "callback-signature-invalid", str(error)) from None
    body = await _bodies.read(request, CallbackRequest)
    if body.status == "succeeded":
        if body.error is not None:
            raise bad_request("a succeeded callback carries result, not error", field="error")
        await client.complete_activity(task_token, body.result)
        return TaskAnswered(status="completed")
    if body.result is not None:
        raise bad_request("a failed callback carries error, not result", field="result")
    if isinstance(body.error, CallbackError):
        failure = _failure(body.error.reason, body.error.details)
    else:
        failure = _failure(body.error, None)
    await client.fail_activity(task_token, failure)
    return TaskAnswered(status="failed")
