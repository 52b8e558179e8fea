"""The swfasync pytest plugin; enable it in your ``conftest.py``::

    pytest_plugins = ["swfasync.pytest_plugin"]

Fixtures: ``workflow_environment``, ``swf_client``, ``activity_environment``.
"""

from __future__ import annotations

from ._testing.pytest_plugin import activity_environment as activity_environment
from ._testing.pytest_plugin import swf_client as swf_client
from ._testing.pytest_plugin import workflow_environment as workflow_environment

__all__ = ("activity_environment", "swf_client", "workflow_environment")
