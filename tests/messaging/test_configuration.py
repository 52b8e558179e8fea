"""Mistakes in setting up the consumer or the notifier are errors at once, never a hang."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.config import Config

from swfasync.client import Client
from swfasync.exceptions import ConfigurationError
from swfasync.messaging import LocalMessaging, SqsSubmissions, StatusNotifier

from .workflows import ALL


async def test_queues_and_topics_that_cannot_be_used(moto_endpoint: str, tmp_path: Path) -> None:
    async with (
        LocalMessaging(moto_endpoint) as messaging,
        LocalMessaging(moto_endpoint, fifo=True) as fifo,
        Client.local("http://127.0.0.1:9", retry_timeout=0) as client,
    ):
        missing = messaging.queue_url + "-missing"
        with pytest.raises(ConfigurationError, match="-missing"):
            async with SqsSubmissions(client, missing, messaging.dlq_url, sqs=messaging.sqs):
                pass
        with pytest.raises(ConfigurationError, match="dead-letter queue must be too"):
            async with SqsSubmissions(client, fifo.queue_url, messaging.dlq_url, sqs=fifo.sqs):
                pass
        with pytest.raises(ConfigurationError, match="-missing"):
            async with StatusNotifier(
                client,
                messaging.topic_arn + "-missing",
                ledger=tmp_path / "ledger.sqlite3",
                sns=messaging.sns,
            ):
                pass
    assert not (tmp_path / "ledger.sqlite3").exists()  # refused before opening anything


def test_arguments_that_cannot_work() -> None:
    client = Client.local("http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="mapping"):
        SqsSubmissions(client, "q", "d", schema=dict)
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        SqsSubmissions(client, "q", "d", workflows=ALL, max_concurrency=0)
    with pytest.raises(ConfigurationError, match="wait_time"):
        SqsSubmissions(client, "q", "d", workflows=ALL, wait_time=21)
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        StatusNotifier(client, "arn:aws:sns:us-east-1:1:t", max_concurrency=0)


async def test_an_unreachable_sqs_or_sns_endpoint_is_an_error_at_once(tmp_path: Path) -> None:
    nowhere = {
        "endpoint_url": "http://127.0.0.1:9",
        "region_name": "us-east-1",
        "aws_access_key_id": "x",
        "aws_secret_access_key": "x",
        "config": Config(retries={"max_attempts": 1}, connect_timeout=2),
    }
    client = Client.local("http://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        async with SqsSubmissions(
            client, "http://127.0.0.1:9/1/q", "http://127.0.0.1:9/1/d", sqs_options=nowhere
        ):
            pass
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        async with StatusNotifier(
            client,
            "arn:aws:sns:us-east-1:1:t",
            ledger=tmp_path / "ledger.sqlite3",
            sns_options=nowhere,
        ):
            pass
