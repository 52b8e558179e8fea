"""Histories longer than one page (1,000 events) through a real worker, then replayed.

Every decision task of a run whose history outgrows a page must be assembled from several
PollForDecisionTask pages (or, after a cache miss, GetWorkflowExecutionHistory pages);
a page left out would replay the code against a cut history.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import anyio
import pytest

from swfasync import workflow
from swfasync.testing import Replayer, WorkflowEnvironment

WAVE = 600  # timers at once: within SWF's 1,000 open timers per execution
WAVES = 2  # 2 x (600 TimerStarted + 600 TimerFired) + decision tasks: about 2,430 events


@workflow.defn(task_list="paging")
async def ManyTimers(waves: int) -> int:
    fired = 0
    for _ in range(waves):
        # one deadline for the whole wave: time skipping fires it in one batch
        await asyncio.gather(*(workflow.sleep(timedelta(minutes=1)) for _ in range(WAVE)))
        fired += WAVE
    return fired


@pytest.mark.parametrize(
    "worker_options",
    [{"max_cached_workflows": 0, "fast_transport": False}, {"max_cached_workflows": 0}, {}],
    ids=["full-history-aiobotocore", "full-history-fast-transport", "sticky-and-cached"],
)
async def test_history_over_a_thousand_events_completes_and_replays(
    worker_options: dict[str, Any],
) -> None:
    pages_polled: list[bool] = []  # one per PollForDecisionTask: was it a follow-up page?

    def count_page(params: dict[str, Any], **_: Any) -> None:
        pages_polled.append("nextPageToken" in params)

    async with WorkflowEnvironment(
        workflows=[ManyTimers], task_list="paging", worker_options=worker_options
    ) as env:
        env.client.raw.meta.events.register(
            "before-parameter-build.swf.PollForDecisionTask", count_page
        )
        handle = await env.client.start_workflow(ManyTimers, WAVES, id="many-timers")
        with anyio.fail_after(30):  # a dropped page fails every decision task: no result
            assert await handle.result() == WAVE * WAVES
        history = await handle.history_json()
    assert len(history["events"]) > 2 * 1000
    if worker_options.get("fast_transport") is False:
        # Counted on the aiobotocore client's events, so only when it carries the polls.
        # Follow-up pages: one for the task after the first wave (about 1,210 events), two
        # for the last one (about 2,415); with the cache, sticky polls carry only the tail
        assert sum(pages_polled) >= 3
    result = Replayer([ManyTimers]).replay(history)
    assert result.ok, result.error
    assert result.event_count == len(history["events"])
