"""The gateway's own reads from SWF, sent the way the client sends its calls.

The client has no public call for one history event or one list page, and ``Client.raw``
would skip what the gateway needs most: retries bounded by the client's
``retry_timeout`` (so an outage becomes a prompt 503 rather than a hung request), errors
in SWF's terms, and the fast transport for history reads. The gateway builds the
generated request Structs and reads their answers' attributes, as the client does.
"""

from __future__ import annotations

from .._client.client import Client
from .._wire.common import Answer, Request


async def send(client: Client, request: Request[Answer]) -> Answer:
    """``request``'s answer, sent through ``client`` with its retries and transports."""
    return await client._send(request)
