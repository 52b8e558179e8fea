"""HTTP/1.1 for the fast transport: POSTs to one endpoint over a pool of kept-alive
connections, on asyncio's protocols.

The fast transport sends thousands of small, identical-looking requests to one endpoint:
a long poll, an answer, a heartbeat. A general-purpose client pays per request for what
this traffic never needs (cookie jars, redirects, request and response objects with
lazily parsed parts, tracing hooks, a timer context per request): measured against the
dev server on loopback, a POST and its answer cost about 130 µs of the event loop's CPU
through aiohttp's ``ClientSession`` and about 45 µs here. That CPU is taken from the host
application's loop, so it is both the worker's throughput and the host's loop lag.

What it does, and no more:

- ``POST`` with the caller's headers (the signed ones) and a body, ``Content-Length``
  framed; answers framed by ``Content-Length``, ``chunked``, or the end of the connection;
- connections kept alive and reused last-in first-out, at most ``limit`` at once (others
  wait for one), closed after ``keepalive_timeout`` idle, after ``Connection: close``, or
  after any request that did not end cleanly (an error, a timeout, a cancelled await);
- TLS with the caller's ``ssl.SSLContext`` (verification, CA bundle, client certificate
  are the context's), the endpoint's host name sent and checked;
- an ``http://`` proxy: absolute-form requests for an ``http://`` endpoint, a ``CONNECT``
  tunnel then TLS for an ``https://`` one, with ``Proxy-Authorization`` from the proxy
  URL's user and password (as botocore and aiohttp send it);
- a connect timeout (the TCP connection, the tunnel and the TLS handshake) and a read
  timeout (the longest silence while an answer is awaited), both ``TimeoutError``.

Failures are the standard library's: ``OSError`` and its subclasses (a refused or reset
connection, a TLS error, ``TimeoutError``), :class:`ProxyRefusedError` when a proxy does
not open a tunnel, and :class:`ProtocolError` (a ``ConnectionError``) for an answer that
is not HTTP/1.x. Nothing is retried here: a request may have reached the server, so the
caller's retry policy decides.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

# An answer's head larger than this is not SWF's (nor a proxy's error page).
MAX_HEAD_BYTES = 64 * 1024


class HttpAnswer(NamedTuple):
    status: int
    # Header names in lower case; a repeated header keeps its last value.
    headers: dict[str, str]
    body: bytes


class ProtocolError(ConnectionError):
    """What came back on the connection is not an HTTP/1.x answer."""


class ProxyRefusedError(ConnectionError):
    """The proxy answered ``CONNECT`` with something other than 200."""

    def __init__(self, proxy: str, status: int) -> None:
        super().__init__(f"proxy {proxy} answered CONNECT with status {status}")
        self.status = status


class _Connection(asyncio.Protocol):
    """One connection and the answer awaited on it (one at a time)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        # Whether the connection may carry another request once this answer is read.
        self.reusable = True
        self.idle_since = 0.0
        self._waiter: asyncio.Future[HttpAnswer] | None = None
        self._buffer = bytearray()
        self._head: tuple[int, dict[str, str]] | None = None  # status, headers
        self._body_length: int | None = None  # None: chunked, or until the connection ends
        self._chunked = False
        # A CONNECT's answer has a head and no body, whatever its headers say.
        self._head_only = False
        self._last_read = 0.0
        self._read_timer: asyncio.TimerHandle | None = None
        self._read_timeout: float | None = None

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._last_read = self.loop.time()
        waiter = self._waiter
        if waiter is None or waiter.done():
            # Bytes nobody asked for: the connection is out of step; never reuse it.
            self.reusable = False
            return
        self._buffer += data
        try:
            answer = self._parse()
        except ProtocolError as error:
            self._finish(error)  # which leaves the connection out of the pool
            return
        if answer is not None:
            self._finish(answer)

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost settles the waiter

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable = False
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        head = self._head
        if head is not None and self._body_length is None and not self._chunked:
            # Framed by the end of the connection: this is the end of the body.
            self._finish(HttpAnswer(*head, bytes(self._buffer)))
            return
        error = ConnectionResetError("the connection closed before the answer was complete")
        if exc is not None:
            error.__cause__ = exc
        self._finish(error)

    # requests

    async def exchange(
        self, request: bytes, read_timeout: float | None, *, head_only: bool = False
    ) -> HttpAnswer:
        """Write ``request`` and wait for its answer."""
        transport = self.transport
        if transport is None or self.closed:
            raise ConnectionResetError("the connection is closed")
        waiter: asyncio.Future[HttpAnswer] = self.loop.create_future()
        self._waiter = waiter
        self._buffer.clear()
        self._head = None
        self._body_length = None
        self._chunked = False
        self._head_only = head_only
        self._last_read = self.loop.time()
        self._read_timeout = read_timeout
        if read_timeout is not None:
            self._read_timer = self.loop.call_at(
                self._last_read + read_timeout, self._check_silence
            )
        transport.write(request)
        try:
            return await waiter
        finally:
            self._waiter = None
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None and not self.closed:
            self.transport.close()

    def _finish(self, outcome: HttpAnswer | BaseException) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if isinstance(outcome, BaseException):
            self.reusable = False
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)

    def _check_silence(self) -> None:
        """The read timeout's timer: one per answer, put off while bytes keep coming
        (cheaper than a timer moved on every read)."""
        self._read_timer = None
        timeout = self._read_timeout
        if self._waiter is None or self._waiter.done() or timeout is None:
            return
        quiet_until = self._last_read + timeout
        if self.loop.time() < quiet_until:
            self._read_timer = self.loop.call_at(quiet_until, self._check_silence)
            return
        self._finish(TimeoutError(f"no answer for {timeout} s (the read timeout)"))
        if self.transport is not None:
            self.transport.abort()

    # answers

    def _parse(self) -> HttpAnswer | None:
        buffer = self._buffer
        if self._head is None:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    raise ProtocolError(f"an answer's head is over {MAX_HEAD_BYTES} bytes")
                return None
            head = _parse_head(bytes(buffer[:end]))
            del buffer[: end + 4]
            status, headers = head
            if 100 <= status < 200 and not self._head_only:
                # An interim answer (100 Continue, 103 Early Hints): the real one follows.
                return self._parse()
            self._head = head
            if headers.get("connection", "").lower() == "close":
                self.reusable = False
            if self._head_only or status in (204, 304):
                return HttpAnswer(status, headers, b"")
            encoding = headers.get("transfer-encoding", "").lower()
            if encoding:
                if encoding.rsplit(",", 1)[-1].strip() != "chunked":
                    raise ProtocolError(f"unsupported Transfer-Encoding {encoding!r}")
                self._chunked = True
            elif "content-length" in headers:
                try:
                    self._body_length = int(headers["content-length"])
                except ValueError:
                    raise ProtocolError(
                        f"Content-Length {headers['content-length']!r} is not a number"
                    ) from None
                if self._body_length < 0:
                    raise ProtocolError(f"Content-Length {self._body_length} is negative")
            else:
                self.reusable = False  # the body ends with the connection
        status, headers = self._head
        if self._chunked:
            body = _dechunk(buffer)
            if body is None:
                return None
            return HttpAnswer(status, headers, body)
        length = self._body_length
        if length is None or len(buffer) < length:
            return None
        if len(buffer) > length:
            raise ProtocolError("more bytes than the answer's Content-Length")
        return HttpAnswer(status, headers, bytes(buffer))


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """(status, headers) of an answer's head."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest.partition(" ")[0]
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise ProtocolError(f"malformed header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    return int(code), headers


def _dechunk(buffer: bytearray) -> bytes | None:
    """The body of a complete chunked answer in ``buffer``; None while it is incomplete."""
    body = bytearray()
    at = 0
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size_text = bytes(buffer[at:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"malformed chunk size {size_text[:20]!r}") from None
        at = line_end + 2
        if size == 0:
            # Trailers, if any, end with an empty line.
            end = buffer.find(b"\r\n\r\n", at - 2)
            if end < 0:
                return None
            if end + 4 != len(buffer):
                raise ProtocolError("bytes after the last chunk")
            return bytes(body)
        if len(buffer) < at + size + 2:
            return None
        body += buffer[at : at + size]
        if buffer[at + size : at + size + 2] != b"\r\n":
            raise ProtocolError("a chunk does not end with CRLF")
        at += size + 2


def _check_header(name: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
        raise ValueError(f"header {name!r} has a line break or a colon where none may be")


class Http11Pool:
    """POSTs to one URL over kept-alive connections.

    ``async with Http11Pool(url, ...) as pool: answer = await pool.post(body, headers)``.
    """

    def __init__(
        self,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        proxy_url: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        limit: int = 10,
        keepalive_timeout: float = 15.0,
        force_close: bool = False,
        fixed_headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http:// or https:// URL: {url!r}")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        if self.tls and ssl_context is None:
            raise ValueError("an https:// URL needs an ssl_context")
        self.ssl_context = ssl_context
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keepalive_timeout = keepalive_timeout
        self.force_close = force_close
        self._proxy: tuple[str, int] | None = None
        self._proxy_authorization: str | None = None
        self._proxy_label = ""
        if proxy_url is not None:
            proxy = urlsplit(proxy_url)
            if proxy.scheme != "http" or not proxy.hostname:
                raise ValueError("only http:// proxies are supported")
            self._proxy = (proxy.hostname, proxy.port or 80)
            self._proxy_label = f"{proxy.hostname}:{self._proxy[1]}"
            if proxy.username is not None:
                user_password = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
                token = base64.b64encode(user_password.encode("latin-1")).decode("ascii")
                self._proxy_authorization = f"Basic {token}"
        path = parts.path or "/"
        # An http:// endpoint through a proxy is asked for by its absolute URL; a tunnel
        # (https://) carries origin-form requests as a direct connection does.
        target = (
            parts._replace(path=path, fragment="").geturl()
            if self._proxy is not None and not self.tls
            else path + (f"?{parts.query}" if parts.query else "")
        )
        fixed = dict(fixed_headers or {})
        if self._proxy is not None and not self.tls and self._proxy_authorization:
            fixed["Proxy-Authorization"] = self._proxy_authorization
        for name, value in fixed.items():
            _check_header(name, value)
        self._request_line = f"POST {target} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in fixed.items()
        )
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None
        self._idle: list[_Connection] = []
        self._closed = False

    async def __aenter__(self) -> Http11Pool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the idle connections; busy ones close as their requests end."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def post(self, body: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        """POST ``body`` with ``headers`` (besides the fixed ones); the answer, whatever
        its status."""
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        parts = [self._request_line]
        for name, value in headers.items():
            _check_header(name, value)
            parts.append(f"{name}: {value}\r\n")
        parts.append(f"Content-Length: {len(body)}\r\n\r\n")
        request = "".join(parts).encode("latin-1") + body
        slots = self._slots
        if slots is not None:
            await slots.acquire()
        try:
            connection = self._idle_connection() or await self._connect()
            try:
                answer = await connection.exchange(request, self.read_timeout)
            except BaseException:
                connection.close()
                raise
            if connection.reusable and not self.force_close and not self._closed:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return answer
        finally:
            if slots is not None:
                slots.release()

    def _idle_connection(self) -> _Connection | None:
        idle = self._idle
        while idle:
            connection = idle.pop()
            expired = time.monotonic() - connection.idle_since > self.keepalive_timeout
            if connection.closed or not connection.reusable or expired:
                connection.close()
                continue
            return connection
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        if self.connect_timeout is None:
            return await self._open(loop)
        try:
            async with asyncio.timeout(self.connect_timeout):
                return await self._open(loop)
        except TimeoutError:
            raise TimeoutError(
                f"no connection to {self._proxy_label or f'{self.host}:{self.port}'} "
                f"within {self.connect_timeout} s (the connect timeout)"
            ) from None

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        if self._proxy is None:
            _, connection = await loop.create_connection(
                lambda: _Connection(loop),
                self.host,
                self.port,
                ssl=self.ssl_context if self.tls else None,
                server_hostname=self.host if self.tls else None,
            )
            return connection
        _, connection = await loop.create_connection(lambda: _Connection(loop), *self._proxy)
        if not self.tls:
            return connection
        try:
            await self._tunnel(loop, connection)
        except BaseException:
            connection.close()
            raise
        return connection

    async def _tunnel(self, loop: asyncio.AbstractEventLoop, connection: _Connection) -> None:
        """CONNECT through the proxy, then TLS to the endpoint inside the tunnel."""
        authority = f"{self.host}:{self.port}"
        if ":" in self.host:
            authority = f"[{self.host}]:{self.port}"
        request = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        if self._proxy_authorization:
            request += f"Proxy-Authorization: {self._proxy_authorization}\r\n"
        answer = await connection.exchange(
            f"{request}\r\n".encode("latin-1"), self.read_timeout, head_only=True
        )
        if answer.status != 200:
            raise ProxyRefusedError(self._proxy_label, answer.status)
        assert connection.transport is not None
        assert self.ssl_context is not None
        tls = await loop.start_tls(
            connection.transport,
            connection,
            self.ssl_context,
            server_hostname=self.host,
        )
        if tls is None:
            raise ConnectionResetError("the tunnel closed during the TLS handshake")
        connection.transport = tls
