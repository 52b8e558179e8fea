"""User code as a type checker sees it: every ``assert_type`` here must hold under
``mypy --strict`` (the project's own type check covers this file; ``test_typing.py`` runs
mypy on it and on ``errors/`` and expects exactly the marked errors there)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, assert_type

from swfasync import Client, RetryPolicy, WorkflowHandle, activity, workflow
from swfasync.workflow import ChildWorkflowHandle


@dataclass
class Receipt:
    order_id: str
    cents: int


@activity.defn(start_to_close_timeout=timedelta(minutes=5))
async def charge(order_id: str, cents: int, currency: str = "EUR") -> Receipt:
    return Receipt(order_id, cents)


@activity.defn(start_to_close_timeout=timedelta(minutes=5))
def shout(text: str) -> str:
    return text.upper()


@workflow.defn
async def Refund(receipt: Receipt, *, reason: str = "") -> bool:
    return True


@workflow.defn
class Order:
    def __init__(self) -> None:
        self.approved_by: str | None = None

    @workflow.run
    async def run(self, order_id: str, cents: int = 100, *notes: str) -> Receipt:
        await workflow.wait_condition(lambda: self.approved_by is not None)
        receipt = await workflow.execute_activity(charge, order_id, cents)
        assert_type(receipt, Receipt)
        in_usd = await workflow.execute_activity(
            charge,
            order_id,
            cents,
            "USD",
            start_to_close_timeout=timedelta(minutes=1),
            retry=RetryPolicy(maximum_attempts=3),
        )
        assert_type(in_usd, Receipt)
        assert_type(await workflow.execute_activity(shout, order_id), str)
        task = workflow.start_activity(charge, order_id, cents, task_list="payments")
        assert_type(task, asyncio.Task[Receipt])
        assert_type(await task, Receipt)
        assert_type(await workflow.execute_activity("legacy", 1, version="2"), Any)
        assert_type(
            await workflow.execute_activity("legacy", 1, version="2", result_type=Receipt),
            Receipt,
        )

        child = await workflow.start_child_workflow(Refund, receipt, workflow_id="refund-1")
        assert_type(child, ChildWorkflowHandle[bool])
        assert_type(await child.result(), bool)
        await child.signal("nudge", 1)
        assert_type(await workflow.execute_child_workflow(Refund, receipt), bool)
        assert_type(await workflow.execute_child_workflow(Sub), int)
        sub = await workflow.start_child_workflow(Sub, child_policy="ABANDON")
        assert_type(sub, ChildWorkflowHandle[int])
        await sub.signal(Sub.poke, 3)
        assert_type(await workflow.execute_child_workflow("Other", version="1"), Any)

        assert_type(workflow.random_generator(), random.Random)
        return receipt

    @workflow.signal
    def approve(self, by: str, note: str = "") -> None:
        self.approved_by = by


@workflow.defn
class Sub:
    @workflow.run
    async def run(self) -> int:
        if workflow.info().workflow_id == "never":
            # Typed NoReturn: nothing after it is needed for the int this returns.
            workflow.continue_as_new()
        return 1

    @workflow.signal
    async def poke(self, times: int) -> None:
        pass


async def client_side(client: Client) -> None:
    handle = await client.start_workflow(Order, "o-1", id="order-1")
    assert_type(handle, WorkflowHandle[Receipt])
    assert_type(await handle.result(), Receipt)
    assert_type(
        await client.start_workflow(Order, "o-1", 200, "gift", "rush", id="order-2"),
        WorkflowHandle[Receipt],
    )
    refund = await client.start_workflow(Refund, Receipt("o-1", 1), id="refund", tag_list=["x"])
    assert_type(refund, WorkflowHandle[bool])
    await handle.signal(Order.approve, "ana")
    await handle.signal(Order.approve, "ana", "looks fine")
    await handle.signal("approve", "untyped", 1, 2)
    by_name = await client.start_workflow("Order", "o-1", version="1", id="order-3")
    assert_type(by_name, WorkflowHandle[Any])
    typed_by_name = await client.start_workflow(
        "Order", "o-1", version="1", id="order-4", result_type=Receipt
    )
    assert_type(typed_by_name, WorkflowHandle[Receipt])

    found = await client.get_workflow_handle("order-1", workflow=Order)
    assert_type(found, WorkflowHandle[Receipt])
    assert_type(await found.result(), Receipt)
    assert_type(await client.get_workflow_handle("refund", workflow=Refund), WorkflowHandle[bool])
    assert_type(
        await client.get_workflow_handle("order-1", result_type=Receipt), WorkflowHandle[Receipt]
    )
    assert_type(await client.get_workflow_handle("order-1"), WorkflowHandle[Any])
