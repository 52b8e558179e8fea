"""Booking: the AWS Flow Framework's car-and-airline reservation workflow.

``makeBooking(requestId, customerId, reserveAir, reserveCar)`` reserves a car and a flight
(concurrently, each only if asked for), then sends a confirmation once both are done.
Run: ``python examples/booking.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import activity, workflow
from swfasync.testing import WorkflowEnvironment

trace: list[str] = []


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def reserve_car(request_id: int) -> None:
    trace.append(f"reserveCar-{request_id}")


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def reserve_airline(request_id: int) -> None:
    trace.append(f"reserveAirline-{request_id}")


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def send_confirmation(customer_id: int) -> None:
    trace.append(f"sendConfirmation-{customer_id}")


@workflow.defn(name="BookingWorkflow", task_list="booking")
async def make_booking(
    request_id: int, customer_id: int, reserve_air: bool, reserve_car_too: bool
) -> list[str]:
    reservations = []
    if reserve_car_too:
        reservations.append(workflow.execute_activity(reserve_car, request_id))
    if reserve_air:
        reservations.append(workflow.execute_activity(reserve_airline, request_id))
    await asyncio.gather(*reservations)
    await workflow.execute_activity(send_confirmation, customer_id)
    return ["car" if reserve_car_too else "", "air" if reserve_air else ""]


async def main() -> list[str]:
    trace.clear()
    async with WorkflowEnvironment(
        workflows=[make_booking],
        activities=[reserve_car, reserve_airline, send_confirmation],
        task_list="booking",
    ) as env:
        handle = await env.client.start_workflow(make_booking, 123, 345, True, True, id="booking")
        await handle.result()
    return sorted(trace[:2]) + trace[2:]


if __name__ == "__main__":
    print(asyncio.run(main()))
