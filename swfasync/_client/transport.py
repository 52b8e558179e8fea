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

Both take a generated request Struct (``api.PollForDecisionTaskInput(...)``, which names
its operation), answer with the Struct its type names (:mod:`.answers`: None for an
operation that answers nothing and for a long poll that ended with no task), and raise
what fails in SWF's terms (:func:`errors.translate`), the original error as ``__cause__``.

Before anything is sent, both check the request against botocore's model and SWF's rules
as generated into its Struct (:func:`~swfasync._wire.validation.check_request`): a request
SWF would refuse raises :class:`~swfasync.exceptions.SwfValidationError` naming the
member's path on the wire, its value, the rule, the size and the limit, the same on both
paths. A client made with ``parameter_validation=False`` (a ``Config`` or a profile) sends
its requests unchecked on both paths, for SWF to judge (:func:`validates_parameters`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, Protocol

import msgspec
from botocore import xform_name

from .._log import get_logger
from .._wire.common import Answer, Request
from .._wire.validation import check_request
from . import errors
from .answers import from_botocore
from .connection import origin_of
from .fast_transport import FastSwfTransport, FastTransportUnavailable, validates_parameters

log = get_logger("swfasync.transport")

# The settings already warned about: each is said once per process.
_warned: set[str] = set()


class SwfTransport(Protocol):
    """Sends SWF requests to one endpoint."""

    @property
    def endpoint_url(self) -> str:
        """Where the requests go (for errors and logs)."""
        ...

    async def send(self, request: Request[Answer]) -> Answer:
        """Send ``request``; its answer, the wire Struct its type names (None for an
        operation that answers nothing, and for a long poll that ended with no task).

        Raises the SDK's error for what fails: ``SwfValidationError`` for a request SWF's
        model or rules refuse, before anything is sent; ``SwfServiceError`` for a fault
        (also the botocore ``ClientError``); ``SwfConnectionError``.
        """
        ...


class AiobotocoreTransport:
    """An :class:`SwfTransport` over an open aiobotocore SWF client (which its owner
    closes)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.endpoint_url: str = client.meta.endpoint_url
        origin = origin_of(client)
        self.validates_parameters = (
            validates_parameters(origin)
            if origin is not None
            else bool(getattr(client.meta.config, "parameter_validation", True))
        )
        self._methods: dict[str, Any] = {}

    def _method(self, operation: str) -> Any:
        method = self._methods.get(operation)
        if method is None:
            method = self._methods[operation] = getattr(self.client, xform_name(operation))
        return method

    async def send(self, request: Request[Answer]) -> Answer:
        if self.validates_parameters:
            check_request(request)
        params = msgspec.to_builtins(request)
        try:
            answer: dict[str, Any] = await self._method(request.operation)(**params)
            result: Answer = from_botocore(request, answer)
        except Exception as error:
            translated = errors.translate(
                error, operation=request.operation, endpoint=self.endpoint_url, request=request
            )
            if translated is error:
                raise
            raise translated from error
        return result


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
