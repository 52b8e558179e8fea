"""``swfasync dev-server``: run the local SWF endpoint until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import structlog

from ._server import DevServer


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with DevServer(
        host=args.host,
        port=args.port,
        db_path=args.db,
        time_skipping=args.time_skipping,
        long_poll_timeout=args.long_poll_timeout,
        allowed_hosts=args.allow_host,
    ) as server:
        sys.stdout.write(server.endpoint_url + "\n")
        if args.messaging:  # moto's SQS and SNS beside it (swfasync[messaging])
            from ..messaging._local import LocalMessaging

            async with LocalMessaging(prefix="swfasync") as messaging:
                sys.stdout.write(messaging.describe())
                sys.stdout.flush()
                await stop.wait()
                return
        sys.stdout.flush()
        await stop.wait()


def main(argv: list[str]) -> int:
    """Parse ``argv`` and serve; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="swfasync dev-server", description="Run the local SWF-compatible dev server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument(
        "--time-skipping",
        action="store_true",
        help=(
            "jump the clock over time in which no task is scheduled or running, never"
            " onto the timeout of an execution that waits only for a signal"
        ),
    )
    parser.add_argument("--long-poll-timeout", type=float, default=60.0)
    parser.add_argument(
        "--messaging",
        action="store_true",
        help="also run moto's SQS and SNS and create a submission queue, its dead-letter"
        " queue and a status topic; prints them as shell assignments after the endpoint",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "answer requests whose Host header names NAME (besides the bound address and"
            " localhost); repeat it for several, '*' for any"
        ),
    )
    args = parser.parse_args(argv)
    # the command owns its process: logs go to stderr, stdout carries only the endpoint URL
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    asyncio.run(_serve(args))
    return 0
