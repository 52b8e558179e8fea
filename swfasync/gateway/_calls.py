"""The gateway's own reads from SWF, made the way the client makes its calls.

The client has no public call for one history event or one list page, and ``Client.raw``
would skip what the gateway needs most: retries bounded by the client's
``retry_timeout`` (so an outage becomes a prompt 503 rather than a hung request), errors
in SWF's terms, and the fast transport for history reads.
"""

from __future__ import annotations

from typing import Any

from .._client.client import Client


async def swf_call(client: Client, operation: str, params: dict[str, Any]) -> Any:
    """``operation`` (an aiobotocore method name) with ``params``, as the client calls."""
    return await client._call(operation, params)
