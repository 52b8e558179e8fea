"""The pytest plugin's messaging fixtures, as a user's test suite sees them."""

from __future__ import annotations

from swfasync.testing import WorkflowEnvironment

from .helpers import drain, send


async def test_messaging_environment_has_its_own_queues_and_topic(
    messaging_environment: WorkflowEnvironment, moto_server: str
) -> None:
    messaging = messaging_environment.messaging
    assert messaging is not None
    assert messaging.endpoint_url == moto_server
    assert messaging.queue_url.startswith(moto_server)
    assert messaging.topic_arn.startswith("arn:aws:sns:")
    await send(messaging, {"hello": "queue"})
    [received] = await drain(messaging, messaging.queue_url, wait=1)
    assert received["Body"] == '{"hello": "queue"}'
    assert await drain(messaging, messaging.dlq_url) == []
