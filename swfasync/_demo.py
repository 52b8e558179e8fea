"""``swfasync demo``: the whole SDK on the embedded dev server, in a few seconds.

A ``Trip`` workflow books a flight and a hotel (activities, run concurrently), waits a
durable hour before confirming (a timer the dev server's time skipping jumps over), waits
for a traveller's ``approve`` signal, and has an ``Invoice`` child workflow bill it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from datetime import timedelta

import structlog

from swfasync import activity, workflow
from swfasync._client.timeline import format_timeline
from swfasync.testing import WorkflowEnvironment


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def book_flight(traveller: str) -> str:
    """Reserve a seat (an async activity)."""
    return f"flight for {traveller}"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
def book_hotel(traveller: str) -> str:
    """Reserve a room (a sync activity: runs in a thread)."""
    return f"hotel for {traveller}"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def charge(traveller: str, amount: int) -> str:
    """Bill the traveller."""
    return f"charged {traveller} ${amount}"


@workflow.defn(task_list="demo")
async def Invoice(traveller: str, amount: int) -> str:
    """A child workflow: one activity."""
    return await workflow.execute_activity(charge, traveller, amount)


@workflow.defn(task_list="demo")
class Trip:
    """Book, wait an hour, wait for approval, invoice."""

    def __init__(self) -> None:
        self.approved = False
        self.stage = "booking"

    @workflow.run
    async def run(self, traveller: str) -> str:
        flight, hotel = await asyncio.gather(
            workflow.execute_activity(book_flight, traveller),
            workflow.execute_activity(book_hotel, traveller),
        )
        self.stage = "cooling-off"
        await workflow.sleep(timedelta(hours=1))
        self.stage = "awaiting approval"
        await workflow.wait_condition(lambda: self.approved)
        self.stage = "invoicing"
        receipt = await workflow.execute_child_workflow(Invoice, traveller, 420)
        self.stage = "done"
        return f"{flight}; {hotel}; {receipt}"

    @workflow.signal
    def approve(self) -> None:
        self.approved = True

    @workflow.state
    def status(self) -> str:
        return self.stage


async def run_demo() -> int:
    began = time.monotonic()
    async with WorkflowEnvironment(
        workflows=[Trip, Invoice], activities=[book_flight, book_hotel, charge], task_list="demo"
    ) as env:
        print(f"dev server on {env.server.endpoint_url}; worker polling task list 'demo'")
        handle = await env.client.start_workflow(Trip, "Ada", id="trip-ada")
        print(f"started workflow {handle.workflow_id} (run {handle.run_id})")
        await handle.signal("approve")
        print("sent signal 'approve'")
        result = await handle.result()
        print(f"published state: {await handle.published_state()!r}")
        print(f"result: {result}")
        print("\nhistory:")
        for line in format_timeline(await handle.history()):
            print("  " + line)
    print(f"\ndone in {time.monotonic() - began:.2f}s (the 1-hour timer was time-skipped)")
    return 0


def main(argv: Sequence[str]) -> int:
    """Run the demo; exit status 0 on success."""
    if list(argv) not in ([], ["--gateway"]):
        print("usage: swfasync demo [--gateway]", file=sys.stderr)
        return 2
    # The demo is an application, so it may configure logging: quiet, to keep its story
    # readable (the library itself never configures structlog).
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if argv:  # --gateway: the same workflow over HTTP, with curl
        from ._demo_gateway import run_gateway_demo

        return asyncio.run(run_gateway_demo())
    return asyncio.run(run_demo())
