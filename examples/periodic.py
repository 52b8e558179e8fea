"""Periodic work: the Flow Framework's PeriodicWorkflow, with continue-as-new.

An activity runs every hour. Each run does a few periods and then continues as a new run
of itself, so the history stays short however long the work goes on; the published state
tells an observer where it is. The dev server's time skipping makes the hours instant.
Run: ``python examples/periodic.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import activity, workflow
from swfasync.testing import WorkflowEnvironment

PERIODS_PER_RUN = 3


@activity.defn(start_to_close_timeout=timedelta(minutes=5))
async def do_periodic_work(period: int) -> None:
    """The work to repeat (a health check, a report...)."""


@workflow.defn(name="PeriodicWorkflow", task_list="periodic")
class PeriodicWorkflow:
    def __init__(self) -> None:
        self.state = "Just Started"

    @workflow.run
    async def run(self, done: int, total: int) -> int:
        for _ in range(PERIODS_PER_RUN):
            if done == total:
                self.state = "Finished Processing"
                return done
            await workflow.execute_activity(do_periodic_work, done)
            done += 1
            self.state = f"Waiting for timer to fire. Count = {done}"
            await workflow.sleep(timedelta(hours=1))
        return workflow.continue_as_new(done, total)  # type: ignore[no-any-return]  # never returns: a fresh run, a fresh history

    @workflow.state
    def get_state(self) -> str:
        return self.state


async def main() -> int:
    async with WorkflowEnvironment(
        workflows=[PeriodicWorkflow], activities=[do_periodic_work], task_list="periodic"
    ) as env:
        handle = await env.client.start_workflow(PeriodicWorkflow, 0, 7, id="periodic")
        count: int = await handle.result()  # follows the continue-as-new chain
        return count


if __name__ == "__main__":
    print(asyncio.run(main()))
