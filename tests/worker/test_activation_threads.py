"""The threads activations run on: deadlines, abandoned calls, context, shutdown."""

from __future__ import annotations

import asyncio
import contextvars
import os
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


async def test_the_loop_runs_other_tasks_while_a_call_runs() -> None:
    threads = ActivationThreads("slow-test")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    try:
        # 0.3 s on the thread: the loop never waits for it and runs other tasks meanwhile.
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


async def test_calls_made_together_run_in_order_on_one_thread_with_their_own_outcomes() -> None:
    threads = ActivationThreads("batch-test")
    ran: list[tuple[str, str]] = []

    def record(label: str) -> str:
        ran.append((label, threading.current_thread().name))
        return label

    def fail() -> None:
        record("fail")
        raise KeyError("fail")

    try:
        # gather's tasks all call run() in the same loop iteration: one batch.
        outcomes = await asyncio.gather(
            threads.run(5.0, record, "first"),
            threads.run(5.0, fail),
            threads.run(5.0, record, "third"),
            return_exceptions=True,
        )
        assert outcomes[0] == "first"
        assert isinstance(outcomes[1], KeyError)
        assert outcomes[2] == "third"
        assert [label for label, _ in ran] == ["first", "fail", "third"]
        assert len({thread for _, thread in ran}) == 1
        assert len(named_threads("batch-test")) == 1
    finally:
        threads.close()


async def test_calls_queued_behind_a_stuck_call_run_on_another_thread() -> None:
    threads = ActivationThreads("stuck-batch-test")
    release = threading.Event()
    ran_on: dict[str, str] = {}

    def record(label: str) -> str:
        ran_on[label] = threading.current_thread().name
        return label

    def stuck() -> None:
        record("stuck")
        release.wait()

    try:
        outcomes = await asyncio.gather(
            threads.run(0.2, stuck),
            threads.run(0.2, record, "second"),
            threads.run(0.2, record, "third"),
            return_exceptions=True,
        )
        # Had the queued calls' deadlines counted while they waited behind the stuck
        # one, they would have timed out with it.
        assert isinstance(outcomes[0], TimeoutError)
        assert list(outcomes[1:]) == ["second", "third"]
        assert ran_on["second"] == ran_on["third"] != ran_on["stuck"]
    finally:
        release.set()
        threads.close()


async def test_a_deadline_counts_from_when_the_call_starts() -> None:
    threads = ActivationThreads("start-test")
    try:
        # The second call starts 0.2 s after it was made and takes 0.2 s: within its
        # 0.3 s deadline from its start, past it from when it was made.
        outcomes = await asyncio.gather(
            threads.run(0.3, sleep_then, 0.2, lambda: "first"),
            threads.run(0.3, sleep_then, 0.2, lambda: "second"),
        )
        assert list(outcomes) == ["first", "second"]
    finally:
        threads.close()


async def test_cancelled_callers_leave_the_rest_of_their_batch_alone() -> None:
    threads = ActivationThreads("cancel-test")
    started, gate = threading.Event(), threading.Event()
    ran: list[str] = []

    def first() -> str:
        started.set()
        gate.wait(5.0)
        ran.append("first")
        return "first"

    def record(label: str) -> str:
        ran.append(label)
        return label

    try:
        running = asyncio.create_task(threads.run(5.0, first))
        queued = asyncio.create_task(threads.run(5.0, record, "second"))
        last = asyncio.create_task(threads.run(5.0, record, "third"))
        await asyncio.to_thread(started.wait, 5.0)
        running.cancel()
        queued.cancel()
        await asyncio.wait([running, queued])
        gate.set()
        assert await last == "third"
        assert running.cancelled()
        assert queued.cancelled()
        # The running call finished, its outcome dropped; the queued one was skipped.
        assert ran == ["first", "third"]
    finally:
        gate.set()
        threads.close()


async def test_close_lets_a_busy_batch_finish_then_ends_its_thread() -> None:
    threads = ActivationThreads("close-busy-test")
    started, gate = threading.Event(), threading.Event()

    def first() -> str:
        started.set()
        gate.wait(5.0)
        return "first"

    batch = asyncio.gather(threads.run(5.0, first), threads.run(5.0, int, "7"))
    await asyncio.to_thread(started.wait, 5.0)
    [thread] = named_threads("close-busy-test")
    threads.close()
    with pytest.raises(RuntimeError, match="close-busy-test threads are closed"):
        await threads.run(5.0, int)
    gate.set()
    assert list(await batch) == ["first", 7]
    thread.join(5.0)
    assert not thread.is_alive()


def test_an_outcome_for_a_closed_loop_does_not_make_its_thread_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    threads = ActivationThreads("closed-loop-test")
    release = threading.Event()

    async def give_up_waiting() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(threads.run(5.0, release.wait), 0.05)

    asyncio.run(give_up_waiting())
    # The call returns after its loop closed: the thread cannot report it there.
    release.set()
    threads.close()
    [thread] = named_threads("closed-loop-test")
    thread.join(5.0)
    assert not thread.is_alive()
    assert errors == []


async def test_a_deadline_must_be_positive() -> None:
    threads = ActivationThreads("deadline-test")
    try:
        for deadline in (0.0, -1.0, float("nan")):
            with pytest.raises(ValueError, match="deadline must be a positive number"):
                await threads.run(deadline, int)
    finally:
        threads.close()


def test_threads_serve_the_loop_they_were_first_used_on() -> None:
    threads = ActivationThreads("loop-test")
    try:
        assert asyncio.run(threads.run(5.0, int, "1")) == 1
        with pytest.raises(RuntimeError, match="event loop they were first used on"):
            asyncio.run(threads.run(5.0, int, "2"))
    finally:
        threads.close()


async def test_stop_iteration_reaches_the_caller_as_a_coroutine_would_raise_it() -> None:
    threads = ActivationThreads("stop-test")
    try:
        # A future cannot hold StopIteration; left undelivered, the caller would hang.
        with pytest.raises(RuntimeError, match="raised StopIteration") as raised:
            await threads.run(5.0, next, iter(()))
        assert isinstance(raised.value.__cause__, StopIteration)
    finally:
        threads.close()


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="a Linux scheduling policy")
async def test_threads_run_under_sched_batch_and_leave_the_callers_thread_alone() -> None:
    # A thread woken for a batch must not take the core of the loop that woke it; the
    # policy is the activation thread's own, never the host's.
    before = os.sched_getscheduler(0)
    threads = ActivationThreads("policy-test")
    try:
        assert await threads.run(5.0, os.sched_getscheduler, 0) == os.SCHED_BATCH
        assert os.sched_getscheduler(0) == before
    finally:
        threads.close()
