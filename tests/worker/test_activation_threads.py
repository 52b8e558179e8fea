"""The threads activations run on: deadlines, abandoned calls, context, shutdown."""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from swfasync._worker.activation_threads import ActivationThreads

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")


def named_threads(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


async def test_a_stuck_call_is_abandoned_and_later_calls_still_run() -> None:
    threads = ActivationThreads("stuck-test")
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError, match=r"within 0\.05 s"):
            await threads.run(0.05, release.wait)
        # The stuck thread holds no one up: the next call gets a thread of its own.
        assert await threads.run(5.0, lambda x: x + 1, 41) == 42
        assert len(named_threads("stuck-test")) == 2
    finally:
        release.set()
        threads.close()


async def test_calls_reuse_idle_threads_and_see_the_callers_context() -> None:
    threads = ActivationThreads("reuse-test")
    request_id.set("r-1")
    try:
        for _ in range(5):
            assert await threads.run(5.0, request_id.get) == "r-1"
        assert len(named_threads("reuse-test")) == 1
    finally:
        threads.close()


async def test_exceptions_reach_the_caller() -> None:
    threads = ActivationThreads("error-test")
    try:
        with pytest.raises(ZeroDivisionError):
            await threads.run(5.0, lambda: 1 / 0)
    finally:
        threads.close()


def sleep_then(seconds: float, then: Callable[[], object]) -> object:
    time.sleep(seconds)
    return then()


async def test_a_call_longer_than_the_synchronous_wait_returns_through_the_loop() -> None:
    threads = ActivationThreads("slow-test")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    try:
        # 0.3 s on the thread: the caller blocks its loop for SYNC_WAIT at most, then
        # waits on the loop, which keeps running other tasks meanwhile.
        assert await threads.run(5.0, sleep_then, 0.3, lambda: "slow") == "slow"
        assert ticks >= 3  # the loop ran while the call did
        with pytest.raises(ZeroDivisionError):
            await threads.run(5.0, sleep_then, 0.05, lambda: 1 / 0)
    finally:
        ticker.cancel()
        threads.close()


async def test_close_ends_idle_threads_and_refuses_calls() -> None:
    threads = ActivationThreads("close-test")
    await threads.run(5.0, int)
    [thread] = named_threads("close-test")
    threads.close()
    thread.join(5.0)
    assert not thread.is_alive()
    with pytest.raises(RuntimeError, match="close-test threads are closed"):
        await threads.run(5.0, int)


def test_an_abandoned_thread_does_not_keep_the_process_alive() -> None:
    program = (
        "import asyncio, threading\n"
        "from swfasync._worker.activation_threads import ActivationThreads\n"
        "async def main():\n"
        "    try:\n"
        "        await ActivationThreads('exit-test').run(0.05, threading.Event().wait)\n"
        "    except TimeoutError:\n"
        "        print('abandoned')\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout == "abandoned\n"
