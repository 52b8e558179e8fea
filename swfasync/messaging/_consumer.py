"""SqsSubmissions: messages on an SQS queue become idempotent workflow starts.

Each message is decoded strictly, mapped to a start, and started with
``IdReusePolicy.IDEMPOTENT`` under an id the message determines; only then is it deleted.
So a message delivered twice, or redelivered after a crash between start and delete,
finds the run it started and is deleted again: it never starts a second run.

No message is lost. A message that can never start (see :data:`REASONS`) is sent,
unchanged and with its reason in message attributes, to the dead-letter queue, and is
deleted only once that send has succeeded. Any other failure (SWF throttled or
unreachable, SQS errors, a bug) leaves the message in its queue, visible again after a
backoff, for as many deliveries as the queue's RedrivePolicy allows.

On a FIFO queue the messages of one message group are started in the order received,
one after the other; a transient failure stops its group's batch there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import anyio
from anyio.abc import TaskGroup
from botocore.exceptions import ClientError

from .._client.client import Client, IdReusePolicy
from .._log import get_logger
from ..exceptions import (
    ArgumentTypeError,
    ConfigurationError,
    PayloadError,
    PayloadTooLargeError,
    SwfValidationError,
    WorkflowDefinitionError,
    WorkflowIdConflictError,
)
from ._aws import create_client, error_code, is_transient
from ._errors import Reason, Rejected
from ._mapping import StartRequest, SubmissionMapping
from ._schema import Submission, decode_message
from ._sqs import (
    BATCH,
    Acknowledger,
    Deleter,
    Received,
    dead_letter_attributes,
    keep_invisible,
    retry_later,
)
from ._tags import make_tags

log = get_logger("swfasync.messaging")

# SWF faults that no retry can cure: the request itself is wrong.
_PERMANENT_SWF: Final[dict[str, Reason]] = {
    "UnknownResourceFault": "unknown_workflow",
    "TypeDeprecatedFault": "unknown_workflow",
    "DefaultUndefinedFault": "invalid_request",
    "ValidationException": "invalid_request",
}


# Start options the consumer decides: the id is the request's, the policy is IDEMPOTENT,
# the tags carry app id, slug and job number.
_CONSUMER_OPTIONS: Final = frozenset({"id", "id_reuse_policy", "tag_list"})


@dataclass
class ConsumerStats:
    """What a consumer has done since it started."""

    received: int = 0
    started: int = 0
    deleted: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    retried: int = 0


class SqsSubmissions:
    """Consume workflow submissions from an SQS queue.

    Example::

        async with Client("default") as client, SqsSubmissions(
            client, queue_url, dlq_url, workflows=[Tutorial]
        ):
            await anyio.sleep_forever()

    Args:
        client: the SWF client starts go through (its domain).
        queue_url: the submission queue.
        dlq_url: the dead-letter queue for messages that can never start (FIFO if the
            queue is).
        workflows: the workflows the default mapping finds by slug (type name).
        schema: the msgspec Struct messages decode into (default :class:`Submission`).
        mapping: turns a decoded message into a :class:`StartRequest` (default:
            :class:`SubmissionMapping` over ``workflows``).
        max_concurrency: messages in flight at once; a receive asks only for as many as
            there is room for.
        pollers: receives in flight at once (more than one keeps the starts busy while a
            receive is on its way).
        visibility_timeout: seconds a received message stays invisible; extended while
            its start is in flight.
        wait_time: the long poll, in seconds (SQS's maximum is 20); leaving the ``async
            with`` block waits for the polls in flight, so up to this long.
        register: register the domain's workflow types of ``workflows`` on entry.
        sqs: an open aiobotocore SQS client to use (default: one from the standard AWS
            configuration, ``AWS_ENDPOINT_URL_SQS`` included, with ``sqs_options``).
    """

    def __init__(
        self,
        client: Client,
        queue_url: str,
        dlq_url: str,
        *,
        workflows: Iterable[Any] = (),
        schema: type[Any] = Submission,
        mapping: Callable[[Any], StartRequest] | None = None,
        max_concurrency: int = 10,
        pollers: int = 2,
        visibility_timeout: int = 30,
        wait_time: int = 20,
        register: bool = True,
        sqs: Any = None,
        sqs_options: dict[str, Any] | None = None,
    ) -> None:
        if max_concurrency < 1 or pollers < 1:
            raise ConfigurationError("max_concurrency and pollers must be at least 1")
        if not 0 <= wait_time <= 20:
            raise ConfigurationError("wait_time must be between 0 and 20 seconds (SQS's limit)")
        if mapping is None and schema is not Submission:
            raise ConfigurationError("a schema of your own needs a mapping of your own")
        self.client = client
        self.queue_url = queue_url
        self.dlq_url = dlq_url
        self.workflows = list(workflows)
        self.schema = schema
        self.mapping: Callable[[Any], StartRequest] = mapping or SubmissionMapping(self.workflows)
        self.max_concurrency = max_concurrency
        self.pollers = pollers
        self.visibility_timeout = visibility_timeout
        self.wait_time = wait_time
        self.register = register
        self._sqs = sqs
        self._sqs_options = dict(sqs_options or {})
        self.stats = ConsumerStats()
        self.fifo = queue_url.endswith(".fifo")
        self._stack = AsyncExitStack()
        self._stopping = anyio.Event()
        self._poll_scopes: set[anyio.CancelScope] = set()
        self._log = log.bind(queue_url=queue_url, domain=client.domain)

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> SqsSubmissions:
        try:
            if self._sqs is None:
                self._sqs = await self._stack.enter_async_context(
                    create_client("sqs", **self._sqs_options)
                )
            await self._check_queues()
            if self.register and self.workflows:
                await self.client.register(workflows=self.workflows, domain=False)
            group = await self._stack.enter_async_context(anyio.create_task_group())
            await group.start(self._run_started)
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
        """Stop receiving: no new receive is sent; one in flight runs its course (up to
        ``wait_time`` seconds) and what it brings is started; then deletes are sent.

        A long poll is not cut short on purpose: SQS may still hand messages to a poll
        whose connection was closed, and those would stay hidden for their visibility
        timeout."""
        self._stopping.set()
        for scope in self._poll_scopes:
            scope.cancel()

    async def _check_queues(self) -> None:
        for url in (self.queue_url, self.dlq_url):
            try:
                await self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            except ClientError as error:
                raise ConfigurationError(
                    f"queue {url} cannot be used ({error_code(error)}): check its URL and"
                    " this process's permissions"
                ) from error
            except Exception as error:
                raise ConfigurationError(
                    f"queue {url} cannot be reached ({type(error).__name__}): check the SQS"
                    " endpoint (AWS_ENDPOINT_URL_SQS, the region) and the network"
                ) from error
        if self.fifo and not self.dlq_url.endswith(".fifo"):
            raise ConfigurationError(
                f"the queue {self.queue_url} is FIFO, so its dead-letter queue must be too"
            )

    async def _run_started(self, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await self.run()

    async def run(self) -> None:
        """Receive and start until :meth:`stop` (``async with`` runs this for you)."""
        deleter = Deleter(self._sqs, self.queue_url, self.stats)
        slots = anyio.Semaphore(self.max_concurrency)
        self._log.info(
            "consumer_started",
            fifo=self.fifo,
            max_concurrency=self.max_concurrency,
            pollers=self.pollers,
        )
        async with anyio.create_task_group() as group:
            group.start_soon(deleter.run)
            async with anyio.create_task_group() as work:
                for _ in range(self.pollers):
                    work.start_soon(self._poll, slots, deleter, work)
            deleter.close()
        self._log.info("consumer_stopped", **vars(self.stats))

    async def _poll(self, slots: anyio.Semaphore, deleter: Deleter, work: TaskGroup) -> None:
        """One poller: wait for room, receive at most that many, hand each batch to a task."""
        failures = 0
        while not self._stopping.is_set():
            taken = await self._take_slots(slots)
            if taken == 0:
                return
            try:
                messages = await self._receive(taken)
                failures = 0
            except Exception as error:
                messages = []
                failures += 1
                delay = min(30.0, 0.2 * 2 ** min(failures, 8))
                self._log.warning(
                    "receive_failed",
                    error=repr(error),
                    transient=is_transient(error),
                    retry_in=delay,
                )
                with anyio.move_on_after(delay):
                    await self._stopping.wait()
            for _ in range(taken - len(messages)):
                slots.release()
            for batch in self._batches(messages):
                work.start_soon(self._process_batch, batch, deleter, slots)

    @contextmanager
    def _stoppable(self) -> Iterator[anyio.CancelScope]:
        """A cancel scope that :meth:`stop` cancels: a poller's wait for room."""
        with anyio.CancelScope() as scope:
            if self._stopping.is_set():
                scope.cancel()
            self._poll_scopes.add(scope)
            try:
                yield scope
            finally:
                self._poll_scopes.discard(scope)

    async def _take_slots(self, slots: anyio.Semaphore) -> int:
        """Wait for room for one message, then take what else is free (up to a batch)."""
        with self._stoppable() as scope:
            await slots.acquire()
        if scope.cancelled_caught:
            return 0
        taken = 1
        while taken < BATCH:
            try:
                slots.acquire_nowait()
            except anyio.WouldBlock:
                break
            taken += 1
        return taken

    async def _receive(self, count: int) -> list[Received]:
        if self._stopping.is_set():
            return []
        response = await self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=self.wait_time,
            VisibilityTimeout=self.visibility_timeout,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = [Received.from_response(raw) for raw in response.get("Messages", [])]
        self.stats.received += len(messages)
        return messages

    def _batches(self, messages: list[Received]) -> list[list[Received]]:
        """One batch per message, or per message group on a FIFO queue (in order)."""
        if not self.fifo:
            return [[m] for m in messages]
        groups: dict[str | None, list[Received]] = {}
        for message in messages:
            groups.setdefault(message.group_id, []).append(message)
        return list(groups.values())

    # -- one batch ------------------------------------------------------------------------

    async def _process_batch(
        self, batch: list[Received], deleter: Deleter, slots: anyio.Semaphore
    ) -> None:
        async with anyio.create_task_group() as keeper:
            keeper.start_soon(
                keep_invisible, self._sqs, self.queue_url, batch, self.visibility_timeout
            )
            try:
                for index, message in enumerate(batch):
                    if not await self._process(message, deleter):
                        await retry_later(
                            self._sqs, self.queue_url, batch[index:], self.visibility_timeout
                        )
                        self.stats.retried += len(batch) - index
                        for later in batch[index:]:
                            later.done = True
                        break
            finally:
                keeper.cancel_scope.cancel()
                for _ in batch:
                    slots.release()

    async def _process(self, message: Received, deleter: Acknowledger) -> bool:
        """Start one message's workflow or dead-letter it; False: leave it for redelivery."""
        bound = self._log.bind(message_id=message.message_id)
        try:
            request = self._request(message)
            handle = await self.client.start_workflow(
                request.workflow,
                *request.args,
                id=request.workflow_id,
                id_reuse_policy=IdReusePolicy.IDEMPOTENT,
                tag_list=make_tags(request.app_id, request.slug, request.job_number),
                **dict(request.options),
            )
        except Exception as error:
            rejected = await self._rejection(error)
            if rejected is None:
                bound.warning(
                    "start_failed_will_retry",
                    error=repr(error),
                    transient=is_transient(error),
                    receive_count=message.receive_count,
                )
                return False
            return await self._dead_letter(message, rejected, deleter)
        if handle.newly_started:
            self.stats.started += 1
        else:
            self.stats.duplicates += 1
        bound.info(
            "submission_started" if handle.newly_started else "submission_duplicate",
            workflow_id=handle.workflow_id,
            run_id=handle.run_id,
        )
        message.done = True
        deleter.add(message)
        return True

    def _request(self, message: Received) -> StartRequest:
        decoded = decode_message(message.body, self.schema)
        try:
            request = self.mapping(decoded)
        except Rejected:
            raise
        except (SwfValidationError, WorkflowDefinitionError):
            raise
        except Exception as error:
            raise Rejected("mapping_error", f"the mapping failed: {error!r}") from error
        taken = sorted(_CONSUMER_OPTIONS & set(request.options))
        if taken:
            raise Rejected(
                "mapping_error",
                f"the mapping's options set {', '.join(taken)}, which the consumer sets itself",
            )
        return request

    async def _rejection(self, error: Exception) -> Rejected | None:
        """The dead-letter reason for ``error``; None if it may pass on a later try."""
        if isinstance(error, Rejected):
            return error
        if isinstance(error, WorkflowIdConflictError):
            return Rejected("id_conflict", str(error), field="$")
        if isinstance(error, ArgumentTypeError):
            return Rejected("invalid_arguments", str(error), field=error.parameter)
        if isinstance(error, PayloadTooLargeError):
            return Rejected("payload_too_large", str(error), field=error.field)
        if isinstance(error, SwfValidationError):
            return Rejected("invalid_request", str(error), field=error.field)
        if isinstance(error, PayloadError):  # the arguments cannot be encoded as JSON
            return Rejected("invalid_arguments", str(error))
        if isinstance(error, WorkflowDefinitionError):
            return Rejected("mapping_error", str(error))
        code = error_code(error) or error_code(error.__cause__ or error)
        if code not in _PERMANENT_SWF:
            return None
        if code == "UnknownResourceFault" and not await self._domain_exists():
            # Not this message's fault: every start fails until the domain is back.
            return None
        return Rejected(_PERMANENT_SWF[code], f"SWF refused the start: {code}: {error}")

    async def _domain_exists(self) -> bool:
        """Whether SWF knows the client's domain (an unknown one is not a poison message)."""
        try:
            await self.client.raw.describe_domain(name=self.client.domain)
        except Exception as error:
            if (
                error_code(error) or error_code(error.__cause__ or error)
            ) == "UnknownResourceFault":
                self._log.error("domain_unknown", error=repr(error))
                return False
        return True

    async def _dead_letter(
        self, message: Received, rejected: Rejected, deleter: Acknowledger
    ) -> bool:
        kwargs: dict[str, Any] = {
            "QueueUrl": self.dlq_url,
            "MessageBody": message.body,
            "MessageAttributes": dead_letter_attributes(
                message, rejected.reason, str(rejected), rejected.field
            ),
        }
        if self.fifo:
            kwargs["MessageGroupId"] = message.group_id or "swfasync"
            # A resend after a crash is dropped by SQS within its 5-minute window.
            kwargs["MessageDeduplicationId"] = message.message_id
        try:
            with anyio.CancelScope(shield=True):
                await self._sqs.send_message(**kwargs)
        except Exception as error:
            self._log.warning(
                "dead_letter_send_failed",
                message_id=message.message_id,
                reason=rejected.reason,
                error=repr(error),
            )
            return False
        self.stats.dead_lettered += 1
        self._log.warning(
            "submission_dead_lettered",
            message_id=message.message_id,
            reason=rejected.reason,
            field=rejected.field,
            detail=str(rejected),
        )
        message.done = True
        deleter.add(message)
        return True
