"""Mistakes a type checker must catch: each line marked with an ``E:`` comment is an error
with exactly the codes it lists, and no other line is one (``tests/typing/test_typing.py``
runs mypy on this file). The project's own type check excludes this directory."""

from __future__ import annotations

from swfasync import Client, activity, workflow


@activity.defn
async def charge(order_id: str, cents: int) -> str:
    return order_id


@workflow.defn
async def Refund(order_id: str) -> bool:
    return True


@workflow.defn
class Order:
    @workflow.run
    async def run(self, order_id: str, cents: int = 100) -> str:
        await workflow.execute_activity(charge, order_id, "100")  # E: arg-type, call-arg
        await workflow.execute_activity(charge, order_id)  # E: arg-type
        await workflow.execute_activity(charge, order_id, cents, retries=3)  # E: call-overload
        await workflow.execute_activity(  # E: call-arg, call-overload
            charge, order_id, cents, start_to_close_timeout="5 minutes"
        )
        workflow.start_activity(charge, order_id, cents, heartbeat="10s")  # E: call-overload
        await workflow.execute_child_workflow(Refund, 42)  # E: arg-type
        await workflow.start_child_workflow(Refund, "r", child_policy="KILL")  # E: call-overload
        await workflow.execute_child_workflow(Order, 1)  # E: misc
        child = await workflow.start_child_workflow(Order, order_id)
        await child.signal(Order.approve, 1)  # E: arg-type
        _n: int = await workflow.execute_activity(charge, order_id, cents)  # E: arg-type, call-arg
        workflow.random_generator().coin()  # E: attr-defined
        return order_id

    @workflow.signal
    def approve(self, by: str) -> None:
        pass


async def client_side(client: Client) -> None:
    await client.start_workflow(Order, 1, id="o")  # E: misc
    await client.start_workflow(Order, "o", 1, 2, id="o")  # E: arg-type, call-arg
    await client.start_workflow(Refund, 3, id="r")  # E: arg-type
    await client.start_workflow(Refund, "o")  # E: call-overload
    await client.start_workflow(Refund, "o", id="r", execution_timeout="1d")  # E: call-overload
    handle = await client.start_workflow(Order, "o", id="o")
    _count: int = await handle.result()  # E: assignment
    await handle.signal(Order.approve, 42)  # E: arg-type
    await handle.signal(Order.approve)  # E: arg-type, call-arg
    found = await client.get_workflow_handle("o", workflow=Order)
    _also: bytes = await found.result()  # E: assignment
