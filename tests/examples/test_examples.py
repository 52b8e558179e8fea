"""Every example runs, end to end, on the embedded dev server."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPECTED: dict[str, Any] = {
    "hello_world": "Hello, World!",
    "aiohttp_service": (202, 202, {"label": "LABEL-42"}),
    "fastapi_lifespan": (202, {"label": "LABEL-7"}),
    "booking": ["reserveAirline-123", "reserveCar-123", "sendConfirmation-345"],
    "periodic": 7,
    "exponential_retry": ("processed order-7", ["a1", "a1.2", "a1.3", "a1.4"]),
    "versioning": (["p1 sent"], ["p2 cleared", "p2 sent"], True),
    "human_approval": "laptop: approved",
    "composite": 12,
    "signals": ["biscuits", "tea"],
    "gateway_idempotent_start": (201, 200, 409, {"data": "VALUE"}),
    "gateway_callback": ("o-17 shipped as TRACK-o-17", [200, 410]),
    "messaging_document": [
        (status, "my_awesome_app", "tutorial")
        for status in (
            "Workflow Created",
            "Workflow Submitted",
            "Workflow Assigned",
            "Workflow Started",
            "Workflow Completed Successfully",
        )
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_example(name: str) -> None:
    assert await load(name).main() == EXPECTED[name]


def test_every_example_is_tested() -> None:
    assert sorted(p.stem for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


def test_an_example_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "hello_world.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "Hello, World!"
