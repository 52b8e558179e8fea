"""``swfasync worker|start|signal|cancel|terminate|describe|history|list|replay``.

Connection options come first in every subcommand: ``--endpoint-url`` (or
``SWFASYNC_ENDPOINT_URL``; leave it out for Amazon SWF), ``--domain`` (or
``SWFASYNC_DOMAIN``), ``--region``; credentials follow the standard AWS configuration, with
placeholders filled in for a local endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import msgspec
import structlog

from .._client.client import DEFAULT_RETRY_TIMEOUT, Client, IdReusePolicy
from .._client.handle import WorkflowHandle
from .._client.timeline import format_event, format_timeline
from .._engine.definitions import ACTIVITY_ATTR, WORKFLOW_ATTR
from .._worker.worker import Worker
from ..exceptions import SwfValidationError
from . import payloads


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"swfasync {prog}", description=description)
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("SWFASYNC_ENDPOINT_URL"),
        help="SWF endpoint (e.g. the dev server's http://127.0.0.1:8080); default Amazon SWF",
    )
    parser.add_argument("--domain", default=os.environ.get("SWFASYNC_DOMAIN", "default"))
    parser.add_argument("--region", default=None, help="AWS region (default: AWS config)")
    parser.add_argument(
        "--retry-timeout",
        type=float,
        default=float(os.environ.get("SWFASYNC_RETRY_TIMEOUT", DEFAULT_RETRY_TIMEOUT)),
        metavar="SECONDS",
        help="how long a call to SWF keeps retrying connection failures, throttling and"
        f" 5xx answers (default {DEFAULT_RETRY_TIMEOUT:g})",
    )
    return parser


def _client(args: argparse.Namespace) -> Client:
    url: str | None = args.endpoint_url
    retry = args.retry_timeout
    if url and ("127.0.0.1" in url or "localhost" in url):
        return Client.local(
            url, args.domain, region_name=args.region or "us-east-1", retry_timeout=retry
        )
    return Client(args.domain, endpoint_url=url, region_name=args.region, retry_timeout=retry)


def _run(fn: Callable[[], Coroutine[Any, Any, int]]) -> int:
    # Errors end in ``swfasync.cli.main``: one line on stderr, status 1.
    return asyncio.run(fn())


def _json_arguments(option: str, text: str) -> list[Any]:
    try:
        values = json.loads(text)
    except ValueError as error:
        raise SwfValidationError(
            option, text, "json", f"{option} is not JSON ({error}): {text[:60]!r}"
        ) from None
    return values if isinstance(values, list) else [values]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=_json_default))


def _load_targets(specs: Sequence[str]) -> tuple[list[Any], list[Any]]:
    workflows: list[Any] = []
    activities: list[Any] = []
    for spec in specs:
        module_name, _, attr = spec.partition(":")
        module = importlib.import_module(module_name)
        found = [getattr(module, attr)] if attr else list(vars(module).values())
        for obj in found:
            items = obj if isinstance(obj, list | tuple) else [obj]
            for item in items:
                if hasattr(item, WORKFLOW_ATTR) and item not in workflows:
                    workflows.append(item)
                elif hasattr(item, ACTIVITY_ATTR) and item not in activities:
                    activities.append(item)
    return workflows, activities


def _add_fail_on(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fail-on",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="an exception type that, raised by workflow code, fails the execution instead of "
        "its decision task (the worker's workflow_failure_exception_types; repeatable)",
    )


def _fail_on_types(parser: argparse.ArgumentParser, specs: Sequence[str]) -> list[type[Any]]:
    """The exception classes ``--fail-on`` names; a usage error naming the spec that is
    not one."""
    types: list[type[Any]] = []
    for spec in specs:
        module_name, colon, attr = spec.partition(":")
        if not colon or not module_name or not attr:
            parser.error(f"--fail-on {spec!r}: give MODULE:CLASS (builtins:LookupError)")
        try:
            found = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            parser.error(f"--fail-on {spec!r}: {error}")
        if not (isinstance(found, type) and issubclass(found, BaseException)):
            parser.error(f"--fail-on {spec!r} is {found!r}, not an exception class")
        types.append(found)
    return types


def worker_main(argv: list[str]) -> int:
    """Run a worker for the workflows and activities found at ``module[:attr]``."""
    parser = _parser("worker", "poll a task list and run workflows and activities")
    parser.add_argument("targets", nargs="+", help="module or module:attr (repeatable)")
    parser.add_argument("--task-list", required=True)
    parser.add_argument("--decision-pollers", type=int, default=2)
    parser.add_argument("--activity-pollers", type=int, default=2)
    parser.add_argument("--max-concurrent-activities", type=int, default=100)
    parser.add_argument("--shutdown-grace", type=float, default=10.0)
    parser.add_argument(
        "--sticky-schedule-to-start-timeout",
        type=int,
        default=5,
        metavar="SECONDS",
        help="how long a run's next decision waits for this process before it goes back to"
        " the shared task list (after a restart, runs wait this long once)",
    )
    _add_fail_on(parser)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    fail_on = _fail_on_types(parser, args.fail_on)
    workflows, activities = _load_targets(args.targets)
    if not workflows and not activities:
        print("error: no @workflow.defn or @activity.defn found", file=sys.stderr)
        return 2
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))

    async def go() -> int:
        async with _client(args) as client:
            worker = Worker(
                client,
                task_list=args.task_list,
                workflows=workflows,
                activities=activities,
                decision_pollers=args.decision_pollers,
                activity_pollers=args.activity_pollers,
                max_concurrent_activities=args.max_concurrent_activities,
                graceful_shutdown_timeout=args.shutdown_grace,
                sticky_schedule_to_start_timeout=args.sticky_schedule_to_start_timeout,
                workflow_failure_exception_types=fail_on,
            )
            async with anyio.create_task_group() as tg:
                tg.start_soon(worker.run)
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        worker.shutdown()  # graceful: running tasks finish first
                        break
        return 0

    return _run(go)


async def _follow(handle: WorkflowHandle[Any]) -> None:
    seen = 0
    start: float | None = None
    interval = 0.05
    while True:
        events = await handle.history()
        for event in events[seen:]:
            start = events[0].event_timestamp if start is None else start
            print(format_event(event, start), flush=True)
        if len(events) > seen:
            interval = 0.05
        seen = len(events)
        if (
            events
            and type(events[-1]).__name__.startswith("WorkflowExecution")
            and any(
                type(events[-1]).__name__.endswith(s)
                for s in (
                    "Completed",
                    "Failed",
                    "Canceled",
                    "Terminated",
                    "TimedOut",
                    "ContinuedAsNew",
                )
            )
        ):
            return
        await anyio.sleep(interval)
        interval = min(1.0, interval * 1.5)


def start_main(argv: list[str]) -> int:
    """Start an execution; ``--follow`` streams its events until it closes."""
    parser = _parser("start", "start a workflow execution")
    parser.add_argument("workflow_type")
    parser.add_argument("--version", default="1")
    parser.add_argument("--id", required=True, help="workflow id")
    parser.add_argument("--input", default="[]", help="JSON array of arguments")
    parser.add_argument("--task-list")
    parser.add_argument(
        "--idempotent",
        action="store_true",
        help="the same id with the same request returns the existing run, open or closed"
        " within the domain's retention; a different request under the id is an error",
    )
    parser.add_argument("--follow", action="store_true", help="stream events until it closes")
    args = parser.parse_args(argv)
    values = _json_arguments("--input", args.input)

    async def go() -> int:
        async with _client(args) as client:
            handle = await client.start_workflow(
                args.workflow_type,
                *values,
                id=args.id,
                version=args.version,
                task_list=args.task_list,
                id_reuse_policy=IdReusePolicy.IDEMPOTENT if args.idempotent else IdReusePolicy.FAIL,
            )
            _print_json(
                {
                    "workflowId": handle.workflow_id,
                    "runId": handle.run_id,
                    "newlyStarted": handle.newly_started,
                }
            )
            if args.follow:
                await _follow(handle)
                _print_json({"result": await handle.result()})
        return 0

    return _run(go)


def _handle_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = _parser(prog, description)
    parser.add_argument("workflow_id")
    parser.add_argument("--run-id", help="default: the latest run")
    return parser


def _with_handle(
    args: argparse.Namespace, action: Callable[[WorkflowHandle[Any]], Awaitable[None]]
) -> int:
    async def go() -> int:
        async with _client(args) as client:
            handle = await client.get_workflow_handle(args.workflow_id, args.run_id)
            await action(handle)
        return 0

    return _run(go)


def signal_main(argv: list[str]) -> int:
    """Signal an execution."""
    parser = _handle_parser("signal", "send a signal to a workflow execution")
    parser.add_argument("signal_name")
    parser.add_argument("--input", default="[]", help="JSON array of arguments")
    args = parser.parse_args(argv)
    values = _json_arguments("--input", args.input)

    async def action(handle: WorkflowHandle[Any]) -> None:
        await handle.signal(args.signal_name, *values)

    return _with_handle(args, action)


def cancel_main(argv: list[str]) -> int:
    """Request cancellation of an execution."""
    args = _handle_parser("cancel", "request cancellation of a workflow execution").parse_args(argv)

    async def action(handle: WorkflowHandle[Any]) -> None:
        await handle.cancel()

    return _with_handle(args, action)


def terminate_main(argv: list[str]) -> int:
    """Terminate an execution."""
    parser = _handle_parser("terminate", "terminate a workflow execution")
    parser.add_argument("--reason")
    args = parser.parse_args(argv)

    async def action(handle: WorkflowHandle[Any]) -> None:
        await handle.terminate(reason=args.reason)

    return _with_handle(args, action)


def describe_main(argv: list[str]) -> int:
    """Describe an execution (JSON)."""
    parser = _handle_parser("describe", "describe a workflow execution (JSON)")
    payloads.add_codec_option(parser)
    args = parser.parse_args(argv)
    converter = payloads.load_converter(args.codec)

    async def action(handle: WorkflowHandle[Any]) -> None:
        description = await handle.describe()
        body = await payloads.decode_body(dict(description.raw), converter)
        if description.decision_failure is not None:
            # Not SWF's: the failure of the execution's latest decision task, from the
            # history (see WorkflowHandle.describe).
            body["decisionFailure"] = msgspec.to_builtins(description.decision_failure)
        _print_json(body)

    return _with_handle(args, action)


def history_main(argv: list[str]) -> int:
    """Print an execution's history as a timeline, or as JSON (``--json``)."""
    parser = _handle_parser("history", "print a workflow execution's history")
    parser.add_argument("--json", action="store_true", help="GetWorkflowExecutionHistory JSON")
    parser.add_argument("--verbose", action="store_true", help="include decision-task events")
    payloads.add_codec_option(parser)
    args = parser.parse_args(argv)
    converter = payloads.load_converter(args.codec)

    async def action(handle: WorkflowHandle[Any]) -> None:
        if args.json:
            _print_json(await payloads.decode_body(await handle.history_json(), converter))
            return
        events = await payloads.decode_events(await handle.history(), converter)
        for line in format_timeline(events, verbose=args.verbose):
            print(line)

    return _with_handle(args, action)


def list_main(argv: list[str]) -> int:
    """List open (default) or closed executions."""
    parser = _parser("list", "list workflow executions")
    parser.add_argument("--closed", action="store_true")
    parser.add_argument("--type", dest="workflow_type")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    async def go() -> int:
        async with _client(args) as client:
            rows = await client.list_workflows(
                status="CLOSED" if args.closed else "OPEN", workflow_type=args.workflow_type
            )
        if args.json:
            _print_json([vars(row) for row in rows])
            return 0
        for row in rows:
            status = row.close_status or row.status
            print(
                f"{row.workflow_id:<30} {row.workflow_type}/{row.workflow_version:<10} "
                f"{status:<16} {row.start_time.isoformat()} {row.run_id}"
            )
        return 0

    return _run(go)


def replay_main(argv: list[str]) -> int:
    """Replay a history JSON file against workflow code; exit 1 on non-determinism."""
    parser = argparse.ArgumentParser(prog="swfasync replay", description=replay_main.__doc__)
    parser.add_argument(
        "file", type=Path, help="`swfasync history ID --json` output, or a history body"
    )
    parser.add_argument("--workflows", nargs="+", required=True, help="module or module:attr")
    parser.add_argument(
        "--workflow-id", help="the execution's workflow id, for a file that does not name it"
    )
    parser.add_argument("--run-id", help="the execution's run id, for a file that does not name it")
    payloads.add_codec_option(parser)
    _add_fail_on(parser)
    args = parser.parse_args(argv)
    from .._testing.replayer import Replayer

    sys.path.insert(0, os.getcwd())
    fail_on = _fail_on_types(parser, args.fail_on)
    workflows, _ = _load_targets(args.workflows)
    converter = payloads.load_converter(args.codec)
    replayer = Replayer(
        workflows, data_converter=converter, workflow_failure_exception_types=fail_on
    )
    result = replayer.replay(
        args.file, workflow_id=args.workflow_id, run_id=args.run_id, raise_on_error=False
    )
    if result.ok:
        print(f"ok: {result.workflow_type}, {result.event_count} events replayed")
        return 0
    first_line = (str(result.error).strip().splitlines() or [""])[0]
    hint = ""
    if result.assumed_ids:
        options = " and ".join(f"--{name.replace('_', '-')}" for name in result.assumed_ids)
        hint = f" (the file names no {' or '.join(result.assumed_ids)}: give {options})"
    print(f"error: {result.workflow_type}: {first_line}{hint}", file=sys.stderr)
    return 1
