"""Tools for testing workflows: build histories, simulate runs, replay recordings, run the
SDK end to end on an in-process dev server, run activities in isolation.

pytest fixtures for all of these come with the package (``swfasync.pytest_plugin``).
"""

from __future__ import annotations

from ._testing.environment import ActivityEnvironment as ActivityEnvironment
from ._testing.environment import WorkflowEnvironment as WorkflowEnvironment
from ._testing.history import HistoryBuilder as HistoryBuilder
from ._testing.replayer import Replayer as Replayer
from ._testing.replayer import ReplayResult as ReplayResult
from ._testing.replayer import load_history as load_history
from ._testing.simulation import WorkflowSimulation as WorkflowSimulation

__all__ = (
    "ActivityEnvironment",
    "HistoryBuilder",
    "ReplayResult",
    "Replayer",
    "WorkflowEnvironment",
    "WorkflowSimulation",
    "load_history",
)
