"""The ``swfasync`` command.

Each subcommand lives with the part of the SDK it drives; this module only dispatches, so
the command's startup stays cheap (subcommand modules are imported on use).

Whatever a subcommand raises ends here: an error prints one line on stderr (``error:``
and what happened, in SWF's terms) and the command exits with status 1; ``--debug``
anywhere on the command line (or ``SWFASYNC_DEBUG=1``) prints the traceback as well. A
reader that goes away (``swfasync history ID --json | head``) ends the command quietly
with status 141, as a process killed by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence

# subcommand -> (module, function taking argv, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "dev-server": ("swfasync.devserver._cli", "main", "run the local SWF-compatible dev server"),
    "demo": ("swfasync._demo", "main", "run the end-to-end demo on the embedded dev server"),
    "worker": ("swfasync._cli.commands", "worker_main", "run a worker for module:attr targets"),
    "start": ("swfasync._cli.commands", "start_main", "start a workflow (--follow to stream)"),
    "signal": ("swfasync._cli.commands", "signal_main", "signal a workflow execution"),
    "cancel": ("swfasync._cli.commands", "cancel_main", "request cancellation of an execution"),
    "terminate": ("swfasync._cli.commands", "terminate_main", "terminate an execution"),
    "describe": ("swfasync._cli.commands", "describe_main", "describe an execution (JSON)"),
    "history": ("swfasync._cli.commands", "history_main", "an execution's history (--json)"),
    "list": ("swfasync._cli.commands", "list_main", "list open or closed executions"),
    "replay": ("swfasync._cli.commands", "replay_main", "replay a history file against code"),
    "gateway": ("swfasync._cli.gateway", "gateway_main", "serve workflows over HTTP"),
    "sqs-consumer": (
        "swfasync._cli.messaging",
        "sqs_consumer_main",
        "start workflows from SQS messages (poison messages to a DLQ)",
    ),
    "notifier": ("swfasync._cli.messaging", "notifier_main", "publish status changes to SNS"),
}


DEBUG_FLAG = "--debug"
EXIT_ERROR = 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader left
EXIT_INTERRUPTED = 130  # 128 + SIGINT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``swfasync`` command; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args or os.environ.get("SWFASYNC_DEBUG", "") not in ("", "0")
    args = [arg for arg in args if arg != DEBUG_FLAG]
    try:
        return _dispatch(args)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:
        report(error, debug=debug)
        return EXIT_ERROR


def report(error: BaseException, *, debug: bool) -> None:
    """One line on stderr naming the error; its traceback first when ``debug``."""
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    from .exceptions import SwfAsyncError

    lines = str(error).strip().splitlines() or [""]
    text = lines[0] if isinstance(error, SwfAsyncError) else f"{type(error).__name__}: {lines[0]}"
    more = "" if debug or len(lines) == 1 else " (--debug shows the rest)"
    with contextlib.suppress(BrokenPipeError):
        print(f"error: {text}{more}", file=sys.stderr, flush=True)


def _silence_stdout() -> None:
    # The reader is gone: what is still buffered for stdout would fail again when Python
    # flushes it at exit, so stdout now goes nowhere.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _dispatch(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="swfasync", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, _, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not args or args[0] not in SUBCOMMANDS:
        parser.parse_args(args)  # prints usage or the unknown-command error
        parser.print_help()
        return 2
    module_name, function_name, _ = SUBCOMMANDS[args[0]]
    run: Callable[[list[str]], int] = getattr(importlib.import_module(module_name), function_name)
    return run(args[1:])


if __name__ == "__main__":
    sys.exit(main())
