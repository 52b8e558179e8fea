"""Shared fixtures: where the recorded histories live (``../shared`` beside the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

# The fixtures swfasync offers its users (workflow_environment, activity_environment, ...)
# come from its pytest11 entry point, as they do for users: nothing to list here.

SHARED_HISTORIES = Path(__file__).resolve().parent.parent.parent / "shared" / "histories"


def recorded_history_files() -> list[Path]:
    """The recorded SWF histories, or an empty list where ``../shared`` is absent."""
    if not SHARED_HISTORIES.is_dir():
        return []
    return sorted(
        p for p in SHARED_HISTORIES.glob("*.json") if not p.name.endswith(".decisions.json")
    )


@pytest.fixture
def shared_histories() -> Path:
    if not SHARED_HISTORIES.is_dir():
        pytest.skip("../shared/histories is not beside this checkout")
    return SHARED_HISTORIES
