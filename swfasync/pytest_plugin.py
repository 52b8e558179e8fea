"""The swfasync pytest plugin: installing swfasync registers it (a ``pytest11`` entry point
named ``swfasync.pytest_plugin``), so its fixtures need no set-up.

Fixtures: ``workflow_environment``, ``swf_client``, ``activity_environment``, and for
``swfasync.messaging`` ``messaging_environment`` and ``moto_server``. Turn the
plugin off with ``-p no:swfasync.pytest_plugin``.
"""

from __future__ import annotations

from ._testing.pytest_plugin import activity_environment as activity_environment
from ._testing.pytest_plugin import messaging_environment as messaging_environment
from ._testing.pytest_plugin import moto_server as moto_server
from ._testing.pytest_plugin import swf_client as swf_client
from ._testing.pytest_plugin import workflow_environment as workflow_environment

__all__ = (
    "activity_environment",
    "messaging_environment",
    "moto_server",
    "swf_client",
    "workflow_environment",
)
