"""The ``swfasync`` command.

Each subcommand lives with the part of the SDK it drives; this module only dispatches, so
the command's startup stays cheap (subcommand modules are imported on use).
"""

from __future__ import annotations

import argparse
import importlib
import sys
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
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``swfasync`` command; returns the process exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
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
