"""Clocks, randomness and UUIDs in workflow code are refused at run time.

Everything stays usable outside workflow code.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import random
import secrets
import time
import uuid
from collections.abc import Callable

import pytest

from swfasync import activity, workflow
from swfasync._engine.instance import WorkflowTaskError
from swfasync.exceptions import RestrictedOperationError
from swfasync.testing import WorkflowEnvironment, WorkflowSimulation

from .helpers import assert_replays, summary

Call = Callable[[], object]

# (what workflow code calls, what the error must name, the replacement it must suggest)
REFUSED: list[tuple[str, Call, str, str]] = [
    ("random.random", lambda: random.random(), "random.random", "workflow.random()"),
    ("random.randint", lambda: random.randint(1, 6), "random.randint", "workflow.random()"),
    ("random.choice", lambda: random.choice("ab"), "random.choice", "workflow.random()"),
    ("random.shuffle", lambda: random.shuffle([1, 2]), "random.shuffle", "workflow.random()"),
    ("random.uniform", lambda: random.uniform(0, 1), "random.uniform", "workflow.random()"),
    ("random.getrandbits", lambda: random.getrandbits(8), "random.getrandbits", "random()"),
    ("random.sample", lambda: random.sample(range(9), 2), "random.sample", "random()"),
    ("random.getstate", lambda: random.getstate(), "random.getstate", "random_generator()"),
    ("Random()", lambda: random.Random(), "no seed given", "workflow.random_generator()"),
    ("SystemRandom", lambda: random.SystemRandom().random(), "SystemRandom", "uuid4()"),
    ("secrets", lambda: secrets.token_hex(4), "secrets", "workflow.random_generator()"),
    ("os.urandom", lambda: os.urandom(4), "os.urandom", "workflow.random_generator()"),
    ("uuid.uuid1", lambda: uuid.uuid1(), "uuid.uuid1", "workflow.uuid4()"),
    ("uuid.uuid4", lambda: uuid.uuid4(), "uuid.uuid4", "workflow.uuid4()"),
    ("time.monotonic", lambda: time.monotonic(), "time.monotonic", "workflow.now()"),
    ("time.monotonic_ns", lambda: time.monotonic_ns(), "time.monotonic_ns", "workflow.now()"),
    ("perf_counter", lambda: time.perf_counter(), "time.perf_counter", "workflow.now()"),
    ("perf_counter_ns", lambda: time.perf_counter_ns(), "time.perf_counter_ns", "now()"),
    ("process_time", lambda: time.process_time(), "time.process_time", "workflow.now()"),
    ("process_time_ns", lambda: time.process_time_ns(), "time.process_time_ns", "now()"),
    ("thread_time", lambda: time.thread_time(), "time.thread_time", "workflow.now()"),
    ("thread_time_ns", lambda: time.thread_time_ns(), "time.thread_time_ns", "now()"),
    ("time.localtime", lambda: time.localtime(), "time.localtime", "workflow.now()"),
    ("time.strftime", lambda: time.strftime("%Y"), "time.strftime", "workflow.now()"),
    ("date.today", lambda: dt.date.today(), "wall clock", "workflow.now()"),
]
if hasattr(os, "getrandom"):
    REFUSED.append(("os.getrandom", lambda: os.getrandom(4), "os.getrandom", "uuid4()"))
if hasattr(time, "clock_gettime"):
    REFUSED.append(
        (
            "clock_gettime",
            lambda: time.clock_gettime(time.CLOCK_REALTIME),
            "time.clock_gettime",
            "workflow.now()",
        )
    )


def _workflow_calling(action: Call) -> object:
    # `action` reaches the body through a closure, which the definition-time check does
    # not follow: what is refused here is refused at run time.
    @workflow.defn(name=f"calls-{id(action)}")
    async def body() -> None:
        action()

    return body


@pytest.mark.parametrize(
    ("action", "called", "instead"),
    [pytest.param(action, called, instead, id=name) for name, action, called, instead in REFUSED],
)
def test_clocks_and_randomness_fail_the_decision_task_naming_the_replacement(
    action: Call, called: str, instead: str
) -> None:
    sim = WorkflowSimulation(_workflow_calling(action))
    with pytest.raises(WorkflowTaskError) as caught:
        sim.decide()
    refusal = caught.value.__cause__
    assert isinstance(refusal, RestrictedOperationError)
    assert called in str(refusal)
    assert instead in str(refusal)
    assert "workflow code cannot be replayed" in str(refusal)
    action()  # outside workflow code the same call works


@workflow.defn
async def uses_replay_safe_randomness() -> list[str]:
    seeded = random.Random(7)
    seeded.seed(a=7)  # reseeding with an explicit seed is as deterministic
    return [
        str(seeded.random()),
        str(workflow.random()),
        str(workflow.uuid4()),
        str(workflow.random_generator().randint(0, 10**9)),
        time.strftime("%Y", time.gmtime(0)),  # formatting a given time reads no clock
        dt.datetime.fromtimestamp(0, dt.UTC).isoformat(),
    ]


def test_seeded_random_and_the_workflow_api_still_work_inside_workflows() -> None:
    sim = WorkflowSimulation(uses_replay_safe_randomness)
    [(kind, result)] = summary(sim.decide())
    assert kind == "CompleteWorkflowExecution"
    assert str(random.Random(7).random()) in result
    assert "1970" in result
    assert_replays(sim)


@pytest.mark.parametrize("first", [False, True], ids=["callback-appended", "callback-first"])
def test_a_garbage_collection_during_workflow_code_may_read_the_clock(first: bool) -> None:
    """Finalizers and the collector's callbacks (e.g. one that times collections) do not
    run as workflow code, even when the collection happens during it."""
    outcomes: list[tuple[str, object]] = []

    def record(source: str) -> None:
        try:
            outcomes.append((source, time.perf_counter()))
        except RestrictedOperationError as error:
            outcomes.append((source, error))

    class Finalized:
        def __init__(self) -> None:
            self.cycle = self  # only the cycle collector frees it

        def __del__(self) -> None:
            record("finalizer")

    def timing_collections(phase: str, info: dict[str, int]) -> None:
        record(phase)

    def collect_then_read_the_clock() -> None:
        Finalized()
        gc.collect()
        time.perf_counter()  # workflow code itself is restricted again after the collection

    sim = WorkflowSimulation(_workflow_calling(collect_then_read_the_clock))
    # Added after the guards were installed, at either end, as libraries do.
    gc.callbacks.insert(0 if first else len(gc.callbacks), timing_collections)
    try:
        with pytest.raises(WorkflowTaskError) as caught:
            sim.decide()
    finally:
        gc.callbacks.remove(timing_collections)
    assert isinstance(caught.value.__cause__, RestrictedOperationError)
    # Collections the allocations themselves trigger may add more starts and stops.
    assert {source for source, _ in outcomes} == {"start", "finalizer", "stop"}
    assert all(isinstance(value, float) for _, value in outcomes), outcomes


def _call_everything() -> int:
    for _, action, _, _ in REFUSED:
        action()
    return len(REFUSED)


@activity.defn(start_to_close_timeout=30)
def reads_clocks_in_a_thread() -> int:
    return _call_everything()


@activity.defn(start_to_close_timeout=30)
async def reads_clocks_on_the_loop() -> int:
    return _call_everything()


@workflow.defn(task_list="sandbox")
async def delegates_to_activities() -> list[int]:
    return [
        await workflow.execute_activity(reads_clocks_in_a_thread),
        await workflow.execute_activity(reads_clocks_on_the_loop),
    ]


async def test_activities_read_clocks_and_randomness_freely() -> None:
    async with WorkflowEnvironment(
        workflows=[delegates_to_activities],
        activities=[reads_clocks_in_a_thread, reads_clocks_on_the_loop],
        task_list="sandbox",
    ) as env:
        handle = await env.client.start_workflow(delegates_to_activities, id="delegates")
        assert await handle.result() == [len(REFUSED), len(REFUSED)]
