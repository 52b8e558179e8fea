"""The client's way to SWF: its connections, the transport each operation takes, and one
request sent with the client's retries.

A client opens two aiobotocore clients on one configuration. ``raw`` is plain aiobotocore
for callers who want it, botocore's retries included. The client's own calls go over the
other one, whose botocore retries are off: :func:`~.connection.call_swf` retries them
under the client's ``retry_timeout``, and botocore's retry quota, shared by every call
of a client, would otherwise give up on a long outage that the deadline allows for.

The operations a service repeats (starts and signals, from a gateway or a queue), and the
ones a waiting ``result()`` or a callback repeats, go by the fast transport (the same
signed JSON over its own connections, a fraction of aiobotocore's cost) where the
configuration allows it; everything else, and everything of a client given ``swf=``, by
aiobotocore.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any, Final

from botocore.config import Config
from botocore.exceptions import BotoCoreError

from .._wire.common import Answer, Request
from ..exceptions import ClientClosedError, ConfigurationError
from .connection import call_swf, create_swf_client, make_config
from .transport import AiobotocoreTransport, SwfTransport, fast_transport

# The calls that go by the fast transport: a service starts and signals executions all
# day, a waiting result() reads the history's last event again and again, and the gateway
# looks up an id's open run for each wait by name.
FAST_OPERATIONS: Final = frozenset(
    {
        "StartWorkflowExecution",
        "SignalWorkflowExecution",
        "GetWorkflowExecutionHistory",
        "RespondActivityTaskCompleted",
        "RespondActivityTaskFailed",
        "RespondActivityTaskCanceled",
        "RecordActivityTaskHeartbeat",
        "ListOpenWorkflowExecutions",
    }
)
# botocore tries each of the client's own calls once; call_swf does the retrying.
SDK_RETRIES: Final[Any] = {"mode": "standard", "total_max_attempts": 1}


class Channel:
    """The connections of one client, opened by :meth:`open`, or the aiobotocore client
    it was given (``swf``), which its owner closes."""

    def __init__(self, domain: str, options: dict[str, Any], swf: Any = None) -> None:
        self.domain = domain
        self._options = options
        self._swf: Any = swf
        # The connection the client's own calls use (botocore's retries off).
        self._calls: Any = swf
        self._stack: AsyncExitStack | None = None
        self._plain: AiobotocoreTransport | None = None
        self._fast: SwfTransport | None = None
        self._fast_refused = False
        self._fast_stack = AsyncExitStack()

    async def open(self) -> None:
        """Open both connections, unless the channel was given one."""
        if self._swf is not None:
            return
        stack = AsyncExitStack()
        try:
            self._swf = await self._connect(stack, self._options)
            config = self._options["config"] or make_config()
            calls = {**self._options, "config": config.merge(Config(retries=SDK_RETRIES))}
            self._calls = await self._connect(stack, calls)
        except BaseException:
            self._swf = self._calls = None
            await stack.aclose()
            raise
        self._stack = stack

    async def _connect(self, stack: AsyncExitStack, options: dict[str, Any]) -> Any:
        try:
            return await stack.enter_async_context(create_swf_client(**options))
        except (BotoCoreError, ValueError) as error:  # an endpoint URL, a region, a profile
            raise ConfigurationError(
                f"cannot set up an SWF client for domain {self.domain}: {error}"
            ) from error

    async def aclose(self) -> None:
        """Close what :meth:`open` opened, and the fast transport."""
        fast, self._fast_stack = self._fast_stack, AsyncExitStack()
        self._fast = self._plain = None
        await fast.aclose()
        if self._stack is not None:
            stack, self._stack = self._stack, None
            self._swf = self._calls = None
            await stack.aclose()

    @property
    def raw(self) -> Any:
        """The aiobotocore client with botocore's own retries (``Client.raw``)."""
        if self._swf is None:
            raise ClientClosedError("the client is not open: use `async with Client(...)`")
        return self._swf

    async def send(self, request: Request[Answer], *, retry_for: float | None) -> Answer:
        """``request``'s answer, retried for ``retry_for`` seconds (None: until
        cancelled), what fails raised in SWF's terms."""
        swf = self._calls if self._calls is not None else self.raw
        transport = await self._transport(swf, request.operation)

        async def send() -> Answer:
            return await transport.send(request)

        return await call_swf(send, request, endpoint=swf.meta.endpoint_url, retry_for=retry_for)

    async def _transport(self, swf: Any, operation: str) -> SwfTransport:
        """The transport for ``operation`` (its SWF name) over ``swf``."""
        plain = self._plain
        if plain is None or plain.client is not swf:
            plain = self._plain = AiobotocoreTransport(swf)
        if operation in FAST_OPERATIONS and self._stack is not None:  # a connection of its own
            fast = await self._fast_transport(swf)
            if fast is not None:
                return fast
        return plain

    async def _fast_transport(self, swf: Any) -> SwfTransport | None:
        """The fast transport, opened on first use on the client's own connection;
        None where the client's configuration does not allow it."""
        if self._fast is None and not self._fast_refused:
            self._fast = await fast_transport(swf, self._fast_stack)
            self._fast_refused = self._fast is None
        return self._fast
