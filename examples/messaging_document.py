"""Workflow runs over messaging, end to end, as the asynchronous-workflow document describes.

A third-party application, written with plain boto3 and knowing nothing of swfasync:

1. assumes the role it was given and sends the document's JSON message to the task queue;
2. subscribes its own SQS queue to the status topic with the document's filter policy
   (``{"workflow_slug": ["tutorial"], "app_id": ["my_awesome_app"]}``);
3. reads its notifications from that queue.

The platform side is swfasync: ``SqsSubmissions`` starts the ``tutorial`` workflow from the
message, a worker runs it, and ``StatusNotifier`` publishes each status change. Another
application's job runs beside it, and the subscriber never sees its notifications.

Everything runs on this machine: the dev server for SWF, moto's server for SQS, SNS and
STS (``pip install 'swfasync[messaging]'``). Run: ``python examples/messaging_document.py``.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import boto3

from swfasync import activity, workflow
from swfasync.messaging import File, SqsSubmissions, StatusNotifier, workflow_id_for
from swfasync.testing import WorkflowEnvironment

# -- the platform's workflow: the slug in the message is its type name ---------------------


@activity.defn(start_to_close_timeout=timedelta(minutes=5))
async def describe_input(object_id: str, file: File) -> str:
    # A real activity would fetch file.url; the example stays off the network.
    return f"{object_id}: {file.value} ({file.mime_type})"


@workflow.defn(name="tutorial", version="1", task_list="awf")
async def tutorial(object_id: str, file: File) -> str:
    return await workflow.execute_activity(describe_input, object_id, file)


# -- the third-party application: boto3, as in the document ----------------------------------

DOCUMENT_MESSAGE: dict[str, Any] = {
    "user_name": "john.doe@example.com",
    "job_number": "00000000",
    "app_id": "my_awesome_app",
    "AWF_workflow_slug": "tutorial",
    "AWF_workflow_arguments": [
        {"name": "object_id", "type": "string", "value": "my test workflow run"},
        {
            "name": "file",
            "type": "file",
            "value": "input.txt",
            "properties": {
                "url": "https://files.example/input.txt?signed",
                "mime_type": "text/plain",
            },
        },
    ],
}
FILTER_POLICY = {"workflow_slug": ["tutorial"], "app_id": ["my_awesome_app"]}
LOCAL = {"region_name": "us-east-1", "aws_access_key_id": "app", "aws_secret_access_key": "app"}


class ThirdPartyApp:
    """The application's side: blocking boto3 calls (run in a thread by the example)."""

    def __init__(self, endpoint_url: str) -> None:
        sts = boto3.client("sts", endpoint_url=endpoint_url, **LOCAL)
        role = sts.assume_role(
            RoleArn="arn:aws:iam::123456789012:role/AWFSendMessageRole",
            RoleSessionName="my-awesome-role-session",
        )
        credentials = role["Credentials"]
        self.sqs = boto3.client(
            "sqs",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        self.sns = boto3.client("sns", endpoint_url=endpoint_url, **LOCAL)
        self.inbox = ""

    def subscribe(self, topic_arn: str) -> None:
        self.inbox = self.sqs.create_queue(QueueName="my-awesome-app-notifications")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"FilterPolicy": json.dumps(FILTER_POLICY), "RawMessageDelivery": "true"},
        )

    def submit(self, queue_url: str, message: dict[str, Any]) -> None:
        self.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))

    def receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.inbox, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        received = []
        for message in response.get("Messages", []):
            received.append(json.loads(message["Body"]))
            self.sqs.delete_message(QueueUrl=self.inbox, ReceiptHandle=message["ReceiptHandle"])
        return received

    def notifications_until_done(self, timeout: float = 60) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received.extend(self.receive())
            if any(n["status"].startswith("Workflow Completed") for n in received):
                return received
        raise TimeoutError(f"no completion notification within {timeout} s: {received}")


# -- both together -------------------------------------------------------------------------


async def main() -> list[tuple[str, str, str]]:
    async with WorkflowEnvironment(
        workflows=[tutorial], activities=[describe_input], task_list="awf", messaging=True
    ) as env:
        messaging = env.messaging
        assert messaging is not None
        app = await anyio.to_thread.run_sync(ThirdPartyApp, messaging.endpoint_url)
        await anyio.to_thread.run_sync(app.subscribe, messaging.topic_arn)
        with tempfile.TemporaryDirectory() as scratch:
            async with (
                SqsSubmissions(
                    env.client,
                    messaging.queue_url,
                    messaging.dlq_url,
                    workflows=[tutorial],
                    sqs_options=messaging.client_options(),
                    wait_time=1,  # leaving waits for the receives in flight: keep it short
                ),
                StatusNotifier(
                    env.client,
                    messaging.topic_arn,
                    ledger=Path(scratch) / "ledger.sqlite3",
                    interval=0.2,
                    sns_options=messaging.client_options(),
                ),
            ):
                other = {**DOCUMENT_MESSAGE, "app_id": "someone_else", "job_number": "1"}
                await anyio.to_thread.run_sync(app.submit, messaging.queue_url, other)
                await anyio.to_thread.run_sync(app.submit, messaging.queue_url, DOCUMENT_MESSAGE)
                notifications = await anyio.to_thread.run_sync(app.notifications_until_done)
                # The other application's run has finished too, and its statuses were
                # published: none of them reached this subscriber.
                others = await env.client.get_workflow_handle(workflow_id_for("someone_else", "1"))
                await others.result()
                await anyio.sleep(0.5)  # a notifier scan or two
                notifications.extend(await anyio.to_thread.run_sync(app.receive))
        notifications.sort(key=lambda n: n["status_code"])
        for n in notifications:
            print(f"{n['status_code']} {n['status']:<34} {n['app_id']} {n['job_number']}")
        print("result:", notifications[-1]["result"])
        return [(n["status"], n["app_id"], n["workflow_slug"]) for n in notifications]


if __name__ == "__main__":
    asyncio.run(main())
