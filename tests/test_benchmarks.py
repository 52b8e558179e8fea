"""Every benchmark runs in its quick mode, so none of them rots between ``make bench`` runs.

Only that they run and report is checked here: figures and targets belong to the
benchmarks themselves (benchmarks/RESULTS.md), never to timed assertions in tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import ALL

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ALL)
def test_benchmark_runs_quick(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", name, "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("== "), done.stdout
    assert "(benchmark wall time" in done.stdout
