"""A composite workflow: a parent fans out to child workflows and combines their results.

Each child is a workflow execution of its own (its own history and id), started and awaited
by the parent; ``child_policy`` decides what happens to children if the parent closes.
Run: ``python examples/composite.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import activity, workflow
from swfasync.testing import WorkflowEnvironment


@activity.defn(start_to_close_timeout=timedelta(minutes=1))
async def count_words(text: str) -> int:
    return len(text.split())


@workflow.defn(task_list="composite")
async def CountChapter(chapter: str) -> int:
    return await workflow.execute_activity(count_words, chapter)


@workflow.defn(task_list="composite")
async def CountBook(chapters: list[str]) -> int:
    counts = await asyncio.gather(
        *(
            workflow.execute_child_workflow(CountChapter, chapter, child_policy="TERMINATE")
            for chapter in chapters
        )
    )
    return sum(counts)


async def main() -> int:
    async with WorkflowEnvironment(
        workflows=[CountBook, CountChapter], activities=[count_words], task_list="composite"
    ) as env:
        book = ["It was a dark and stormy night", "The end", "Or is it"]
        handle = await env.client.start_workflow(CountBook, book, id="book")
        total: int = await handle.result()
        return total


if __name__ == "__main__":
    print(asyncio.run(main()))
