"""The seam between the SDK and SWF: one operation in, one answer or one error out.

Everything the Client and the worker send to SWF goes through an :class:`SwfTransport`.
There are two:

- :class:`AiobotocoreTransport`, over an open aiobotocore SWF client: botocore's whole
  request pipeline (its event hooks, its retries, every setting it has);
- :class:`~swfasync._client.fast_transport.FastSwfTransport`, a lean signed-aiohttp path
  for the operations a worker repeats thousands of times.

Both take the operation's SWF name (``PollForDecisionTask``) and botocore-style
parameters, answer with the dict aiobotocore would return (history events decoded into
wire Structs), and raise what fails in SWF's terms (:func:`errors.translate`), the
original error as ``__cause__``.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore import xform_name

from . import errors


class SwfTransport(Protocol):
    """Sends SWF operations to one endpoint."""

    @property
    def endpoint_url(self) -> str:
        """Where the operations go (for errors and logs)."""
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
