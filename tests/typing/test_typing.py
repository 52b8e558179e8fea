"""The typed API seen from user code, checked by running mypy the way users do.

``user_code.py`` must type-check clean (every ``assert_type`` holds); every line of
``errors/*.py`` marked ``# E: code, ...`` must be reported with exactly those error codes,
and no unmarked line may be.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
MARK = re.compile(r"#\s*E:\s*(?P<codes>[a-z-]+(?:\s*,\s*[a-z-]+)*)\s*$")
REPORTED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def expected_errors(files: list[Path]) -> set[tuple[str, int, str]]:
    expected = set()
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = MARK.search(line)
            if found:
                for code in found["codes"].split(","):
                    expected.add((path.relative_to(ROOT).as_posix(), number, code.strip()))
    return expected


def test_mypy_reports_exactly_the_marked_errors() -> None:
    error_files = sorted((HERE / "errors").glob("*.py"))
    assert error_files
    expected = expected_errors(error_files)
    assert len(expected) >= 20
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--no-error-summary",
            "--show-error-codes",
            "--no-pretty",
            str((HERE / "user_code.py").relative_to(ROOT)),
            *(str(path.relative_to(ROOT)) for path in error_files),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    reported = set()
    for line in done.stdout.splitlines():
        found = REPORTED.match(line)
        if found:
            reported.add((Path(found["path"]).as_posix(), int(found["line"]), found["code"]))
    assert reported, done.stdout + done.stderr
    assert sorted(reported - expected) == [], done.stdout
    assert sorted(expected - reported) == [], done.stdout
