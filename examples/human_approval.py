"""Human approval: an activity completed from outside with its task token.

The ``request_approval`` activity hands its task token to a reviewer (here a queue) and
returns without answering (``activity.complete_async()``); later the reviewer's decision
arrives through ``Client.complete_activity(token, result)`` — the callback-with-token
pattern. Run: ``python examples/human_approval.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import activity, workflow
from swfasync.testing import WorkflowEnvironment

inbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()


@activity.defn(start_to_close_timeout=timedelta(days=3))
async def request_approval(expense: str) -> bool:
    await inbox.put((expense, activity.info().task_token))  # e.g. an email with a link
    activity.complete_async()


@workflow.defn(task_list="approvals")
async def ExpenseApproval(expense: str) -> str:
    approved = await workflow.execute_activity(request_approval, expense)
    return f"{expense}: {'approved' if approved else 'rejected'}"


async def main() -> str:
    async with WorkflowEnvironment(
        workflows=[ExpenseApproval],
        activities=[request_approval],
        task_list="approvals",
    ) as env:
        handle = await env.client.start_workflow(ExpenseApproval, "laptop", id="expense-1")
        expense, token = await inbox.get()  # the reviewer reads the request...
        await env.client.complete_activity(token, expense == "laptop")  # ...and answers
        result: str = await handle.result()
        return result


if __name__ == "__main__":
    print(asyncio.run(main()))
