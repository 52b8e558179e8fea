"""Workflows and activities the gateway tests serve."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from swfasync import ApplicationError, activity, workflow

TASK_LIST = "gateway-tests"
# What the activity below hands to the "outside service" (the test): its callback URL
# and its task token, keyed by the order id.
handed_out: dict[str, tuple[str, str]] = {}


@dataclass
class Address:
    street: str
    city: str


@workflow.defn(task_list=TASK_LIST)
async def Greet(name: str, times: int = 1) -> str:
    """Greet someone, perhaps more than once."""
    return ", ".join([f"Hello, {name}!"] * times)


@workflow.defn(name="Greet", version="2", task_list=TASK_LIST)
async def GreetV2(name: str) -> str:
    """Version 2 of Greet."""
    return f"Hi, {name}!"


@workflow.defn(task_list=TASK_LIST)
async def Ship(address: Address, items: list[str]) -> dict[str, int]:
    """A workflow whose argument is a dataclass."""
    return {address.city: len(items)}


@workflow.defn(task_list=TASK_LIST)
async def Fail(reason: str) -> None:
    """Fails on purpose."""
    raise ApplicationError(reason, {"code": 7})


@workflow.defn(task_list=TASK_LIST)
async def Countdown(n: int) -> int:
    """Continues as new until n reaches 0."""
    if n > 0:
        workflow.continue_as_new(n - 1)
    return 42


@workflow.defn(task_list=TASK_LIST)
class Approval:
    """Waits for an approve signal and publishes its stage."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.stage = "waiting"

    @workflow.run
    async def run(self, order_id: str) -> list[str]:
        await workflow.wait_condition(lambda: bool(self.notes))
        self.stage = "approved"
        return [order_id, *self.notes]

    @workflow.signal
    def approve(self, note: str) -> None:
        self.notes.append(note)

    @workflow.state
    def status(self) -> dict[str, str]:
        return {"stage": self.stage}


@activity.defn(start_to_close_timeout=timedelta(minutes=5))
async def request_payment(order_id: str, amount: int) -> str:
    """Hands the payment to an outside service and waits for it to call back."""
    url = activity.callback_url(os.environ["GATEWAY_TEST_URL"])
    handed_out[order_id] = (url, activity.info().task_token)
    activity.complete_async()


@workflow.defn(task_list=TASK_LIST)
async def Pay(order_id: str, amount: int) -> str:
    """Waits for an outside payment service through a callback."""
    # Cancelling waits for the activity: the outside service hears of it through a
    # heartbeat's cancel_requested.
    return await workflow.execute_activity(
        request_payment,
        order_id,
        amount,
        cancellation=workflow.ActivityCancellation.WAIT_CANCELLATION_COMPLETED,
    )


WORKFLOWS = [Greet, GreetV2, Ship, Fail, Countdown, Approval, Pay]
ACTIVITIES = [request_payment]
