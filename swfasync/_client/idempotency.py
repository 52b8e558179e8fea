"""Idempotent start: the same workflow id with the same request names one execution.

SWF allows one *open* execution per workflow id and forgets nothing else: once a run has
closed, StartWorkflowExecution with its id starts a new one. Step Functions' rule is
stricter and is the one a retried "start order 42" needs: a name stays bound to its first
request, open or closed, and a different request under it is a conflict.

Every start made under ``IdReusePolicy.IDEMPOTENT`` carries a tag holding a fingerprint of
its request (workflow type, version and encoded input), so any process can compare a
request with a run from the run's listing alone. A run with no such tag (started under
another policy, or by another SDK) is compared through its WorkflowExecutionStarted event.

The run a workflow id is bound to is its earliest run still visible: SWF lists a closed
run only during the domain's retention period (``workflowExecutionRetentionPeriodInDays``),
so after that the same request starts a new run. Later runs of the same id are the bound
run's continuations (continue-as-new) or the work of other policies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

import msgspec

from .._wire import api
from .._wire import events as e
from .._wire.codec import timestamp_to_datetime
from .._wire.common import WorkflowExecution
from ..exceptions import UnknownResourceError, WorkflowAlreadyStartedError, WorkflowIdConflictError
from . import listing

if TYPE_CHECKING:
    from .client import Client

# The tag holding a request's fingerprint. SWF allows five tags of up to 256 characters.
TAG_PREFIX: Final = "swfasync-request:"
MAX_TAGS: Final = 5
# How many times a start is tried again when the runs under its id change under it.
ATTEMPTS: Final = 5

TERMINATE_REASON: Final = "swfasync: duplicate of an idempotent start; the id is bound to run "


def fingerprint(name: str, version: str, encoded_input: str | None) -> str:
    """A request's tag: a SHA-256 of its workflow type, version and encoded input."""
    body = msgspec.json.encode([name, version, encoded_input])
    return TAG_PREFIX + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Run:
    """One run of a workflow id as a listing shows it."""

    run_id: str
    start_time: datetime
    open: bool
    tags: tuple[str, ...]


async def runs_of(client: Client, workflow_id: str, *, status: str) -> list[Run]:
    """Every visible open or closed run of ``workflow_id`` (all pages)."""
    filters = listing.Filters.of(status=status, workflow_id=workflow_id)
    request = listing.list_request(client.domain, status, filters)
    return [
        Run(
            run_id=info.execution.run_id,
            start_time=timestamp_to_datetime(info.start_timestamp),
            open=status == "OPEN",
            tags=tuple(info.tag_list or ()),
        )
        async for info in listing.execution_infos(client, request)
    ]


async def run_fingerprint(client: Client, workflow_id: str, run: Run) -> str:
    """The fingerprint of the request that started ``run``."""
    for tag in run.tags:
        if tag.startswith(TAG_PREFIX):
            return tag
    page = await client._send(
        api.GetWorkflowExecutionHistoryInput(
            domain=client.domain,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run.run_id),
            maximum_page_size=1,
        )
    )
    first = page.events[0]
    if not isinstance(first, e.WorkflowExecutionStarted):
        return ""
    attrs = first.attributes
    plain = await client.data_converter.decode_text(attrs.input, "input")
    return fingerprint(attrs.workflow_type.name, attrs.workflow_type.version, plain)


async def start_time(client: Client, workflow_id: str, run_id: str) -> float:
    """When SWF started the run (epoch seconds)."""
    detail = await client._send(
        api.DescribeWorkflowExecutionInput(
            domain=client.domain,
            execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
        )
    )
    return detail.execution_info.start_timestamp


async def terminate_if_open(client: Client, workflow_id: str, run_id: str, reason: str) -> None:
    """Terminate the run unless it has closed already."""
    with suppress(UnknownResourceError):
        await client._send(
            api.TerminateWorkflowExecutionInput(
                domain=client.domain, workflow_id=workflow_id, run_id=run_id, reason=reason[:256]
            )
        )


def bound_run(runs: list[Run]) -> Run | None:
    """The run a workflow id is bound to: its earliest visible one."""
    return min(runs, key=lambda run: (run.start_time, run.run_id), default=None)


@dataclass(frozen=True)
class Resolution:
    """What an idempotent start found: the run to return, or None to start one."""

    run_id: str | None


async def resolve(client: Client, workflow_id: str, tag: str, runs: list[Run]) -> Resolution:
    """Return the bound run if it was started by the same request; raise if by another."""
    bound = bound_run(runs)
    if bound is None:
        return Resolution(None)
    if await run_fingerprint(client, workflow_id, bound) == tag:
        return Resolution(bound.run_id)
    raise WorkflowIdConflictError(workflow_id, bound.run_id)


async def start_idempotently(
    client: Client,
    workflow_id: str,
    tag: str,
    start: Callable[[], Awaitable[str | None]],
) -> tuple[str, bool]:
    """Start under Step Functions' rule; ``(run_id, newly_started)``.

    ``start`` sends StartWorkflowExecution and returns the new run id, or None when SWF
    answered that an execution with the id is open.

    A race is settled by the earliest run: two identical starts while nothing runs give
    one execution (SWF refuses the second start); a start that slips in while an earlier
    run is closing (after this call looked for closed runs, before its own start) is seen
    afterwards, terminated at once, and the earlier run returned.
    """
    for _ in range(ATTEMPTS):
        closed = await runs_of(client, workflow_id, status="CLOSED")
        found = await resolve(client, workflow_id, tag, closed)
        if found.run_id is not None:
            return found.run_id, False
        run_id = await start()
        if run_id is None:
            # An open run holds the id: it is the bound run unless an earlier one closed
            # meanwhile, so compare against everything visible now.
            runs = await runs_of(client, workflow_id, status="OPEN")
            runs += await runs_of(client, workflow_id, status="CLOSED")
            found = await resolve(client, workflow_id, tag, runs)
            if found.run_id is not None:
                return found.run_id, False
            continue  # the open run closed and was forgotten: try again
        # ``closed`` was empty: any closed run now is one that closed since the look-up.
        # If it started before this run, this run is the duplicate.
        later = [
            run
            for run in await runs_of(client, workflow_id, status="CLOSED")
            if run.run_id != run_id
        ]
        earlier = bound_run(later)
        started_at = timestamp_to_datetime(await start_time(client, workflow_id, run_id))
        if earlier is None or earlier.start_time > started_at:
            return run_id, True
        await terminate_if_open(client, workflow_id, run_id, TERMINATE_REASON + earlier.run_id)
        found = await resolve(client, workflow_id, tag, later)
        if found.run_id is not None:
            return found.run_id, False
    raise WorkflowAlreadyStartedError(workflow_id)
