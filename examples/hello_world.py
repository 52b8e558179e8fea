"""Hello world: the boto SWF tutorial's HelloWorkflow, as swfasync code.

The tutorial's decider schedules one ``HelloActivity`` and completes the workflow with its
result; here that is a three-line ``async def``. Run: ``python examples/hello_world.py``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from swfasync import activity, workflow
from swfasync.testing import WorkflowEnvironment


@activity.defn(name="HelloActivity", version="1.0", start_to_close_timeout=timedelta(minutes=5))
async def hello_activity(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn(name="HelloWorkflow", version="1.0", task_list="default")
async def hello_workflow(name: str) -> str:
    return await workflow.execute_activity(hello_activity, name)


async def main() -> str:
    async with WorkflowEnvironment(workflows=[hello_workflow], activities=[hello_activity]) as env:
        handle = await env.client.start_workflow(hello_workflow, "World", id="hello-world")
        result: str = await handle.result()
        return result


if __name__ == "__main__":
    print(asyncio.run(main()))
