"""The seam between the SDK and SWF: one operation in, one answer or one error out.

Everything the Client and the worker send to SWF goes through an :class:`SwfTransport`.
There are two:

- :class:`AiobotocoreTransport`, over an open aiobotocore SWF client: botocore's whole
  request pipeline (its event hooks, its retries, every setting it has);
- :class:`~swfasync._client.fast_transport.FastSwfTransport`, a lean signed-aiohttp path
  for the operations a worker repeats thousands of times. It sends as the client would
  (proxies, the environment's proxy variables, ``verify`` and CA bundles, client
  certificates, timeouts, credentials and their refresh) or is not used: for a setting it
  cannot honour, :func:`fast_transport` logs one warning naming it and the calls go
  through aiobotocore.

Both take the operation's SWF name (``PollForDecisionTask``) and botocore-style
parameters, answer with the dict aiobotocore would return (history events decoded into
wire Structs), and raise what fails in SWF's terms (:func:`errors.translate`), the
original error as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

import msgspec
from botocore import xform_name

from .._log import get_logger
from .._wire.common import Answer, Request
from . import errors
from .answers import from_botocore
from .fast_transport import FastSwfTransport, FastTransportUnavailable

log = get_logger("swfasync.transport")

# The settings already warned about: each is said once per process.
_warned: set[str] = set()


class SwfTransport(Protocol):
    """Sends SWF operations to one endpoint."""

    @property
    def endpoint_url(self) -> str:
        """Where the operations go (for errors and logs)."""
        ...

    async def send(self, request: Request[Answer]) -> Answer:
        """Send ``request``; its answer, the wire Struct its type names (None for an
        operation that answers nothing, and for a long poll that ended with no task).

        Raises what :meth:`call` raises.
        """
        ...

    async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send ``operation`` (its SWF name) with ``params``; the decoded answer.

        Raises the SDK's error for what fails (``SwfServiceError`` for a fault, which is
        also the botocore ``ClientError``; ``SwfConnectionError``; ``SwfValidationError``
        for parameters the model refuses, before anything is sent).
        """
        ...


class AiobotocoreTransport:
    """An :class:`SwfTransport` over an open aiobotocore SWF client (which its owner
    closes)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.endpoint_url: str = client.meta.endpoint_url
        self._methods: dict[str, Any] = {}

    def _method(self, operation: str) -> Any:
        method = self._methods.get(operation)
        if method is None:
            method = self._methods[operation] = getattr(self.client, xform_name(operation))
        return method

    async def send(self, request: Request[Answer]) -> Answer:
        answer = await self.call(request.operation, msgspec.to_builtins(request))
        result: Answer = from_botocore(request, answer)
        return result

    async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = await self._method(operation)(**params)
        except Exception as error:
            translated = errors.translate(
                error, operation=operation, endpoint=self.endpoint_url, params=params
            )
            if translated is error:
                raise
            raise translated from error
        return answer


async def fast_transport(client: Any, stack: AsyncExitStack) -> FastSwfTransport | None:
    """A :class:`FastSwfTransport` over ``client``, open until ``stack`` closes; None
    (after one warning per setting and process) where the client is configured with
    something it cannot honour."""
    try:
        transport = FastSwfTransport(client)
    except FastTransportUnavailable as unavailable:
        if unavailable.setting not in _warned:
            _warned.add(unavailable.setting)
            log.warning(
                "fast_transport_unavailable",
                setting=unavailable.setting,
                reason=unavailable.reason,
                endpoint=client.meta.endpoint_url,
                using="aiobotocore",
            )
        return None
    return await stack.enter_async_context(transport)


@asynccontextmanager
async def open_transport(client: Any, *, fast: bool = True) -> AsyncIterator[SwfTransport]:
    """The transport for calls over ``client`` while the block runs: the fast one if
    ``fast`` and the client's configuration allows it, else aiobotocore."""
    async with AsyncExitStack() as stack:
        chosen = await fast_transport(client, stack) if fast else None
        yield chosen if chosen is not None else AiobotocoreTransport(client)
