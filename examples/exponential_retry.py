"""Exponential retry: a flaky activity retried with growing, durable backoff.

The retry loop runs in the workflow: every backoff is an SWF timer and every attempt a new
activity id, so retries survive worker restarts. Run: ``python examples/exponential_retry.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import ApplicationError, RetryPolicy, activity, workflow
from swfasync.testing import WorkflowEnvironment

attempts: list[str] = []


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def unreliable_call(payload: str) -> str:
    attempts.append(activity.info().activity_id)
    if len(attempts) < 4:
        raise ApplicationError(f"service unavailable (attempt {len(attempts)})")
    return f"processed {payload}"


@workflow.defn(task_list="retry")
async def RetryingWorkflow(payload: str) -> str:
    return await workflow.execute_activity(
        unreliable_call,
        payload,
        retry=RetryPolicy(
            initial_interval=timedelta(seconds=10),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(minutes=5),
            maximum_attempts=6,
        ),
    )


async def main() -> tuple[str, list[str]]:
    attempts.clear()
    async with WorkflowEnvironment(
        workflows=[RetryingWorkflow], activities=[unreliable_call], task_list="retry"
    ) as env:
        handle = await env.client.start_workflow(RetryingWorkflow, "order-7", id="retry")
        result: str = await handle.result()
    return result, list(attempts)


if __name__ == "__main__":
    print(asyncio.run(main()))
