"""The local Lambda registry: Python callables run in-process for ScheduleLambdaFunction."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING

from .._log import get_logger

if TYPE_CHECKING:
    from ._backend import Backend

log = get_logger("swfasync.devserver.lambda")


async def invoke(b: Backend, run_id: str, lambda_id: str) -> None:
    ex = b.executions.get(run_id)
    call = ex.lambdas.get(lambda_id) if ex is not None else None
    if ex is None or call is None:
        return
    fn = b.lambdas.get(call.name)
    result: str | None = None
    failure: tuple[str, str] | None = None
    try:
        if fn is None:
            raise LookupError(f"Lambda function {call.name} is not registered")
        value = fn(call.input)
        if inspect.isawaitable(value):
            value = await value
        result = None if value is None else str(value)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        failure = (type(exc).__name__, str(exc))
    # the call may have timed out, or the run closed, while the function ran
    ex = b.executions.get(run_id)
    if ex is None or ex.lambdas.get(lambda_id) is not call:
        return
    del ex.lambdas[lambda_id]
    ids = {"scheduledEventId": call.scheduled_event_id, "startedEventId": call.started_event_id}
    if failure is None:
        b.add_event(ex, "LambdaFunctionCompleted", {**ids, "result": result})
    else:
        b.add_event(
            ex,
            "LambdaFunctionFailed",
            {**ids, "reason": failure[0][:256], "details": failure[1][:32768]},
        )
    b.settle()
