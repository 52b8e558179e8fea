"""A local, SWF-compatible server: the embedded default backend of swfasync.

Example:
    from swfasync.devserver import DevServer

    async with DevServer() as server:
        print(server.endpoint_url)
"""

from ._clock import Clock as Clock
from ._clock import ManualClock as ManualClock
from ._clock import SystemClock as SystemClock
from ._server import DevServer as DevServer

__all__ = ("Clock", "DevServer", "ManualClock", "SystemClock")
