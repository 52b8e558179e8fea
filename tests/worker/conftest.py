"""Every worker test starts from structlog's defaults.

Tests read the worker's events with ``structlog.testing.capture_logs()``, which replaces
structlog's processors but keeps its wrapper class: a level filter configured by an
earlier test in the same process (the command-line programs' ``main()`` configures one
for its process) would hide the debug events these tests read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def structlog_defaults() -> Iterator[None]:
    previous = structlog.get_config()
    was_configured = structlog.is_configured()
    structlog.reset_defaults()
    try:
        yield
    finally:
        structlog.reset_defaults()
        if was_configured:
            structlog.configure(**previous)
