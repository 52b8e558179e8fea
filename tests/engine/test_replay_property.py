"""Property: replaying a run's recorded history reproduces exactly the decisions it made.

Generated workflow programs mix activities, timers, signals, gather and cancellation; a
generated environment decides which outstanding work completes, fails or fires in each
round. The run itself uses one live instance fed incrementally (the caching worker's path);
every decision task is then replayed from scratch on a fresh instance (the cache-miss path)
and must produce the same decisions, never a non-determinism.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swfasync import RetryPolicy, workflow
from swfasync._wire import events as e
from swfasync.exceptions import ActivityError
from swfasync.testing import Replayer, WorkflowSimulation

Step = list[Any]

leaf = st.one_of(
    st.tuples(st.just("activity"), st.integers(0, 3)),
    st.tuples(st.just("timer"), st.integers(1, 500)),
)
step = st.one_of(
    leaf,
    st.tuples(st.just("gather"), st.lists(leaf, min_size=1, max_size=3)),
    st.tuples(st.just("signal"), st.integers(1, 2)),
    st.tuples(st.just("cancel"), st.integers(0, 1)),
    st.tuples(st.just("retry"), st.integers(2, 3)),
)
programs = st.lists(step.map(list), min_size=1, max_size=6)


@workflow.defn(name="Program")
class Program:
    def __init__(self) -> None:
        self.signals = 0

    async def _leaf(self, item: list[Any]) -> str:
        kind, value = item
        if kind == "timer":
            await workflow.sleep(value)
            return f"slept {value}"
        try:
            return str(await workflow.execute_activity("work", value, version="1"))
        except ActivityError as error:
            return f"failed {error.activity_id}"

    @workflow.run
    async def run(self, program: list[list[Any]]) -> list[str]:
        out: list[str] = []
        for kind, value in program:
            if kind in ("activity", "timer"):
                out.append(await self._leaf([kind, value]))
            elif kind == "gather":
                out.extend(await asyncio.gather(*(self._leaf(list(x)) for x in value)))
            elif kind == "signal":
                target = self.signals + value
                met = await workflow.wait_condition(
                    lambda: self.signals >= target,  # noqa: B023 - awaited right here
                    timeout=900,
                )
                out.append(f"signals {self.signals} {met}")
            elif kind == "cancel":
                task = workflow.start_activity("work", value, version="1")
                await workflow.sleep(10)
                task.cancel()
                try:
                    out.append(str(await task))
                except (asyncio.CancelledError, ActivityError) as error:
                    out.append(type(error).__name__)
            elif kind == "retry":
                try:
                    policy = RetryPolicy(initial_interval=5, maximum_attempts=value)
                    result = await workflow.execute_activity("work", 0, version="1", retry=policy)
                    out.append(str(result))
                except ActivityError as error:
                    out.append(f"gave up after {error.attempt}")
        return out

    @workflow.signal
    def poke(self) -> None:
        self.signals += 1


def _respond(sim: WorkflowSimulation, data: st.DataObject) -> None:
    """The world moves on: some outstanding work finishes, maybe a signal arrives."""
    builder = sim.builder
    for activity_id in builder.pending_activities():
        choice = data.draw(st.sampled_from(["complete", "fail", "timeout", "wait"]))
        if choice == "complete":
            builder.activity_completed(activity_id, f'"done {activity_id}"')
        elif choice == "fail":
            builder.activity_failed(activity_id, "Boom: no", "{}")
        elif choice == "timeout":
            builder.activity_started(activity_id)
            builder.activity_timed_out(activity_id)
    for timer_id in builder.pending_timers():
        if data.draw(st.booleans()):
            builder.timer_fired(timer_id)
    if data.draw(st.booleans()):
        builder.signal("poke")


def _close_everything(sim: WorkflowSimulation) -> None:
    builder = sim.builder
    for activity_id in builder.pending_activities():
        builder.activity_completed(activity_id, '"late"')
    for timer_id in builder.pending_timers():
        builder.timer_fired(timer_id)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs, data=st.data())
def test_replay_reproduces_every_decision(program: list[Step], data: st.DataObject) -> None:
    sim = WorkflowSimulation(Program, program, workflow_id="prop", run_id="prop-run")
    rounds = 0
    while not sim.closed:
        sim.decide()
        rounds += 1
        if sim.closed:
            break
        if rounds > 40:
            _close_everything(sim)
        else:
            _respond(sim, data)
        assert rounds < 200, "the program should finish once everything resolves"

    replayer = Replayer([Program])
    events = sim.builder.events
    started_ids = [ev.event_id for ev in events if isinstance(ev, e.DecisionTaskStarted)]
    assert len(started_ids) == len(sim.activations)
    for started_id, live_decisions in zip(started_ids, sim.activations, strict=True):
        prefix = events[:started_id]  # history as the decision task that made them saw it
        replayed = replayer.replay(prefix, workflow_id="prop", run_id="prop-run")
        assert replayed.decisions == live_decisions
    # The whole closed history also replays with every command matched.
    assert replayer.replay(events, workflow_id="prop", run_id="prop-run").ok
