"""Submissions per second through the SQS consumer, against the same starts made directly.

The dev server runs in a subprocess (``swfasync dev-server``), moto's server (the local SQS)
in another; the consumer and the direct starts share one ``Client`` in this process.

- direct: ``Client.start_workflow`` with ``IdReusePolicy.IDEMPOTENT`` and the consumer's
  three tags, for N distinct jobs, ``CONCURRENCY`` at a time: the starts the consumer makes,
  without SQS.
- consumer: the same N jobs (new ids) as the document's messages, already in the queue;
  timed from the consumer's start until every message has been started and deleted.

The ratio is consumer / direct throughput. What separates them is SQS's work: a receive
per batch of ten, a delete batch, decoding and mapping, and moto's own speed (it is not a
fast server); the messages are sent before the clock starts.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

import anyio

from swfasync import Client, IdReusePolicy, workflow
from swfasync.messaging import File, LocalMessaging, SqsSubmissions, workflow_id_for
from swfasync.messaging._tags import make_tags

from ._harness import Section, Target
from .bench_end_to_end import dev_server_process, quiet_logs

CONCURRENCY = 10
WIDE_CONCURRENCY = 30
TARGET = 0.5
FILE = File(value="input.txt", url="https://files.example/input.txt", mime_type="text/plain")


@workflow.defn(name="tutorial", task_list="bench-messaging")
async def tutorial(object_id: str, file: File) -> str:
    return object_id


def message(app: str, job: str) -> str:
    return json.dumps(
        {
            "user_name": "bench@example.com",
            "job_number": job,
            "app_id": app,
            "AWF_workflow_slug": "tutorial",
            "AWF_workflow_arguments": [
                {"name": "object_id", "type": "string", "value": f"object {job}"},
                {
                    "name": "file",
                    "type": "file",
                    "value": FILE.value,
                    "properties": {"url": FILE.url, "mime_type": FILE.mime_type},
                },
            ],
        }
    )


async def direct(client: Client, count: int) -> float:
    """Seconds for ``count`` starts made directly, ``CONCURRENCY`` at a time."""
    app = f"direct-{uuid.uuid4().hex[:6]}"
    limiter = anyio.CapacityLimiter(CONCURRENCY)

    async def one(job: str) -> None:
        async with limiter:
            await client.start_workflow(
                tutorial,
                f"object {job}",
                FILE,
                id=workflow_id_for(app, job),
                id_reuse_policy=IdReusePolicy.IDEMPOTENT,
                tag_list=make_tags(app, "tutorial", job),
            )

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for n in range(count):
            group.start_soon(one, str(n))
    return time.perf_counter() - started


async def through_consumer(
    client: Client, messaging: LocalMessaging, count: int, concurrency: int = CONCURRENCY
) -> float:
    """Seconds for the consumer to start and delete ``count`` queued messages."""
    app = f"queued-{uuid.uuid4().hex[:6]}"
    for first in range(0, count, 10):
        await messaging.sqs.send_message_batch(
            QueueUrl=messaging.queue_url,
            Entries=[
                {"Id": str(n), "MessageBody": message(app, str(n))}
                for n in range(first, min(count, first + 10))
            ],
        )
    started = time.perf_counter()
    async with SqsSubmissions(
        client,
        messaging.queue_url,
        messaging.dlq_url,
        workflows=[tutorial],
        sqs=messaging.sqs,
        wait_time=1,
        max_concurrency=concurrency,
        register=False,
    ) as consumer:
        # The consumer's counters are the only signal; 5 ms is far below a start's cost.
        while consumer.stats.deleted < count:  # noqa: ASYNC110
            await anyio.sleep(0.005)
        elapsed = time.perf_counter() - started
    if consumer.stats.started != count or consumer.stats.dead_lettered:
        raise RuntimeError(f"the consumer did not start every message: {consumer.stats}")
    return elapsed


async def sqs_only(messaging: LocalMessaging, count: int) -> float:
    """Seconds to receive and delete ``count`` queued messages, ten at a time, with no
    starts: the ceiling the SQS server itself sets."""
    for first in range(0, count, 10):
        await messaging.sqs.send_message_batch(
            QueueUrl=messaging.queue_url,
            Entries=[
                {"Id": str(n), "MessageBody": message("ceiling", str(n))}
                for n in range(first, min(count, first + 10))
            ],
        )
    started = time.perf_counter()
    done = 0
    while done < count:
        response = await messaging.sqs.receive_message(
            QueueUrl=messaging.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        batch = response.get("Messages", [])
        if batch:
            await messaging.sqs.delete_message_batch(
                QueueUrl=messaging.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )
        done += len(batch)
    return time.perf_counter() - started


async def run(quick: bool) -> Section:
    count = 30 if quick else 300
    repeats = 1 if quick else 3
    section = Section(
        title="Messaging: submissions through the SQS consumer",
        command="python -m benchmarks messaging",
        columns=["path", "starts", "median s", "starts/s"],
    )
    direct_runs: list[float] = []
    consumer_runs: list[float] = []
    sqs_runs: list[float] = []
    wide_runs: list[float] = []
    with quiet_logs():
        async with dev_server_process() as server, LocalMessaging() as first:
            # A fresh domain for every measurement: the dev server's listings (which an
            # idempotent start reads) grow with the executions a domain holds.
            async def fresh(n: int) -> Client:
                client = Client.local(server.endpoint_url, f"bench-messaging-{n}")
                await client.open()
                await client.register_domain()
                await client.register_workflow(tutorial)
                return client

            warm = await fresh(0)
            await direct(warm, CONCURRENCY)  # warm connections and the server
            await warm.aclose()
            for n in range(repeats):
                client = await fresh(2 * n + 1)
                direct_runs.append(await direct(client, count))
                await client.aclose()
                # Fresh queues each time: a consumer that stops cancels its long polls, and
                # SQS may still give such a poll messages sent later (they come back after
                # their visibility timeout), which would stall the next measurement.
                client = await fresh(2 * n + 2)
                async with LocalMessaging(first.endpoint_url) as messaging:
                    consumer_runs.append(await through_consumer(client, messaging, count))
                await client.aclose()
                async with LocalMessaging(first.endpoint_url) as messaging:
                    sqs_runs.append(await sqs_only(messaging, count))
                client = await fresh(1000 + n)
                async with LocalMessaging(first.endpoint_url) as messaging:
                    wide_runs.append(
                        await through_consumer(client, messaging, count, WIDE_CONCURRENCY)
                    )
                await client.aclose()
    direct_s = statistics.median(direct_runs)
    consumer_s = statistics.median(consumer_runs)
    section.add_row("Client.start_workflow (IDEMPOTENT)", count, direct_s, count / direct_s)
    sqs_s = statistics.median(sqs_runs)
    wide_s = statistics.median(wide_runs)
    section.add_row("SQS -> SqsSubmissions", count, consumer_s, count / consumer_s)
    section.add_row(
        f"SQS -> SqsSubmissions, max_concurrency={WIDE_CONCURRENCY}", count, wide_s, count / wide_s
    )
    section.add_row("SQS receive + delete only (no starts)", count, sqs_s, count / sqs_s)
    section.targets.append(
        Target(
            "consumer throughput / direct starts",
            (count / consumer_s) / (count / direct_s),
            TARGET,
            at_most=False,
        )
    )
    section.targets.append(
        Target(
            "consumer throughput / the SQS server's own receive + delete",
            (count / consumer_s) / (count / sqs_s),
            TARGET,
            at_most=False,
        )
    )
    section.notes.append(
        f"{CONCURRENCY} messages in flight on both compared paths. The consumer takes a"
        " message's place before it asks SQS for it (a receive asks only for what it can"
        " start), so a place is held for the receive's round trip as well as the start."
        f" Here the SQS server is moto's: its own receive and delete alone run at"
        f" {count / sqs_s:.0f} messages/s, {(count / sqs_s) / (count / direct_s):.2f}x the"
        " direct starts"
        + (", which bounds any consumer on this machine" if sqs_s > direct_s else "")
        + "; with"
        f" {WIDE_CONCURRENCY} in flight the consumer ran at {count / wide_s:.0f}/s. Against"
        " SQS itself a receive takes milliseconds."
    )
    return section
