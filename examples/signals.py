"""Signals: a shopping cart that receives items until checkout.

Signal handlers change the workflow's state; ``wait_condition`` waits for it, and the
published state lets anyone read the cart without touching the history.
Run: ``python examples/signals.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import workflow
from swfasync.testing import WorkflowEnvironment


@workflow.defn(task_list="carts", execution_start_to_close_timeout=timedelta(hours=1))
class ShoppingCart:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.checked_out = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.checked_out)
        return sorted(self.items)

    @workflow.signal
    def add_item(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def checkout(self) -> None:
        self.checked_out = True

    @workflow.state
    def contents(self) -> list[str]:
        return self.items


async def main() -> list[str]:
    # Time skipping never times out an execution that waits only for signals.
    async with WorkflowEnvironment(workflows=[ShoppingCart], task_list="carts") as env:
        handle = await env.client.start_workflow(ShoppingCart, id="cart-1")
        await handle.signal("add_item", "tea")
        await handle.signal("add_item", "biscuits")
        await handle.signal("checkout")
        items: list[str] = await handle.result()
        return items


if __name__ == "__main__":
    print(asyncio.run(main()))
