"""The public surface of swfasync.devserver, pinned; and the poller limit per task list."""

from __future__ import annotations

import asyncio

import pytest

import swfasync.devserver
from swfasync.devserver import Clock, ManualClock, SystemClock
from swfasync.devserver._faults import ALL_FAULTS, LimitExceededFault
from swfasync.devserver._polling import MAX_POLLERS, QueuedTask, TaskQueues, Waiter


def test_exported_names() -> None:
    assert swfasync.devserver.__all__ == ("Clock", "DevServer", "ManualClock", "SystemClock")
    assert isinstance(ManualClock(), Clock)
    assert isinstance(SystemClock(), Clock)


def test_eleven_faults() -> None:
    assert len(ALL_FAULTS) == 11
    assert {f.type_name for f in ALL_FAULTS} >= {"UnknownResourceFault", "TooManyTagsFault"}


async def test_limit_exceeded_past_max_pollers() -> None:
    queues = TaskQueues(lambda kind, task: True)
    loop = asyncio.get_running_loop()
    key = ("decision", "d", "tl")

    def waiter() -> Waiter:
        return Waiter(loop.create_future(), lambda: True, lambda task: {"taskToken": "t"})

    waiters = [waiter() for _ in range(MAX_POLLERS)]
    for w in waiters:
        queues.add_waiter(key, w)
    with pytest.raises(LimitExceededFault):
        queues.add_waiter(key, waiter())
    # first come, first served; a hung-up poller is skipped
    waiters[0].alive = lambda: False
    queues.push(key, QueuedTask((0, 1), "run", "", 2))
    queues.dispatch()
    assert waiters[0].future.result() is None
    assert waiters[1].future.result() == {"taskToken": "t"}
    assert not waiters[2].future.done()
    queues.close()
    assert waiters[2].future.result() is None


async def test_manual_clock_wakes_sleepers() -> None:
    clock = ManualClock(start=100.0)
    sleeper = asyncio.create_task(clock.sleep_until(130.0))
    await asyncio.sleep(0)
    clock.advance(10)
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.skip_to(130.0)
    await asyncio.wait_for(sleeper, 1)
    assert clock.now() == 130.0
