"""Task-list overrides from RespondDecisionTaskCompleted (the sticky task list).

SWF: the override applies to the execution's future decision tasks; with
``taskListScheduleToStartTimeout`` it is temporary — a decision task on the override list
not started in time times out (SCHEDULE_TO_START) and SWF reverts to the original list.
"""

from __future__ import annotations

from swfasync.devserver import ManualClock

from .conftest import Helper, attrs, start_timer, types_of


async def test_override_holds_for_later_tasks_until_it_times_out(
    h: Helper, clock: ManualClock
) -> None:
    run_id = await h.start()
    await h.respond(
        await h.decide(),
        start_timer("t1", 1),
        taskList={"name": "sticky-host-1"},
        taskListScheduleToStartTimeout="5",
    )
    clock.advance(1)
    # The next answer names no list: the override still holds for the task after it.
    await h.respond(await h.decide("sticky-host-1"), start_timer("t2", 1))
    clock.advance(1)
    task = await h.decide("sticky-host-1")
    assert types_of(task["events"])[-2:] == ["DecisionTaskScheduled", "DecisionTaskStarted"]
    assert attrs(task["events"][-2])["taskList"] == {"name": "sticky-host-1"}
    await h.respond(task, start_timer("t3", 1))
    clock.advance(1)
    await h.history("wf-1", run_id)  # a round trip: the timer has fired by its answer
    clock.advance(5)  # nobody polls the sticky list: reverted to the execution's own list
    task = await h.decide()
    assert attrs(task["events"][-2])["taskList"] == {"name": "deciders"}
    await h.respond(task, start_timer("t4", 1))
    clock.advance(1)
    events = await h.history("wf-1", run_id)
    assert attrs(events[-1])["taskList"] == {"name": "deciders"}
    assert types_of(events).count("DecisionTaskTimedOut") == 1
