"""SqsSubmissions against the dev server and moto's SQS, over loopback with real clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import msgspec
from structlog.testing import capture_logs

from swfasync.messaging import (
    FIELD_ATTRIBUTE,
    REASON_ATTRIBUTE,
    REASONS,
    SOURCE_ATTRIBUTE,
    LocalMessaging,
    SqsSubmissions,
    StartRequest,
    workflow_id_for,
)
from swfasync.testing import WorkflowEnvironment

from .helpers import drain, eventually, queue_depth, send
from .workflows import ALL, counting, submission


def consumer(env: WorkflowEnvironment, **options: Any) -> SqsSubmissions:
    assert env.messaging is not None
    return SqsSubmissions(
        env.client,
        env.messaging.queue_url,
        env.messaging.dlq_url,
        workflows=ALL,
        sqs=env.messaging.sqs,
        wait_time=1,
        **options,
    )


async def test_the_documents_message_starts_its_workflow_and_is_deleted(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        await send(messaging, submission("00000000"))
        async with consumer(env) as running:
            await eventually(lambda: running.stats.started == 1, what="one start")
            await eventually(
                lambda: _is(queue_depth(messaging, messaging.queue_url), 0),
                what="the message deleted",
            )
        workflow_id = workflow_id_for("my_awesome_app", "00000000")
        handle = await env.client.get_workflow_handle(workflow_id)
        assert await handle.result() == (
            "my test workflow run <- input.txt (text/plain) at https://files.example/input.txt"
        )
        [run] = await env.client.list_workflows(status="CLOSED", workflow_id=workflow_id)
        assert {"app_id:my_awesome_app", "slug:tutorial", "job:00000000"} <= set(run.tags)
        assert len(run.tags) <= 5
        assert await drain(messaging, messaging.dlq_url) == []


async def test_duplicates_before_and_after_the_run_closes_start_one_run(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        body = submission("dup-1")
        await send(messaging, body)
        await send(messaging, body)  # a duplicate while nothing has run yet
        async with consumer(env) as running:
            await eventually(
                lambda: running.stats.started + running.stats.duplicates == 2,
                what="both copies handled",
            )
            workflow_id = workflow_id_for("my_awesome_app", "dup-1")
            handle = await env.client.get_workflow_handle(workflow_id)
            await handle.result()
            await send(messaging, body)  # the same job again, after its run closed
            await eventually(lambda: running.stats.duplicates == 2, what="third copy handled")
            await eventually(lambda: _is(queue_depth(messaging, messaging.queue_url), 0))
        assert running.stats.started == 1
        runs = await env.client.list_workflows(status="CLOSED", workflow_id=workflow_id)
        assert [r.run_id for r in runs] == [handle.run_id]
        assert await env.client.list_workflows(status="OPEN", workflow_id=workflow_id) == []
        assert await drain(messaging, messaging.dlq_url) == []


async def _is(awaitable: Any, expected: Any) -> bool:
    return bool(await awaitable == expected)


LONG = "x" * 40_000

POISON: list[tuple[str, Any, str, str | None]] = [
    ("malformed_json", '{"user_name": "a", ', "malformed_json", "$"),
    (
        "unknown_field",
        {**submission("p-1"), "priority": "high"},
        "schema_violation",
        "$.priority",
    ),
    (
        "file_url_not_https",
        submission(
            "p-2",
            arguments=[
                {"name": "object_id", "type": "string", "value": "x"},
                {
                    "name": "file",
                    "type": "file",
                    "value": "a.txt",
                    "properties": {"url": "http://plain.example/a", "mime_type": "text/plain"},
                },
            ],
        ),
        "schema_violation",
        "$.AWF_workflow_arguments[1].properties.url",
    ),
    ("unknown_slug", submission("p-3", slug="no-such-workflow"), "unknown_workflow", None),
    (
        "missing_argument",
        submission("p-4", arguments=[{"name": "object_id", "type": "string", "value": "x"}]),
        "invalid_arguments",
        None,
    ),
    (
        "argument_of_the_wrong_type",
        submission(
            "p-5", slug="counting", arguments=[{"name": "start", "type": "string", "value": "x"}]
        ),
        "invalid_arguments",
        None,
    ),
    (
        "input_over_swfs_limit",
        submission(
            "p-6",
            slug="counting",
            arguments=[
                {"name": "label", "type": "string", "value": LONG},
                {"name": "start", "type": "integer", "value": 1},
            ],
        ),
        "payload_too_large",
        None,
    ),
    ("app_id_too_long_for_a_tag", submission("p-7", app_id="a" * 256), "invalid_request", None),
]


async def test_every_poison_message_goes_to_the_dlq_unchanged_with_its_reason(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        sent: dict[str, tuple[str, str, str | None]] = {}  # message id -> body, reason, field
        for _, body, reason, field in POISON:
            text = body if isinstance(body, str) else json.dumps(body)
            message_id = await send(
                messaging,
                text,
                MessageAttributes={"origin": {"DataType": "String", "StringValue": "tests"}},
            )
            sent[message_id] = (text, reason, field)
        async with consumer(env) as running:
            await eventually(
                lambda: running.stats.dead_lettered == len(POISON), what="all dead-lettered"
            )
            await eventually(lambda: _is(queue_depth(messaging, messaging.queue_url), 0))
        dead = await drain(messaging, messaging.dlq_url)
        assert running.stats.started == 0
        assert await env.client.list_workflows(status="OPEN") == []
    found = {d["MessageAttributes"][SOURCE_ATTRIBUTE]["StringValue"]: d for d in dead}
    assert set(found) == set(sent)
    for message_id, (text, reason, field) in sent.items():
        attributes = found[message_id]["MessageAttributes"]
        assert found[message_id]["Body"] == text
        assert attributes[REASON_ATTRIBUTE]["StringValue"] == reason, text[:80]
        assert attributes["origin"]["StringValue"] == "tests"
        if field is not None:
            assert attributes[FIELD_ATTRIBUTE]["StringValue"] == field


async def test_an_id_bound_to_another_request_is_a_conflict(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        first = submission(
            "c-1", slug="counting", arguments=[{"name": "start", "type": "integer", "value": 1}]
        )
        other = submission(
            "c-1", slug="counting", arguments=[{"name": "start", "type": "integer", "value": 2}]
        )
        async with consumer(env) as running:
            await send(messaging, first)
            await eventually(lambda: running.stats.started == 1)
            await send(messaging, other)
            await eventually(lambda: running.stats.dead_lettered == 1)
        [dead] = await drain(messaging, messaging.dlq_url)
        assert dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"] == "id_conflict"
        assert json.loads(dead["Body"]) == other


class Order(msgspec.Struct, forbid_unknown_fields=True):
    order: str
    amount: int


def order_mapping(message: Order) -> StartRequest:
    if message.amount < 0:
        raise ArithmeticError("negative amount")
    return StartRequest(
        workflow=counting,
        workflow_id=f"order-{message.order}",
        args=[object()] if message.amount == 13 else [message.amount],  # 13: not JSON
        app_id="shop",
        slug="counting",
        job_number=message.order,
        # an amount of 0 asks for tags of its own, which only the consumer sets
        options={"tag_list": ["mine"]} if message.amount == 0 else {"execution_timeout": 600},
    )


async def test_an_applications_own_schema_and_mapping(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        await send(messaging, {"order": "o-1", "amount": 41})
        await send(messaging, {"order": "o-2", "amount": -1})
        await send(messaging, {"order": "o-3", "amount": 1, "coupon": "x"})
        await send(messaging, {"order": "o-4", "amount": 0})
        await send(messaging, {"order": "o-5", "amount": 13})
        async with consumer(env, schema=Order, mapping=order_mapping) as running:
            await eventually(
                lambda: running.stats.started == 1 and running.stats.dead_lettered == 4
            )
        handle = await env.client.get_workflow_handle("order-o-1")
        assert await handle.result() == "n=42"
        reasons = sorted(
            d["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"]
            for d in await drain(messaging, messaging.dlq_url)
        )
        assert reasons == [
            "invalid_arguments",
            "mapping_error",
            "mapping_error",
            "schema_violation",
        ]


def test_every_reason_is_tested() -> None:
    covered = {p[2] for p in POISON} | {"id_conflict", "mapping_error"}
    assert covered == set(REASONS)


async def test_fifo_messages_start_in_order_per_group(moto_endpoint: str) -> None:
    async with (
        WorkflowEnvironment(workflows=ALL, task_list="messaging") as env,
        LocalMessaging(moto_endpoint, fifo=True) as messaging,
    ):
        for n in range(12):
            group = "g-a" if n % 2 == 0 else "g-b"
            await messaging.sqs.send_message(
                QueueUrl=messaging.queue_url,
                MessageBody=json.dumps(
                    submission(
                        f"f-{n}",
                        slug="counting",
                        arguments=[{"name": "start", "type": "integer", "value": n}],
                    )
                ),
                MessageGroupId=group,
                MessageDeduplicationId=f"f-{n}",
            )
        with capture_logs() as logs:
            async with SqsSubmissions(
                env.client,
                messaging.queue_url,
                messaging.dlq_url,
                workflows=ALL,
                sqs=messaging.sqs,
                wait_time=1,
            ) as running:
                await eventually(lambda: running.stats.started == 12)
    started = [entry["workflow_id"] for entry in logs if entry["event"] == "submission_started"]
    for group_jobs in ([f"f-{n}" for n in range(0, 12, 2)], [f"f-{n}" for n in range(1, 12, 2)]):
        ids = [workflow_id_for("my_awesome_app", job) for job in group_jobs]
        assert [i for i in started if i in ids] == ids


async def test_a_slow_start_keeps_its_message_invisible(
    make_env: Callable[..., WorkflowEnvironment],
) -> None:
    async with make_env() as env:
        messaging = env.messaging
        assert messaging is not None
        release = anyio.Event()

        class SlowClientStarts(SqsSubmissions):
            async def _process(self, message: Any, deleter: Any) -> bool:
                await release.wait()  # the start is "in flight" past the visibility timeout
                return await super()._process(message, deleter)

        await send(messaging, submission("slow-1"))
        async with SlowClientStarts(
            env.client,
            messaging.queue_url,
            messaging.dlq_url,
            workflows=ALL,
            sqs=messaging.sqs,
            wait_time=1,
            visibility_timeout=2,
        ) as running:
            await eventually(lambda: running.stats.received == 1)
            await anyio.sleep(4.5)  # more than twice the visibility timeout
            seen = await messaging.sqs.receive_message(
                QueueUrl=messaging.queue_url, WaitTimeSeconds=0
            )
            assert seen.get("Messages", []) == []
            release.set()
            await eventually(lambda: running.stats.started == 1)
        assert running.stats.received == 1


async def test_a_poison_message_is_deleted_only_once_the_dlq_has_it(moto_endpoint: str) -> None:
    async with (
        WorkflowEnvironment() as env,
        LocalMessaging(moto_endpoint) as messaging,
    ):
        dlq_name = messaging.dlq_url.rsplit("/", 1)[1]
        async with SqsSubmissions(
            env.client,
            messaging.queue_url,
            messaging.dlq_url,
            workflows=ALL,
            sqs=messaging.sqs,
            wait_time=1,
        ) as running:
            await messaging.sqs.delete_queue(QueueUrl=messaging.dlq_url)  # the DLQ is gone
            with capture_logs() as logs:
                await send(messaging, "not json")
                await eventually(lambda: running.stats.retried == 1, what="a failed DLQ send")
            assert [e["reason"] for e in logs if e["event"] == "dead_letter_send_failed"] == [
                "malformed_json"
            ]
            assert await queue_depth(messaging, messaging.queue_url) == 1
            await messaging.sqs.create_queue(QueueName=dlq_name)  # back, at the same URL
            await eventually(lambda: running.stats.dead_lettered == 1, what="the DLQ send")
            await eventually(lambda: _is(queue_depth(messaging, messaging.queue_url), 0))
        [dead] = await drain(messaging, messaging.dlq_url)
        assert dead["Body"] == "not json"
