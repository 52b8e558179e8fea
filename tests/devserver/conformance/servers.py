"""Servers under test, each on a loopback port: the dev server, and moto for comparison.

The dev server runs in a thread with its own event loop, so that blocking clients (boto3, and
the AWS CLI's subprocesses) and the tests' own event loops can all use it at once.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["moto_server", "threaded_dev_server"]

STARTUP_TIMEOUT = 20.0


@contextmanager
def threaded_dev_server(
    lambdas: Mapping[str, Callable[[str | None], Any]] | None = None, **options: Any
) -> Iterator[str]:
    """Run ``DevServer(**options)`` on 127.0.0.1 in a thread; yield its endpoint URL.

    ``lambdas`` are registered as the server's local Lambda functions.
    """
    from swfasync.devserver import DevServer

    ready = threading.Event()
    endpoint: list[str] = []
    failure: list[BaseException] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        async with DevServer(host="127.0.0.1", port=0, **options) as server:
            for name, fn in (lambdas or {}).items():
                server.register_lambda(name, fn)
            endpoint.append(server.endpoint_url)
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            loop.run_until_complete(serve())
            loop.run_until_complete(loop.shutdown_asyncgens())
        except BaseException as exc:
            failure.append(exc)
        finally:
            loop.close()
            ready.set()

    thread = threading.Thread(target=run, name="swfasync-devserver", daemon=True)
    thread.start()
    try:
        if not ready.wait(STARTUP_TIMEOUT) or failure or not endpoint:
            raise RuntimeError(f"the dev server did not start: {failure!r}")
        yield endpoint[0]
    finally:
        if thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
        thread.join(STARTUP_TIMEOUT)
        if failure:
            raise failure[0]


_MOTO_BOUND = re.compile(rb"Running on (http://127\.0\.0\.1:\d+)")


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server as a subprocess on an ephemeral 127.0.0.1 port; yield its endpoint URL.

    A subprocess, not moto's in-process ``ThreadedMotoServer``: importing moto registers
    botocore handlers process-wide, which would put moto between every other test's client
    and its server.
    """
    command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    drain: threading.Thread | None = None
    try:
        assert process.stderr is not None
        seen = b""
        timer = threading.Timer(STARTUP_TIMEOUT, process.kill)
        timer.start()
        try:
            while (match := _MOTO_BOUND.search(seen)) is None:
                line = process.stderr.readline()
                if not line:
                    raise RuntimeError(f"moto_server did not start: {seen.decode()}")
                seen += line
        finally:
            timer.cancel()
        # Keep draining its request log so moto never blocks on a full pipe.
        drain = threading.Thread(target=process.stderr.read, daemon=True)
        drain.start()
        yield match[1].decode()
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drain is not None:
            drain.join(10)
        if process.stderr is not None:
            process.stderr.close()
