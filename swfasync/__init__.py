"""swfasync: asyncio-native workflows on Amazon Simple Workflow Service.

Workflows are ``async def`` code (``swfasync.workflow``), activities are plain functions
(``swfasync.activity``); the engine replays SWF history deterministically and turns what
the code does next into SWF decisions.
"""

from __future__ import annotations

from . import activity as activity
from . import workflow as workflow
from ._client.client import Client as Client
from ._client.client import IdReusePolicy as IdReusePolicy
from ._client.handle import WorkflowHandle as WorkflowHandle
from ._engine.retry import RetryPolicy as RetryPolicy
from ._worker.worker import Worker as Worker
from .exceptions import ActivityError as ActivityError
from .exceptions import ApplicationError as ApplicationError
from .exceptions import ArgumentTypeError as ArgumentTypeError
from .exceptions import ChildWorkflowError as ChildWorkflowError
from .exceptions import FailureError as FailureError
from .exceptions import NondeterminismError as NondeterminismError
from .exceptions import SwfAsyncError as SwfAsyncError
from .exceptions import SwfConnectionError as SwfConnectionError
from .exceptions import SwfValidationError as SwfValidationError
from .exceptions import WorkflowAlreadyStartedError as WorkflowAlreadyStartedError
from .exceptions import WorkflowFailureError as WorkflowFailureError
from .exceptions import WorkflowIdConflictError as WorkflowIdConflictError
from .exceptions import WorkflowNotFoundError as WorkflowNotFoundError

__version__ = "0.1.0"

__all__ = (
    "ActivityError",
    "ApplicationError",
    "ArgumentTypeError",
    "ChildWorkflowError",
    "Client",
    "FailureError",
    "IdReusePolicy",
    "NondeterminismError",
    "RetryPolicy",
    "SwfAsyncError",
    "SwfConnectionError",
    "SwfValidationError",
    "Worker",
    "WorkflowAlreadyStartedError",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowIdConflictError",
    "WorkflowNotFoundError",
    "__version__",
    "activity",
    "workflow",
)
