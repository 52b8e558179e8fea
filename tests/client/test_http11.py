"""The fast transport's HTTP/1.1 pool against scripted servers on loopback: framing,
connection reuse and closing, timeouts, proxies, and refusals, each over real sockets."""

from __future__ import annotations

import asyncio
import base64
import inspect
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from swfasync._client.http11 import Http11Pool, ProtocolError, ProxyRefusedError

# What a scripted server answers to one request (its head and body): the bytes to send,
# or None to stay silent; or, awaited, the bytes.
Script = Callable[[bytes, bytes], bytes | Awaitable[bytes] | None]


@dataclass
class Server:
    port: int
    requests: list[tuple[bytes, bytes]] = field(default_factory=list)
    connections: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def answer(body: bytes = b"{}", status: str = "200 OK", *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return head, await reader.readexactly(length)


@asynccontextmanager
async def scripted(script: Script, *, close_after: bool = False) -> AsyncIterator[Server]:
    server = Server(0)

    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.connections += 1
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            while True:
                head, body = await read_request(reader)
                server.requests.append((head, body))
                reply = script(head, body)
                if inspect.isawaitable(reply):
                    reply = await reply
                if reply is None:
                    await asyncio.sleep(3600)
                writer.write(reply or b"")
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    async with listener:
        try:
            yield server
        finally:
            # Connections the client left open (Python 3.11's server does not end them).
            for handler in handlers:
                handler.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)


HEADERS = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "Service.Op"}


async def test_an_answer_framed_by_content_length_is_read_and_the_connection_reused() -> None:
    async with (
        scripted(lambda head, body: answer(b'{"echo":' + body + b"}")) as server,
        Http11Pool(server.url, fixed_headers={"User-Agent": "ua"}) as pool,
    ):
        first = await pool.post(b"1", HEADERS)
        second = await pool.post(b"2", HEADERS)
    assert (first.status, first.body, second.body) == (200, b'{"echo":1}', b'{"echo":2}')
    assert first.headers["content-length"] == "10"
    assert server.connections == 1
    head = server.requests[0][0].decode()
    assert head.startswith("POST / HTTP/1.1\r\n")
    assert "User-Agent: ua\r\n" in head
    assert "X-Amz-Target: Service.Op\r\n" in head
    assert "Content-Length: 1\r\n" in head


async def test_a_chunked_answer_is_joined() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\nTrailer: x\r\n\r\n'
    )
    async with scripted(lambda head, body: chunked) as server, Http11Pool(server.url) as pool:
        first = await pool.post(b"", HEADERS)
        second = await pool.post(b"", HEADERS)
    assert first.body == second.body == b'{"a":1}'
    assert server.connections == 1


async def test_an_answer_ended_by_the_connection_closing_is_complete() -> None:
    async with (
        scripted(
            lambda head, body: b"HTTP/1.0 503 Busy\r\n\r\n<html>busy</html>", close_after=True
        ) as server,
        Http11Pool(server.url) as pool,
    ):
        first = await pool.post(b"", HEADERS)
        second = await pool.post(b"", HEADERS)
    assert (first.status, first.body) == (503, b"<html>busy</html>")
    assert second.body == first.body
    assert server.connections == 2


async def test_connection_close_is_honoured() -> None:
    async with (
        scripted(lambda head, body: answer(b"{}", "200 OK", "Connection: close")) as server,
        Http11Pool(server.url) as pool,
    ):
        await pool.post(b"", HEADERS)
        await pool.post(b"", HEADERS)
    assert server.connections == 2


async def test_a_connection_idle_past_the_keepalive_timeout_is_not_reused() -> None:
    async with (
        scripted(lambda head, body: answer()) as server,
        Http11Pool(server.url, keepalive_timeout=0.05) as pool,
    ):
        await pool.post(b"", HEADERS)
        await asyncio.sleep(0.1)
        await pool.post(b"", HEADERS)
    assert server.connections == 2


async def test_force_close_opens_a_connection_per_request() -> None:
    async with (
        scripted(lambda head, body: answer()) as server,
        Http11Pool(server.url, force_close=True) as pool,
    ):
        await pool.post(b"", HEADERS)
        await pool.post(b"", HEADERS)
    assert server.connections == 2


async def test_a_silent_server_is_a_timeout_and_its_connection_is_dropped() -> None:
    replies = iter([None, answer()])
    async with (
        scripted(lambda head, body: next(replies)) as server,
        Http11Pool(server.url, read_timeout=0.2) as pool,
    ):
        with pytest.raises(TimeoutError, match="read timeout"):
            await pool.post(b"", HEADERS)
        assert (await pool.post(b"", HEADERS)).status == 200
    assert server.connections == 2


async def test_a_slow_but_steady_answer_is_not_cut_by_the_read_timeout() -> None:
    """The read timeout is the longest silence, not the time the whole answer takes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
        for byte in b'{"a":}':
            await asyncio.sleep(0.1)
            writer.write(bytes([byte]))
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with listener, Http11Pool(f"http://127.0.0.1:{port}/", read_timeout=0.3) as pool:
        assert (await pool.post(b"", HEADERS)).body == b'{"a":}'


async def test_a_cancelled_request_does_not_leave_its_connection_in_the_pool() -> None:
    replies = iter([None, answer()])
    async with (
        scripted(lambda head, body: next(replies)) as server,
        Http11Pool(server.url) as pool,
    ):
        waiting = asyncio.ensure_future(pool.post(b"", HEADERS))
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert (await pool.post(b"", HEADERS)).status == 200
    assert server.connections == 2


async def test_the_limit_makes_requests_wait_for_a_connection() -> None:
    release = asyncio.Event()

    async def held(head: bytes, body: bytes) -> bytes:
        await release.wait()
        return answer()

    async with scripted(held) as server, Http11Pool(server.url, limit=1) as pool:
        first = asyncio.ensure_future(pool.post(b"", HEADERS))
        second = asyncio.ensure_future(pool.post(b"", HEADERS))
        await asyncio.sleep(0.1)
        assert len(server.requests) == 1  # the second waits for the one connection
        release.set()
        assert [a.status for a in await asyncio.gather(first, second)] == [200, 200]
    assert server.connections == 1


@pytest.mark.parametrize(
    ("reply", "complaint"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "is not a number"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n{}", "more bytes than"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk"),
    ],
)
async def test_an_answer_that_is_not_http_is_a_protocol_error(reply: bytes, complaint: str) -> None:
    async with (
        scripted(lambda head, body: reply) as server,
        Http11Pool(server.url) as pool,
    ):
        with pytest.raises(ProtocolError, match=complaint):
            await pool.post(b"", HEADERS)


async def test_a_connection_closed_before_the_answer_is_a_connection_error() -> None:
    async with (
        scripted(
            lambda head, body: b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{", close_after=True
        ) as server,
        Http11Pool(server.url) as pool,
    ):
        with pytest.raises(ConnectionResetError, match="before the answer was complete"):
            await pool.post(b"", HEADERS)


async def test_a_refused_connection_is_an_os_error() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    async with Http11Pool(f"http://127.0.0.1:{port}/", connect_timeout=2) as pool:
        with pytest.raises(ConnectionRefusedError):
            await pool.post(b"", HEADERS)


async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent() -> None:
    async with scripted(lambda head, body: answer()) as server, Http11Pool(server.url) as pool:
        with pytest.raises(ValueError, match="line break"):
            await pool.post(b"", {"X-Amz-Security-Token": "abc\r\nX-Evil: 1"})
    assert server.requests == []


async def test_an_http_endpoint_through_a_proxy_is_asked_for_by_its_absolute_url() -> None:
    async with (
        scripted(lambda head, body: answer()) as proxy,
        Http11Pool(
            "http://swf.example:8080/path",
            proxy_url=f"http://user:p%40ss@127.0.0.1:{proxy.port}",
        ) as pool,
    ):
        assert (await pool.post(b"{}", HEADERS)).status == 200
    head = proxy.requests[0][0].decode()
    assert head.startswith("POST http://swf.example:8080/path HTTP/1.1\r\n")
    credentials = base64.b64encode(b"user:p@ss").decode()
    assert f"Proxy-Authorization: Basic {credentials}\r\n" in head


async def test_a_proxy_that_refuses_the_tunnel_is_named() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    seen: list[bytes] = []
    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    async with (
        listener,
        Http11Pool(
            "https://swf.example/",
            ssl_context=ssl.create_default_context(),
            proxy_url=f"http://127.0.0.1:{port}",
        ) as pool,
    ):
        with pytest.raises(ProxyRefusedError) as refused:
            await pool.post(b"", HEADERS)
    assert refused.value.status == 407
    assert f"127.0.0.1:{port}" in str(refused.value)
    assert seen[0].startswith(b"CONNECT swf.example:443 HTTP/1.1\r\nHost: swf.example:443\r\n")


def test_what_cannot_be_sent_is_refused_when_the_pool_is_made() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Http11Pool("ftp://host/")
    with pytest.raises(ValueError, match="needs an ssl_context"):
        Http11Pool("https://host/")
    with pytest.raises(ValueError, match="only http:// proxies"):
        Http11Pool("http://host/", proxy_url="https://proxy:3128")


async def test_an_interim_answer_is_skipped_for_the_one_that_follows() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b'{"a":1}')
    async with scripted(lambda head, body: interim) as server, Http11Pool(server.url) as pool:
        got = await pool.post(b"", HEADERS)
    assert (got.status, got.body) == (200, b'{"a":1}')
