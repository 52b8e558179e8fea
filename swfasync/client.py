"""Start, inspect and steer workflow executions; complete activities by task token.

Example::

    from swfasync.client import Client

    async with Client("orders") as client:          # standard AWS configuration
        handle = await client.start_workflow(Order, "o-1", 42, id="order-o-1")
        print(await handle.result())
"""

from __future__ import annotations

from ._client.client import Client as Client
from ._client.client import IdReusePolicy as IdReusePolicy
from ._client.client import WorkflowExecutionSummary as WorkflowExecutionSummary
from ._client.handle import WaitingActivity as WaitingActivity
from ._client.handle import WorkflowDescription as WorkflowDescription
from ._client.handle import WorkflowHandle as WorkflowHandle
from ._engine.task_failures import DecisionFailure as DecisionFailure

__all__ = (
    "Client",
    "DecisionFailure",
    "IdReusePolicy",
    "WaitingActivity",
    "WorkflowDescription",
    "WorkflowExecutionSummary",
    "WorkflowHandle",
)
