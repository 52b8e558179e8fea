"""Versioning with ``workflow.patched``: change running workflows' code safely.

Version 1 of ``Shipping`` sends a parcel. Version 2 adds a customs check — but an
execution that started under version 1 must replay exactly what it did. ``patched(id)``
records a marker for new executions and returns False while replaying an old one, so both
kinds run on the new code. Run: ``python examples/versioning.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import activity, workflow
from swfasync.testing import Replayer, WorkflowEnvironment


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def customs_check(parcel: str) -> str:
    return f"{parcel} cleared"


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def send(parcel: str) -> str:
    return f"{parcel} sent"


@workflow.defn(name="Shipping", task_list="shipping")
async def shipping_v1(parcel: str) -> list[str]:
    return [await workflow.execute_activity(send, parcel)]


@workflow.defn(name="Shipping", task_list="shipping")
async def shipping_v2(parcel: str) -> list[str]:
    steps = []
    if workflow.patched("customs-check"):
        steps.append(await workflow.execute_activity(customs_check, parcel))
    steps.append(await workflow.execute_activity(send, parcel))
    return steps


async def main() -> tuple[list[str], list[str], bool]:
    async with WorkflowEnvironment(
        workflows=[shipping_v1], activities=[send, customs_check], task_list="shipping"
    ) as env:
        old = await env.client.start_workflow(shipping_v1, "p1", id="ship-old")
        old_result: list[str] = await old.result()
        old_history = await old.history_json()
        assert env.worker is not None
        env.worker.replace_workflows([shipping_v2])  # deploy version 2
        new = await env.client.start_workflow(shipping_v2, "p2", id="ship-new")
        new_result: list[str] = await new.result()
    # The old execution's history still replays on the new code.
    replays = Replayer([shipping_v2]).replay(old_history, raise_on_error=False).ok
    return old_result, new_result, replays


if __name__ == "__main__":
    print(asyncio.run(main()))
