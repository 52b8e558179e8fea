"""``swfasync gateway MODULE...``: serve the workflows defined in modules over HTTP.

Connection options are those of the other commands (``--endpoint-url`` or
``SWFASYNC_ENDPOINT_URL``, ``--domain`` or ``SWFASYNC_DOMAIN``, the standard AWS
configuration); a call to SWF retries for 5 seconds by default before the gateway answers
429 or 503, since HTTP callers have retries of their own. Callback URLs are verified with
``SWFASYNC_CALLBACK_SECRET`` (comma-separated; the first signs) or ``--callback-secret-file``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

import anyio
import structlog

from ..gateway import DEFAULT_PORT, BearerTokens, Gateway
from .commands import _client, _load_targets, _parser, _run

GATEWAY_RETRY_TIMEOUT = 5.0


def gateway_main(argv: list[str]) -> int:
    """Serve the ``@workflow.defn`` types found at ``module[:attr]`` until SIGINT/SIGTERM."""
    parser = _parser("gateway", "serve workflows over HTTP (start, follow, signal, complete)")
    parser.set_defaults(
        retry_timeout=float(os.environ.get("SWFASYNC_RETRY_TIMEOUT", GATEWAY_RETRY_TIMEOUT))
    )
    parser.epilog = (
        f"Here --retry-timeout defaults to {GATEWAY_RETRY_TIMEOUT:g} seconds (or"
        " SWFASYNC_RETRY_TIMEOUT): past it a request is answered 429 or 503 with Retry-After."
    )
    parser.add_argument("modules", nargs="+", help="module or module:attr (repeatable)")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument(
        "--auth-tokens",
        type=Path,
        metavar="FILE",
        help="bearer tokens, one a line, each optionally followed by the operations it"
        " allows; required to listen beyond loopback",
    )
    parser.add_argument(
        "--callback-secret-file",
        type=Path,
        metavar="FILE",
        help="the callback URL secret(s), one a line (default: SWFASYNC_CALLBACK_SECRET)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    workflows, _ = _load_targets(args.modules)
    if not workflows:
        print("error: no @workflow.defn found in " + " ".join(args.modules), file=sys.stderr)
        return 2
    auth = BearerTokens.from_file(args.auth_tokens) if args.auth_tokens else None
    secrets: list[str] | None = None
    if args.callback_secret_file:
        secrets = [s for s in args.callback_secret_file.read_text().split() if s]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))

    async def go() -> int:
        async with _client(args) as client:
            gateway = Gateway(client, workflows=workflows, auth=auth, callback_secret=secrets)
            gateway.check_listen(args.host)  # before anything is bound
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async with gateway.serve(args.host, args.port) as url:
                    names = ", ".join(gateway.catalog.keys)
                    print(f"gateway listening on {url} (domain {client.domain}): {names}")
                    sys.stdout.flush()
                    async for _ in signals:
                        break
        return 0

    return _run(go)
