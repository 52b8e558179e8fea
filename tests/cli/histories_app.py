"""A workflow whose decisions depend on its run id, for the history-file tests."""

from __future__ import annotations

from datetime import timedelta

from swfasync import activity, workflow


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def noted(value: str) -> str:
    return value


@workflow.defn(task_list="histories")
async def SeededChoice(label: str) -> str:
    # workflow.random() is seeded by the run: the activity id differs under other ids.
    draw = int(workflow.random() * 1_000_000)
    return await workflow.execute_activity(noted, label, activity_id=f"pick-{draw}")
