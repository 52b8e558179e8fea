"""Activity tasks finished from outside the worker, by their task token.

An activity that calls ``activity.complete_async()`` leaves its task open for another
process (a callback, a human, the gateway's callback URL) to finish. That process holds
only the task token, and reports through the client: the token is checked before it is
sent, so a truncated or empty one is refused with the field named instead of as SWF's
validation fault, and the payloads go through the client's data converter, as the
worker's own answers do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._engine.failures import encode_failure
from .._wire import api
from . import checks

if TYPE_CHECKING:
    from .client import Client


async def complete(client: Client, task_token: str, result: Any) -> None:
    """``Client.complete_activity``."""
    token = checks.check_task_token(task_token)
    encoded = await client.data_converter.encode(result, "result") if result is not None else None
    await client._send(api.RespondActivityTaskCompletedInput(task_token=token, result=encoded))


async def fail(client: Client, task_token: str, error: BaseException) -> None:
    """``Client.fail_activity``."""
    reason, details = encode_failure(error)
    token = checks.check_task_token(task_token)
    await client._send(
        api.RespondActivityTaskFailedInput(
            task_token=token,
            reason=reason,
            details=await client.data_converter.encode_text(details, "details"),
        )
    )


async def cancel(client: Client, task_token: str, details: Any) -> None:
    """``Client.cancel_activity``."""
    token = checks.check_task_token(task_token)
    encoded = (
        await client.data_converter.encode(details, "details") if details is not None else None
    )
    await client._send(api.RespondActivityTaskCanceledInput(task_token=token, details=encoded))


async def heartbeat(client: Client, task_token: str, details: tuple[Any, ...]) -> bool:
    """``Client.heartbeat_activity``: whether the task's cancellation was requested."""
    token = checks.check_task_token(task_token)
    encoded = (
        await client.data_converter.encode(list(details), "heartbeat_details") if details else None
    )
    status = await client._send(
        api.RecordActivityTaskHeartbeatInput(task_token=token, details=encoded)
    )
    return status.cancel_requested
