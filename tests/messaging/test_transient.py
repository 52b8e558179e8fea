"""SWF unreachable: a message stays in its queue, comes back, and starts once SWF answers;
the queue's RedrivePolicy caps how often."""

from __future__ import annotations

import socket
from typing import Any

from structlog.testing import capture_logs

from swfasync.client import Client
from swfasync.messaging import (
    REASON_ATTRIBUTE,
    LocalMessaging,
    SqsSubmissions,
    StartRequest,
    workflow_id_for,
)
from swfasync.testing import WorkflowEnvironment

from .helpers import drain, eventually, queue_depth, send
from .workflows import ALL, counting, submission


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there once the probe is closed


def to_counting(message: dict[str, Any]) -> StartRequest:
    return StartRequest(workflow=counting, workflow_id="never", args=[1])


def unreachable_swf() -> Client:
    return Client.local(closed_port_url(), retry_timeout=0.2)


async def test_swf_unreachable_leaves_the_message_for_redelivery(moto_endpoint: str) -> None:
    async with (
        WorkflowEnvironment(workflows=ALL, task_list="messaging") as env,
        LocalMessaging(moto_endpoint, max_receive_count=5) as messaging,
        unreachable_swf() as down,
    ):
        await send(messaging, submission("t-1"))
        with capture_logs() as logs:
            async with SqsSubmissions(
                down,
                messaging.queue_url,
                messaging.dlq_url,
                workflows=ALL,
                sqs=messaging.sqs,
                wait_time=1,
                register=False,
            ) as failing:
                await eventually(lambda: failing.stats.retried == 1, what="a failed start")
        assert failing.stats.dead_lettered == 0
        assert [e["transient"] for e in logs if e["event"] == "start_failed_will_retry"] == [True]
        assert await queue_depth(messaging, messaging.queue_url) == 1
        async with SqsSubmissions(
            env.client,
            messaging.queue_url,
            messaging.dlq_url,
            workflows=ALL,
            sqs=messaging.sqs,
            wait_time=1,
        ) as working:
            await eventually(lambda: working.stats.started == 1, what="the start, redelivered")
        handle = await env.client.get_workflow_handle(workflow_id_for("my_awesome_app", "t-1"))
        await handle.result()
        assert await drain(messaging, messaging.dlq_url) == []


async def test_the_redrive_policy_caps_redeliveries(moto_endpoint: str) -> None:
    async with (
        LocalMessaging(moto_endpoint, max_receive_count=1) as messaging,
        unreachable_swf() as down,
    ):
        body = '{"job": "never reachable"}'
        await send(messaging, body)
        async with SqsSubmissions(
            down,
            messaging.queue_url,
            messaging.dlq_url,
            schema=dict,
            mapping=to_counting,
            sqs=messaging.sqs,
            wait_time=1,
            register=False,
        ) as failing:

            async def redriven() -> bool:
                return await queue_depth(messaging, messaging.dlq_url) == 1

            await eventually(redriven, what="SQS's own redrive to the DLQ")
        [dead] = await drain(messaging, messaging.dlq_url)
        assert dead["Body"] == body
        assert REASON_ATTRIBUTE not in dead.get("MessageAttributes", {})  # SQS moved it
        assert failing.stats.retried >= 1
        assert failing.stats.dead_lettered == 0


async def test_an_unregistered_type_is_a_dead_letter_an_unknown_domain_is_not(
    moto_endpoint: str,
) -> None:
    async with (
        WorkflowEnvironment() as env,  # nothing registered but the domain
        LocalMessaging(moto_endpoint) as messaging,
        Client.local(env.server.endpoint_url, "no-such-domain", retry_timeout=0) as elsewhere,
    ):
        await send(messaging, {"job": "1"})
        with capture_logs() as logs:
            async with SqsSubmissions(
                elsewhere,
                messaging.queue_url,
                messaging.dlq_url,
                schema=dict,
                mapping=to_counting,
                sqs=messaging.sqs,
                register=False,
                wait_time=1,
            ) as wrong_domain:
                await eventually(lambda: wrong_domain.stats.retried == 1)
        assert wrong_domain.stats.dead_lettered == 0
        assert any(e["event"] == "domain_unknown" for e in logs)
        async with SqsSubmissions(
            env.client,
            messaging.queue_url,
            messaging.dlq_url,
            schema=dict,
            mapping=to_counting,
            sqs=messaging.sqs,
            register=False,
            wait_time=1,
        ) as unregistered:
            await eventually(lambda: unregistered.stats.dead_lettered == 1)
        [dead] = await drain(messaging, messaging.dlq_url)
        assert dead["MessageAttributes"][REASON_ATTRIBUTE]["StringValue"] == "unknown_workflow"
