"""``swfasync sqs-consumer`` and ``swfasync notifier``: the messaging part as services.

SWF is configured as for the other commands (``--endpoint-url``/``SWFASYNC_ENDPOINT_URL``,
``--domain``/``SWFASYNC_DOMAIN``, ``--region``). SQS and SNS follow the standard AWS
configuration, ``AWS_ENDPOINT_URL_SQS`` and ``AWS_ENDPOINT_URL_SNS`` included; when those
point at this machine (moto's server from ``swfasync dev-server --messaging``) and no
credentials are configured, placeholders are filled in, as for the dev server.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import anyio
import structlog

from ..exceptions import SwfAsyncError
from .commands import _client, _load_targets, _parser

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def aws_options(service: str) -> dict[str, Any]:
    """Placeholder credentials and region for a loopback SQS/SNS endpoint, when the
    environment configures none; nothing otherwise (botocore reads the rest itself)."""
    url = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get(
        "AWS_ENDPOINT_URL"
    )
    if not url or urlsplit(url).hostname not in _LOOPBACK:
        return {}
    options: dict[str, Any] = {}
    if not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
        options.update(aws_access_key_id="local", aws_secret_access_key="local")
    if not os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
        options["region_name"] = "us-east-1"
    return options


def _load(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise SystemExit(f"error: {spec!r} must name module:attribute")
    return getattr(importlib.import_module(module_name), attr)


def _serve(
    args: argparse.Namespace, service: Callable[[Any], AbstractAsyncContextManager[Any]]
) -> int:
    """Run ``service(client)`` until SIGINT or SIGTERM, then let it stop gracefully."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))

    async def go() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with _client(args) as client, service(client):
                async for _ in signals:
                    return

    try:
        anyio.run(go)
    except SwfAsyncError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def sqs_consumer_main(argv: list[str]) -> int:
    """Start workflows from the messages of an SQS queue (poison messages to the DLQ)."""
    parser = _parser("sqs-consumer", "start workflows from the messages on an SQS queue")
    parser.add_argument("targets", nargs="+", metavar="MODULE", help="module or module:attr")
    parser.add_argument("--queue-url", required=True, help="the submission queue")
    parser.add_argument("--dlq-url", required=True, help="its dead-letter queue")
    parser.add_argument("--max-concurrency", type=int, default=10)
    parser.add_argument("--visibility-timeout", type=int, default=30, metavar="SECONDS")
    parser.add_argument(
        "--wait-time",
        type=int,
        default=20,
        metavar="SECONDS",
        help="long poll (at most 20); a stop waits for the polls in flight",
    )
    parser.add_argument(
        "--schema", help="module:Struct of your own message schema (default: the Submission)"
    )
    parser.add_argument(
        "--mapping", help="module:function mapping a decoded message to a StartRequest"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    workflows, _ = _load_targets(args.targets)
    if not workflows:
        print("error: no @workflow.defn found in " + " ".join(args.targets), file=sys.stderr)
        return 2
    from ..messaging import SqsSubmissions, Submission

    options: dict[str, Any] = {}
    if args.schema:
        options["schema"] = _load(args.schema)
    if args.mapping:
        options["mapping"] = _load(args.mapping)
    if options.get("schema", Submission) is not Submission and "mapping" not in options:
        parser.error("--schema needs --mapping")

    def service(client: Any) -> SqsSubmissions:
        return SqsSubmissions(
            client,
            args.queue_url,
            args.dlq_url,
            workflows=workflows,
            max_concurrency=args.max_concurrency,
            visibility_timeout=args.visibility_timeout,
            wait_time=args.wait_time,
            sqs_options=aws_options("sqs"),
            **options,
        )

    return _serve(args, service)


def notifier_main(argv: list[str]) -> int:
    """Publish the status changes of the domain's executions to an SNS topic."""
    parser = _parser("notifier", "publish workflow status changes to an SNS topic")
    parser.add_argument("--topic-arn", required=True)
    parser.add_argument(
        "--ledger",
        default="swfasync-notifier.sqlite3",
        help="SQLite file recording what was published (default: %(default)s)",
    )
    parser.add_argument("--interval", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument(
        "--overlap",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="closed runs listed again on every scan, for SWF's listings to settle",
    )
    parser.add_argument(
        "--since",
        type=datetime.fromisoformat,
        help="follow runs started from this ISO time (default: when the ledger was created)",
    )
    args = parser.parse_args(argv)
    from ..messaging import StatusNotifier

    def service(client: Any) -> StatusNotifier:
        return StatusNotifier(
            client,
            args.topic_arn,
            ledger=args.ledger,
            interval=args.interval,
            overlap=args.overlap,
            since=args.since,
            sns_options=aws_options("sns"),
        )

    return _serve(args, service)
