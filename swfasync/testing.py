"""Tools for testing workflows: build histories, simulate runs, replay recordings."""

from __future__ import annotations

from ._testing.history import HistoryBuilder as HistoryBuilder
from ._testing.replayer import Replayer as Replayer
from ._testing.replayer import ReplayResult as ReplayResult
from ._testing.replayer import load_history as load_history
from ._testing.simulation import WorkflowSimulation as WorkflowSimulation

__all__ = ("HistoryBuilder", "ReplayResult", "Replayer", "WorkflowSimulation", "load_history")
