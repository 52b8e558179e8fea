"""The installed package as a user's project sees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

USER_CODE = """\
from typing import assert_type

import swfasync
from swfasync import workflow


@workflow.defn
async def echo(text: str) -> str:
    return text


assert_type(swfasync.Client, type[swfasync.Client])
"""


@pytest.mark.timeout(300)
def test_an_editable_install_is_visible_to_mypy_from_another_directory(tmp_path: Path) -> None:
    # A project beside this one, type-checking code that imports swfasync: mypy finds the
    # package through the install, not through the current directory.
    (tmp_path / "user.py").write_text(USER_CODE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "user.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout
