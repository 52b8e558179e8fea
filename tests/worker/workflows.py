"""Workflows and activities shared by the worker tests (module level: types are global)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import timedelta

import anyio

from swfasync import RetryPolicy, activity, workflow
from swfasync.exceptions import ActivityCancelledError, ActivityError

# Controls and observations the tests set and read.
flaky_attempts: list[str] = []
release_hang = threading.Event()
cancel_seen: list[str] = []
running_now = [0]
max_running = [0]
started_slow: list[str] = []
finished_slow: list[str] = []
spin = threading.Event()


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
def shout(text: str) -> str:
    """A sync activity: runs in a worker thread."""
    return text.upper()


@activity.defn(start_to_close_timeout=timedelta(seconds=1))
async def hangs_first_time(tag: str) -> str:
    """First attempt hangs (until its worker is killed); later attempts succeed."""
    flaky_attempts.append(activity.info().activity_id)
    if len(flaky_attempts) == 1:
        await anyio.sleep_forever()
    return f"done {tag}"


@activity.defn(
    start_to_close_timeout=timedelta(seconds=30), heartbeat_timeout=timedelta(seconds=10)
)
async def heartbeats_until_cancelled() -> str:
    try:
        for i in range(1000):
            activity.heartbeat(i)
            await anyio.sleep(0.02)
    except asyncio.CancelledError:
        cancel_seen.append("async")
        raise
    return "never cancelled"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
def sync_heartbeats_until_cancelled() -> str:
    for i in range(1000):
        activity.heartbeat(i)
        if activity.is_cancelled():
            cancel_seen.append("sync")
            activity.raise_if_cancelled()
        threading.Event().wait(0.02)
    return "never cancelled"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def slow(tag: str) -> str:
    started_slow.append(tag)
    running_now[0] += 1
    max_running[0] = max(max_running[0], running_now[0])
    await anyio.sleep(0.3)
    running_now[0] -= 1
    finished_slow.append(tag)
    return tag


@workflow.defn(task_list="t")
async def Greeting(name: str) -> str:
    greeting = await workflow.execute_activity(greet, name)
    return await workflow.execute_activity(shout, greeting)


@workflow.defn(task_list="t")
async def RetriesTimeout(tag: str) -> str:
    return await workflow.execute_activity(
        hangs_first_time,
        tag,
        retry=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=3),
    )


@workflow.defn(task_list="t")
class CancelsActivity:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, sync: bool) -> str:
        fn = sync_heartbeats_until_cancelled if sync else heartbeats_until_cancelled
        task = workflow.start_activity(
            fn, cancellation=workflow.ActivityCancellation.WAIT_CANCELLATION_COMPLETED
        )
        await workflow.wait_condition(lambda: self.go)
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, ActivityCancelledError):
            return "cancelled"
        except ActivityError as error:
            return f"error {type(error).__name__}"
        return "completed"

    @workflow.signal
    def cancel_it(self) -> None:
        self.go = True


@workflow.defn(task_list="t")
async def FanOut(count: int) -> list[str]:
    return list(
        await asyncio.gather(*(workflow.execute_activity(slow, f"s{i}") for i in range(count)))
    )


@workflow.defn(name="Buggy", task_start_to_close_timeout=1, task_list="t")
async def BuggyV1(x: int) -> int:
    raise RuntimeError("a bug in workflow code")


@workflow.defn(name="Buggy", task_start_to_close_timeout=1, task_list="t")
async def BuggyFixed(x: int) -> int:
    return x * 2


@workflow.defn(task_list="t")
async def Spins() -> str:
    while not spin.is_set():  # stands for code that blocks the activation
        pass
    return "spun"


async def until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Wait (polling briefly) until ``predicate()`` holds; fail after ``seconds``."""
    with anyio.fail_after(seconds):
        while True:
            if predicate():
                return
            await anyio.sleep(0.01)


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def double(value: int) -> int:
    return value * 2


@workflow.defn(task_list="t")
class Mixed:
    """Sequential and parallel activities, a durable timer and a signal: many decisions."""

    def __init__(self) -> None:
        self.bonus: int | None = None

    @workflow.run
    async def run(self, steps: int) -> int:
        total = 0
        for step in range(steps):
            total += await workflow.execute_activity(double, step)
        total += sum(
            await asyncio.gather(*(workflow.execute_activity(double, i) for i in range(3)))
        )
        await workflow.sleep(timedelta(minutes=5))
        await workflow.wait_condition(lambda: self.bonus is not None)
        assert self.bonus is not None
        return total + self.bonus

    @workflow.signal
    def add_bonus(self, bonus: int) -> None:
        self.bonus = bonus
