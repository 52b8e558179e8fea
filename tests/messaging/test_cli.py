"""The commands, as a user runs them: ``swfasync dev-server --messaging``, ``worker``,
``sqs-consumer`` and ``notifier`` in their own processes, configured through the
environment, and a boto3 application on the other side."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import boto3  # type: ignore[import-untyped]
import pytest
from anyio.abc import Process

from .test_crash import ROOT, lines_until
from .workflows import submission

AWS_SETTINGS = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    }
)
CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}


@asynccontextmanager
async def command(*argv: str, env: dict[str, str] | None = None) -> AsyncIterator[Process]:
    """``swfasync ARGV`` in a child process, stopped with SIGTERM (it must exit 0)."""
    process = await anyio.open_process(
        [sys.executable, "-m", "swfasync.cli", *argv],
        cwd=ROOT,
        # No AWS credentials or region: the commands fill placeholders for loopback.
        env={**{k: v for k, v in os.environ.items() if k not in AWS_SETTINGS}, **(env or {})},
        stderr=None,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        with anyio.move_on_after(20) as scope:
            await process.wait()
        if scope.cancelled_caught:
            process.kill()
            await process.wait()
            raise AssertionError(f"swfasync {argv[0]} did not stop on SIGTERM")
    assert process.returncode == 0, (argv[0], process.returncode)


def receive_until_completed(sqs: Any, url: str, processes: list[Process]) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    # Four processes (moto's server among them) starting on a shared, loaded machine can
    # take minutes; on a quiet one the first notifications arrive within seconds.
    for _ in range(240):
        ended = [p.returncode for p in processes if p.returncode is not None]
        assert not ended, f"a command ended early with {ended} (its stderr is above)"
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            notes.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if any(n["status"] == "Workflow Completed Successfully" for n in notes):
            return notes
    raise AssertionError(f"no completion notification: {notes}")


@pytest.mark.timeout(330)
async def test_the_commands_run_the_document_end_to_end(tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        server = await stack.enter_async_context(command("dev-server", "--messaging"))
        lines = await lines_until(server, lambda seen: len(seen) >= 6)
        settings = dict(line.split("=", 1) for line in lines[1:6])
        env = {
            "SWFASYNC_ENDPOINT_URL": lines[0],
            "AWS_ENDPOINT_URL_SQS": settings["AWS_ENDPOINT_URL_SQS"],
            "AWS_ENDPOINT_URL_SNS": settings["AWS_ENDPOINT_URL_SNS"],
        }
        swf = boto3.client("swf", endpoint_url=lines[0], **CREDENTIALS)
        swf.register_domain(name="default", workflowExecutionRetentionPeriodInDays="1")
        endpoint = settings["AWS_ENDPOINT_URL_SQS"]
        sqs = boto3.client("sqs", endpoint_url=endpoint, **CREDENTIALS)
        sns = boto3.client("sns", endpoint_url=endpoint, **CREDENTIALS)
        inbox = sqs.create_queue(QueueName="cli-app")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=settings["SWFASYNC_TOPIC_ARN"],
            Protocol="sqs",
            Endpoint=inbox_arn["Attributes"]["QueueArn"],
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicy": json.dumps({"workflow_slug": ["tutorial"]}),
            },
        )
        processes = [server]
        # The notifier follows runs started from --since; left to itself it would follow
        # those started after it came up, which on a loaded machine can be after the
        # submission below.
        since = datetime.now(UTC).isoformat()
        notifier = await stack.enter_async_context(
            command(
                "notifier",
                "--topic-arn",
                settings["SWFASYNC_TOPIC_ARN"],
                "--ledger",
                str(tmp_path / "ledger.sqlite3"),
                "--interval",
                "0.2",
                "--since",
                since,
                env=env,
            )
        )
        worker = await stack.enter_async_context(
            command("worker", "tests.messaging.workflows", "--task-list", "messaging", env=env)
        )
        consumer = await stack.enter_async_context(
            command(
                "sqs-consumer",
                "--queue-url",
                settings["SWFASYNC_QUEUE_URL"],
                "--dlq-url",
                settings["SWFASYNC_DLQ_URL"],
                "--wait-time",
                "1",
                "tests.messaging.workflows",
                env=env,
            )
        )
        processes += [notifier, worker, consumer]
        sqs.send_message(
            QueueUrl=settings["SWFASYNC_QUEUE_URL"], MessageBody=json.dumps(submission("cli-1"))
        )
        notes = await anyio.to_thread.run_sync(receive_until_completed, sqs, inbox, processes)
        assert notifier.returncode is None
    assert [n["status_code"] for n in sorted(notes, key=lambda n: n["status_code"])] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert {n["job_number"] for n in notes} == {"cli-1"}
