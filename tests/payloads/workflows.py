"""Workflows and activities of the payload tests (module level: types are global)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta

import pydantic

from swfasync import RetryPolicy, activity, workflow
from swfasync.exceptions import ActivityTimeoutError, ApplicationError

# -- pydantic models end to end ------------------------------------------------------------


class Address(pydantic.BaseModel):
    street: str
    city: str


class Quote(pydantic.BaseModel):
    cents: int = pydantic.Field(ge=0)
    currency: str
    valid_until: datetime
    approved_by: str | None = None


class Approval(pydantic.BaseModel):
    by: str
    note: str = ""


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def quote_for(address: Address) -> Quote:
    assert isinstance(address, Address)
    return Quote(
        cents=100 * len(address.city),
        currency="EUR",
        valid_until=datetime.fromisoformat("2030-01-01T00:00:00+00:00"),
    )


@workflow.defn(task_list="payloads")
class Shipping:
    def __init__(self) -> None:
        self.approval: Approval | None = None

    @workflow.run
    async def run(self, address: Address) -> Quote:
        quote = await workflow.execute_activity(quote_for, address)
        assert isinstance(quote, Quote)
        await workflow.wait_condition(lambda: self.approval is not None)
        assert self.approval is not None
        return quote.model_copy(update={"approved_by": self.approval.by})

    @workflow.signal
    def approve(self, approval: Approval) -> None:
        assert isinstance(approval, Approval)
        self.approval = approval


# -- a type of the application's own, registered on the converter ---------------------------


class Money:
    """Not a dataclass, Struct or model: the converter needs to be told about it."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents = cents
        self.currency = currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.cents, self.currency) == (
            other.cents,
            other.currency,
        )

    def __hash__(self) -> int:
        return hash((self.cents, self.currency))

    def __str__(self) -> str:
        return f"{self.cents} {self.currency}"

    @classmethod
    def parse(cls, text: str) -> Money:
        cents, currency = text.split()
        return cls(int(cents), currency)


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def add_tax(amount: Money) -> Money:
    assert isinstance(amount, Money)
    return Money(amount.cents * 120 // 100, amount.currency)


@workflow.defn(task_list="payloads")
async def Invoice(amount: Money) -> Money:
    taxed = await workflow.execute_activity(add_tax, amount)
    assert isinstance(taxed, Money)
    return taxed


# -- every kind of payload, to be encrypted -----------------------------------------------------

SECRET = "4111-1111-1111-1111"
declined_once: list[str] = []


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def charge(card: str, cents: int) -> str:
    if not declined_once:
        declined_once.append(card)
        raise ApplicationError("declined, try again", f"card {card}")
    return f"receipt for {card}: {cents}"


@workflow.defn(task_list="payloads")
class Vault:
    def __init__(self) -> None:
        self.note: str | None = None
        self.card = ""

    @workflow.run
    async def run(self, card: str) -> str:
        self.card = card
        token = workflow.side_effect(lambda: f"token of {card}")
        workflow.record_marker("audit", {"card": card})
        receipt = await workflow.execute_activity(
            charge,
            card,
            1200,
            retry=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
        )
        await workflow.wait_condition(lambda: self.note is not None)
        return f"{receipt} / {token} / {self.note}"

    @workflow.signal
    def annotate(self, note: str) -> None:
        self.note = note

    @workflow.state
    def status(self) -> dict[str, str]:
        return {"card": self.card}


# -- large payloads through S3 --------------------------------------------------------------------

BIG = 5 * 1024 * 1024


@activity.defn(start_to_close_timeout=timedelta(seconds=60))
async def big_report(seed: str) -> str:
    block = hashlib.sha256(seed.encode()).hexdigest()
    return (block * (BIG // len(block) + 1))[:BIG]


@workflow.defn(task_list="payloads")
async def Report(seed: str) -> dict[str, str | int]:
    text = await workflow.execute_activity(big_report, seed)
    return {"size": len(text), "sha256": hashlib.sha256(text.encode()).hexdigest()}


@workflow.defn(task_list="payloads")
async def Echo(text: str) -> str:
    return text


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def noop(text: str) -> None:
    return None


@workflow.defn(task_list="payloads")
async def SendsTooMuch(size: int) -> None:
    await workflow.execute_activity(noop, "x" * size)


@workflow.defn(task_list="payloads")
class Waiter:
    def __init__(self) -> None:
        self.got: list[Approval] = []

    @workflow.run
    async def run(self, count: int) -> list[str]:
        await workflow.wait_condition(lambda: len(self.got) >= count)
        return [approval.by for approval in self.got]

    @workflow.signal
    def approve(self, approval: Approval) -> None:
        self.got.append(approval)


@workflow.defn(task_list="payloads")
async def Parent(by: str) -> list[str]:
    child = await workflow.start_child_workflow(Waiter, 1)
    await child.signal(Waiter.approve, Approval(by=by))
    return await child.result()


@activity.defn(start_to_close_timeout=timedelta(seconds=30), heartbeat_timeout=timedelta(seconds=1))
async def stalls(card: str) -> None:
    activity.heartbeat({"progress": f"checked {card}"})
    await asyncio.sleep(3)  # no further heartbeat: SWF times the task out after 1 s


@workflow.defn(task_list="payloads")
async def Stalled(card: str) -> str:
    try:
        await workflow.execute_activity(stalls, card)
    except ActivityTimeoutError as error:
        return error.details or ""
    return "not timed out"
