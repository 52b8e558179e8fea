"""Workers: poll SWF task lists, run workflow activations and activities.

Example::

    from swfasync.client import Client
    from swfasync.worker import Worker

    async with Client("orders") as client, Worker(
        client, task_list="orders", workflows=[Order], activities=[charge]
    ) as worker:
        await anyio.sleep_forever()
"""

from __future__ import annotations

from ._worker.decisions import DecisionTask as DecisionTask
from ._worker.decisions import DecisionTaskHandler as DecisionTaskHandler
from ._worker.worker import Worker as Worker

__all__ = ("DecisionTask", "DecisionTaskHandler", "Worker")
