"""The README's python code blocks run (blocks marked ``python no-run`` are skipped)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_runnable_blocks() -> None:
    assert python_blocks()


def test_readme_python_blocks_run(tmp_path: Path) -> None:
    for index, block in enumerate(python_blocks()):
        script = tmp_path / f"block{index}.py"
        script.write_text(block)
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        if "Hello, World!" in block:
            assert "Hello, World!" in done.stdout


def test_complete_example_is_under_30_lines() -> None:
    assert len(python_blocks()[0].strip().splitlines()) < 30
