"""The dev server against moto, for the part of SWF that moto implements.

The same scenarios run on both servers through aiobotocore; their histories, normalised (no
timestamps, run ids as ``run-N``), must be identical except for moto's known deviations,
listed here as data with a reason each. Responses from moto are validated like the dev
server's, and its validation problems must be exactly the known ones too. A deviation that
disappears (moto fixed) fails the test as surely as a new one: the list stays exact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from .clients import Checker, SwfApi, aiobotocore_api
from .decider import Names
from .differential import Deviation, history_deviations
from .scenarios import ledger_scenario, order_scenario
from .servers import moto_server

Scenario = Callable[[SwfApi, Names], Awaitable[list[dict[str, Any]]]]

#: Where moto's histories differ from the dev server's, and why moto is the one that is off.
MOTO_HISTORY_DEVIATIONS: dict[Deviation, str] = {
    ("WorkflowExecutionStarted.parentInitiatedEventId", "missing"): (
        "moto omits it; SWF sends 0 for an execution that has no parent"
    ),
    ("WorkflowExecutionStarted.tagList", "missing"): (
        "moto drops the tags given to StartWorkflowExecution from the event"
    ),
    ("ActivityTaskScheduled.scheduleToStartTimeout", "missing"): (
        "moto does not fill the activity type's registered default timeouts into the event"
    ),
    ("ActivityTaskScheduled.scheduleToCloseTimeout", "missing"): (
        "moto does not fill the activity type's registered default timeouts into the event"
    ),
    ("ActivityTaskScheduled.startToCloseTimeout", "missing"): (
        "moto does not fill the activity type's registered default timeouts into the event"
    ),
    ("ActivityTaskScheduled.heartbeatTimeout", "missing"): (
        "moto does not fill the activity type's registered default timeouts into the event"
    ),
    ("TimerCanceled.eventType", "'TimerCancelled' instead of 'TimerCanceled'"): (
        "moto spells the event type TimerCancelled, which is not in SWF's EventType enum"
    ),
    ("TimerCanceled.timerId", "missing"): "moto's TimerCancelled event carries no attributes",
    ("TimerCanceled.startedEventId", "missing"): (
        "moto's TimerCancelled event carries no attributes"
    ),
    ("TimerCanceled.decisionTaskCompletedEventId", "missing"): (
        "moto's TimerCancelled event carries no attributes"
    ),
}

#: Validation problems in moto's responses, as (path, part of the message), and why.
MOTO_RESPONSE_DEVIATIONS: dict[tuple[str, str], str] = {
    ("<headers>.Content-Type", "'text/html; charset=utf-8' is not JSON 1.0"): (
        "moto's server answers every SWF call as text/html, not application/x-amz-json-1.0"
    ),
    ("events[12].eventType", "'TimerCancelled' is not one of the model's values"): (
        "the misspelt event type, seen by the validator in ledger_scenario's history"
    ),
    ("events[12]", "unknown member 'timerCancelledEventAttributes'"): (
        "moto's TimerCancelled event has an attributes member that SWF's model does not"
    ),
}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


async def run_everywhere(
    scenario: Scenario, endpoint: str, moto_endpoint: str, moto_checker: Checker
) -> set[Deviation]:
    async with aiobotocore_api(endpoint, Checker()) as swf:
        ours = await scenario(swf, Names())
    async with aiobotocore_api(moto_endpoint, moto_checker) as swf:
        theirs = await scenario(swf, Names())
    return history_deviations(ours, theirs)


async def test_histories_match_moto_but_for_known_deviations(
    endpoint: str, moto_endpoint: str
) -> None:
    moto_checker = Checker(coverage=None, strict=False)
    found: set[Deviation] = set()
    for scenario in [order_scenario, ledger_scenario]:
        found |= await run_everywhere(scenario, endpoint, moto_endpoint, moto_checker)
    unexpected = sorted(found - MOTO_HISTORY_DEVIATIONS.keys())
    gone = sorted(MOTO_HISTORY_DEVIATIONS.keys() - found)
    assert not unexpected, f"new differences from moto: {unexpected}"
    assert not gone, f"listed moto deviations no longer seen: {gone}"

    problems = {problem for _, problem in moto_checker.problems}
    known = MOTO_RESPONSE_DEVIATIONS.keys()
    unexplained = [
        str(p) for p in problems if not any(p.path == at and say in p.message for at, say in known)
    ]
    unseen = [k for k in known if not any(p.path == k[0] and k[1] in p.message for p in problems)]
    assert not unexplained, f"new problems in moto's responses: {unexplained}"
    assert not unseen, f"listed moto response deviations no longer seen: {unseen}"
