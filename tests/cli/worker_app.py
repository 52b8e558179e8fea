"""The workflow module that ``swfasync worker`` loads in the CLI's process tests.

The worker runs in another process, so the test and the activity meet through files: the
activity marks that it has started, then takes long enough for a shutdown signal to land
while it runs.
"""

from __future__ import annotations

from datetime import timedelta

import anyio

from swfasync import activity, workflow

TASK_LIST = "cli-worker"


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def slow_step(marker: str, seconds: float) -> str:
    await anyio.Path(marker).write_text(activity.info().activity_id)
    await anyio.sleep(seconds)
    return f"slept {seconds}"


@workflow.defn(task_list=TASK_LIST)
async def TwoSteps(marker: str, seconds: float) -> list[str]:
    first = await workflow.execute_activity(slow_step, marker, seconds)
    second = await workflow.execute_activity(slow_step, marker + ".second", 0)
    return [first, second]


class OutOfStock(LookupError):
    """Raised by Reserve; ``--fail-on tests.cli.worker_app:OutOfStock`` fails the run."""


@workflow.defn(task_list=TASK_LIST)
async def Reserve(item: str) -> str:
    raise OutOfStock(item)
