"""StatusNotifier: follow the domain's histories and publish status changes to SNS.

It reads SWF's list and history calls, not a worker's view, so it also sees what no worker
does: terminations, timeouts, cancellation requests. Each scan lists the open runs and
the runs closed since the ledger's checkpoint (less an overlap, as SWF's listings are
eventually consistent), reads the new end of each run's history (reverse pages, so a
long history costs only its new events), and publishes the statuses those events announce.

At least once: a status is recorded in the ledger after SNS accepted it, so a crash repeats
at most the notifications in flight (one per run being handled, ``max_concurrency`` in
all), each with the same ``notification_id``; a FIFO topic drops those repeats itself
(deduplication by notification id, grouped by workflow id). Nothing is lost while the
notifier is down for less than the domain's retention period, after which SWF no longer
lists a closed run.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import anyio
import msgspec
from botocore.exceptions import ClientError

from .._client.client import Client, WorkflowExecutionSummary
from .._client.idempotency import TERMINATE_REASON as DUPLICATE_REASON
from .._client.transport import AiobotocoreTransport
from .._log import get_logger
from .._wire import api
from .._wire import events as e
from .._wire.codec import AnyEvent, UnknownEvent, timestamp_to_datetime
from .._wire.common import WorkflowExecution
from ..exceptions import ConfigurationError
from ._aws import create_client, error_code, is_transient
from ._ledger import Ledger, SqliteLedger
from ._notification import (
    Failure,
    StatusNotification,
    encode_notification,
    fifo_id,
    message_attributes,
)
from ._status import StatusMapping
from ._tags import read_tags

log = get_logger("swfasync.messaging")

PAGE: Final = 100
EPOCH: Final = datetime(1970, 1, 2, tzinfo=UTC)


def event_type(event: AnyEvent) -> str:
    if isinstance(event, UnknownEvent):
        return event.event_type
    return str(type(event).__struct_config__.tag)


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return text


def _failure(event: AnyEvent) -> Failure | None:
    match event:
        case e.WorkflowExecutionFailed(attributes=a):
            return Failure(reason=a.reason, details=a.details)
        case e.WorkflowExecutionTerminated(attributes=a):
            return Failure(reason=a.reason, details=a.details, cause=a.cause)
        case e.WorkflowExecutionTimedOut(attributes=a):
            return Failure(reason="timed out", timeout_type=a.timeout_type)
        case e.WorkflowExecutionCanceled(attributes=a):
            return Failure(details=a.details) if a.details else None
        case e.WorkflowExecutionCancelRequested(attributes=a):
            return Failure(cause=a.cause) if a.cause else None
    return None


def _duplicate_start(events: list[AnyEvent]) -> bool:
    last = events[-1] if events else None
    return isinstance(last, e.WorkflowExecutionTerminated) and (
        last.attributes.reason or ""
    ).startswith(DUPLICATE_REASON)


class StatusNotifier:
    """Publish the status changes of a domain's executions to an SNS topic.

    Example::

        async with Client("default") as client, StatusNotifier(client, topic_arn):
            await anyio.sleep_forever()

    Args:
        client: the SWF client (its domain is followed).
        topic_arn: the topic; one whose name ends in ``.fifo`` gets ``MessageGroupId``
            (the workflow id) and ``MessageDeduplicationId`` (the notification id).
        ledger: a :class:`Ledger`, or the path of a SQLite file for :class:`SqliteLedger`.
        mapping: which events announce which status (:class:`StatusMapping`).
        interval: seconds between scans.
        overlap: seconds of closed runs listed again on every scan, for SWF's listings to
            settle (they lag by seconds); runs already handled cost one ledger read each,
            so at high close rates a shorter overlap or a longer interval lists less.
        since: follow runs started from this time (default: when the ledger was created).
        max_concurrency: runs handled at once.
        idle_cap: an open run whose history did not change is read again after a growing
            pause, up to this many seconds; a run that closes is read at the next scan.
            So a long wait costs a history call every ``idle_cap`` seconds, and a status
            of a run that stays open (Stop Requested) may take up to that long.
        sns: an open aiobotocore SNS client (default: one from the standard AWS
            configuration, ``AWS_ENDPOINT_URL_SNS`` included, with ``sns_options``).
    """

    def __init__(
        self,
        client: Client,
        topic_arn: str,
        *,
        ledger: Ledger | str | Path = "swfasync-notifier.sqlite3",
        mapping: StatusMapping | None = None,
        interval: float = 1.0,
        overlap: float = 60.0,
        since: datetime | None = None,
        max_concurrency: int = 8,
        idle_cap: float = 10.0,
        sns: Any = None,
        sns_options: dict[str, Any] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        self.client = client
        self.topic_arn = topic_arn
        self.ledger: Ledger = SqliteLedger(ledger) if isinstance(ledger, str | Path) else ledger
        self.mapping = mapping or StatusMapping()
        self.interval = interval
        self.overlap = overlap
        self.since = since
        self.max_concurrency = max_concurrency
        self.idle_cap = max(interval, idle_cap)
        # Open runs with no new events lately: (quiet scans, when to read them next).
        self._idle: dict[tuple[str, str], tuple[int, float]] = {}
        self.fifo = topic_arn.endswith(".fifo")
        self.published = 0
        self._sns = sns
        self._sns_options = dict(sns_options or {})
        self._stack = AsyncExitStack()
        self._stopping = anyio.Event()
        self._wake = anyio.Event()
        self._log = log.bind(topic_arn=topic_arn, domain=client.domain)

    async def __aenter__(self) -> StatusNotifier:
        try:
            if self._sns is None:
                self._sns = await self._stack.enter_async_context(
                    create_client("sns", **self._sns_options)
                )
            try:
                await self._sns.get_topic_attributes(TopicArn=self.topic_arn)
            except ClientError as error:
                raise ConfigurationError(
                    f"topic {self.topic_arn} cannot be used ({error_code(error)}): check its"
                    " ARN and this process's permissions"
                ) from error
            except Exception as error:
                raise ConfigurationError(
                    f"topic {self.topic_arn} cannot be reached ({type(error).__name__}): check"
                    " the SNS endpoint (AWS_ENDPOINT_URL_SNS, the region) and the network"
                ) from error
            await self.ledger.open()
            self._stack.push_async_callback(self.ledger.close)
            default = (self.since or datetime.now(UTC)).timestamp()
            self._origin = await self.ledger.origin(default)
            group = await self._stack.enter_async_context(anyio.create_task_group())
            group.start_soon(self.run)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        await self._stack.aclose()

    def stop(self) -> None:
        """Stop after the scan in progress (its notifications are recorded)."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Scan now instead of at the end of the interval."""
        self._wake.set()

    async def run(self) -> None:
        """Scan every ``interval`` until :meth:`stop` (``async with`` runs this for you)."""
        self._log.info("notifier_started", fifo=self.fifo, origin=self._origin)
        failures = 0
        while not self._stopping.is_set():
            try:
                await self.scan()
                failures = 0
            except Exception as error:
                failures += 1
                self._log.warning("scan_failed", error=repr(error), transient=is_transient(error))
            delay = self.interval if not failures else min(30.0, self.interval * 2**failures)
            with anyio.move_on_after(delay):
                await self._wake.wait()
            self._wake = anyio.Event()
        self._log.info("notifier_stopped", published=self.published)

    async def scan(self) -> int:
        """One pass over the open and recently closed runs; returns how many
        notifications it published."""
        before = self.published
        checkpoint = await self.ledger.checkpoint() or self._origin
        origin = datetime.fromtimestamp(self._origin, UTC)
        open_runs = await self.client.list_workflows(status="OPEN", oldest=origin)
        closed_runs = await self.client.list_workflows(
            status="CLOSED",
            oldest=max(EPOCH, datetime.fromtimestamp(checkpoint - self.overlap, UTC)),
        )
        runs: dict[tuple[str, str], WorkflowExecutionSummary] = {}
        for run in [*open_runs, *closed_runs]:
            if run.start_time.timestamp() >= self._origin:
                runs[(run.workflow_id, run.run_id)] = run  # a closed listing wins
        failed: list[WorkflowExecutionSummary] = []
        limiter = anyio.CapacityLimiter(self.max_concurrency)

        now = anyio.current_time()
        self._idle = {key: v for key, v in self._idle.items() if key in runs}

        async def handle(run: WorkflowExecutionSummary) -> None:
            key = (run.workflow_id, run.run_id)
            idle = self._idle.get(key)
            if run.close_time is None and idle is not None and now < idle[1]:
                return  # open, and quiet lately: read again when it is due
            async with limiter:
                try:
                    changed = await self._follow(run)
                    if changed or run.close_time is not None:
                        self._idle.pop(key, None)
                    else:
                        count = idle[0] + 1 if idle else 1
                        wait = min(self.idle_cap, self.interval * 2**count)
                        self._idle[key] = (count, anyio.current_time() + wait)
                except Exception as error:
                    failed.append(run)
                    self._log.warning(
                        "run_not_followed",
                        workflow_id=run.workflow_id,
                        run_id=run.run_id,
                        error=repr(error),
                        transient=is_transient(error),
                    )

        async with anyio.create_task_group() as group:
            for run in runs.values():
                group.start_soon(handle, run)
        closes = [r.close_time.timestamp() for r in closed_runs if r.close_time is not None]
        unfinished = [r.close_time.timestamp() for r in failed if r.close_time is not None]
        new_checkpoint = min(unfinished) if unfinished else max([checkpoint, *closes])
        if new_checkpoint > checkpoint:
            await self.ledger.set_checkpoint(new_checkpoint)
            await self.ledger.prune(new_checkpoint - 2 * self.overlap)
        return self.published - before

    async def _tail(self, run: WorkflowExecutionSummary, after: int) -> list[AnyEvent]:
        """The run's events after ``after``, oldest first (reading reverse pages).

        Read over ``Client.raw``, botocore's own retries and no more: a run whose read
        fails is read again on the next scan, not waited on while the others are due.
        """
        swf = AiobotocoreTransport(self.client.raw)
        request = api.GetWorkflowExecutionHistoryInput(
            domain=self.client.domain,
            execution=WorkflowExecution(workflow_id=run.workflow_id, run_id=run.run_id),
            maximum_page_size=PAGE,
            reverse_order=True,
        )
        newest_first: list[AnyEvent] = []
        while True:
            page = await swf.send(request)
            for event in page.events:
                if event.event_id <= after:
                    return newest_first[::-1]
                newest_first.append(event)
            if not page.next_page_token:
                return newest_first[::-1]
            request = msgspec.structs.replace(request, next_page_token=page.next_page_token)

    async def _follow(self, run: WorkflowExecutionSummary) -> bool:
        """Publish what a run's new events announce; whether it had new events."""
        cursor = await self.ledger.cursor(run.workflow_id, run.run_id)
        if cursor.done:
            return False
        events = await self._tail(run, cursor.last_event_id)
        changed = bool(events)
        close_time = run.close_time.timestamp() if run.close_time else None
        continued = cursor.continued
        statuses = set(cursor.statuses)
        if not statuses and _duplicate_start(events):
            # A run an idempotent start made in a race and terminated at once: the job's
            # statuses are its earlier run's. Seen closed before anything was announced
            # (the usual case), it announces nothing.
            events = []
        for event in events:
            if isinstance(event, e.WorkflowExecutionStarted):
                continued = event.attributes.continued_execution_run_id is not None
            kind = event_type(event)
            status = self.mapping.status_of(kind, continued=continued)
            if status is None or status in statuses:
                continue
            notification = self._notification(run, event, kind, status)
            await self._publish(notification)
            await self.ledger.record_sent(
                run.workflow_id,
                run.run_id,
                event.event_id,
                status,
                notification.notification_id,
                continued,
            )
            statuses.add(status)
        last = events[-1].event_id if events else cursor.last_event_id
        if events or close_time is not None:
            await self.ledger.advance(
                run.workflow_id, run.run_id, last, continued=continued, close_time=close_time
            )
        return changed

    def _notification(
        self, run: WorkflowExecutionSummary, event: AnyEvent, kind: str, status: str
    ) -> StatusNotification:
        tags = read_tags(run.tags)
        result = (
            _json(event.attributes.result)
            if isinstance(event, e.WorkflowExecutionCompleted)
            else None
        )
        return StatusNotification(
            notification_id=f"{run.run_id}:{event.event_id}",
            workflow_id=run.workflow_id,
            run_id=run.run_id,
            app_id=tags.app_id,
            workflow_slug=tags.slug or run.workflow_type,
            job_number=tags.job_number,
            status=status,
            status_code=self.mapping.code_of(status),
            event_id=event.event_id,
            event_type=kind,
            timestamp=timestamp_to_datetime(event.event_timestamp),
            workflow_type=run.workflow_type,
            workflow_version=run.workflow_version,
            started_at=run.start_time,
            result=result,
            failure=_failure(event),
        )

    async def _publish(self, notification: StatusNotification) -> None:
        kwargs: dict[str, Any] = {
            "TopicArn": self.topic_arn,
            "Message": encode_notification(notification),
            "MessageAttributes": message_attributes(notification),
        }
        if self.fifo:
            kwargs["MessageGroupId"] = fifo_id(notification.workflow_id)
            kwargs["MessageDeduplicationId"] = fifo_id(notification.notification_id)
        with anyio.CancelScope(shield=True):
            await self._sns.publish(**kwargs)
        self.published += 1
        self._log.info(
            "status_published",
            workflow_id=notification.workflow_id,
            run_id=notification.run_id,
            status=notification.status,
            notification_id=notification.notification_id,
        )
