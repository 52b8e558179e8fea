"""The pytest plugin loads in any pytest: in a fresh virtual environment holding pytest,
swfasync and swfasync's own dependencies, and no pytest-asyncio, pytest runs as usual, the
sync fixture works, and a test asking for an async fixture fails saying what it needs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import venv
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from swfasync._testing.pytest_plugin import NEEDS_PYTEST_ASYNCIO


def _closure(*names: str) -> list[metadata.Distribution]:
    """The installed distributions ``names`` need to run, extras left out."""
    environment = {**default_environment(), "extra": ""}
    found: dict[str, metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = re.sub(r"[-_.]+", "-", pending.pop()).lower()
        if name in found:
            continue
        dist = found[name] = metadata.distribution(name)
        for line in dist.requires or ():
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or marker.evaluate(environment):  # type: ignore[arg-type]
                pending.append(requirement.name)
    return list(found.values())


def _install_by_link(dists: list[metadata.Distribution], site_packages: Path) -> None:
    """Link each distribution's top-level files into ``site_packages`` (no network, no
    build: the same files pip put in this test's own environment)."""
    for dist in dists:
        origin = Path(str(dist.locate_file("")))
        for top in {Path(str(file)).parts[0] for file in dist.files or ()}:
            source, target = origin / top, site_packages / top
            if top.startswith("..") or target.exists() or not source.exists():
                continue
            target.symlink_to(source)


TESTS = textwrap.dedent(
    """
    def test_the_sync_fixture_works(activity_environment):
        assert activity_environment.info.activity_id == "test-activity"

    def test_an_async_fixture_says_what_it_needs(workflow_environment):
        raise AssertionError("never reached")

    def test_pytest_itself_is_untouched():
        assert 1 + 1 == 2
    """
)


def test_the_plugin_loads_without_pytest_asyncio(tmp_path: Path) -> None:
    home = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False, symlinks=True).create(home)
    python = home / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    dists = _closure("pytest", "swfasync")
    assert "pytest-asyncio" not in {d.metadata["Name"].lower() for d in dists}
    _install_by_link(dists, site_packages)
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_uses_fixtures.py").write_text(TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "PYTHON"))}
    # The linked packages are this checkout's own directories: bytecode that Python or
    # pytest's assertion rewriting (which covers a plugin's whole distribution) compiled
    # there would name this venv's paths, and a later run here would load it, with
    # tracebacks into a directory that no longer exists.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rE", project],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "No module named 'pytest_asyncio'" not in output
    check = subprocess.run(
        [python, "-c", "import pytest_asyncio"], capture_output=True, env=env, check=False
    )
    assert check.returncode != 0  # the environment really has no pytest-asyncio
    assert done.returncode == 1, output  # a test failed; pytest itself did not (3, 4)
    assert "2 passed, 1 error" in output, output
    assert NEEDS_PYTEST_ASYNCIO.format(name="workflow_environment") in output
    assert sys.prefix not in site_packages.as_posix()
