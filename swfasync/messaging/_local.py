"""SQS and SNS on this machine: moto's server in a child process, and the queues and topic
the consumer and notifier need, created on it.

moto's server speaks the real SQS and SNS protocols over HTTP, so the same aiobotocore and
boto3 clients that talk to AWS talk to it: long polls, visibility timeouts, redrive to a
dead-letter queue, SNS to SQS subscriptions with raw delivery and filter policies. It is
not fast (a few hundred sends per second). It needs the ``swfasync[messaging]`` extra.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Final

import anyio

from ..exceptions import ConfigurationError
from ._aws import create_client

LOCAL_CREDENTIALS: Final = {
    "region_name": "us-east-1",
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
}
START_TIMEOUT: Final = 60.0


class MotoServer:
    """moto's server in a child process on ``host`` (a free port).

    Example::

        with MotoServer() as moto:
            print(moto.endpoint_url)

    The child serves until :meth:`stop` or until this process ends, however it ends.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._process: subprocess.Popen[str] | None = None
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the moto server is not running: call start() first")
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Start the child and wait until it serves; returns its endpoint URL."""
        try:
            import moto  # noqa: F401
        except ImportError as error:
            raise ConfigurationError(
                "local SQS and SNS need moto's server: pip install 'swfasync[messaging]'"
            ) from error
        process = subprocess.Popen(
            [sys.executable, "-m", "swfasync.messaging._moto_process", self.host],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._process = process
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(process.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT)
        if not line or not line[0].strip().isdigit():
            self.stop()
            raise ConfigurationError(
                f"moto's server did not start within {START_TIMEOUT:g} s"
                f" (exit status {process.poll()})"
            )
        self.port = int(line[0])
        return self.endpoint_url

    def stop(self) -> None:
        """Stop the child (closing its standard input ends it) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self.port = None

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalMessaging:
    """A submission queue with its dead-letter queue, and a status topic, on moto's server.

    Example::

        async with LocalMessaging() as messaging:   # starts its own moto server
            print(messaging.queue_url, messaging.dlq_url, messaging.topic_arn)

    Args:
        endpoint_url: a running moto server to create them on (default: start one).
        prefix: the names' prefix (default: a fresh one, so several sets share a server).
        fifo: FIFO queues and topic (names ending in ``.fifo``).
        max_receive_count: the queue's RedrivePolicy: deliveries before SQS itself moves a
            message to the dead-letter queue.
        visibility_timeout: the queue's default visibility timeout, in seconds.
    """

    def __init__(
        self,
        endpoint_url: str | None = None,
        *,
        prefix: str | None = None,
        fifo: bool = False,
        max_receive_count: int = 5,
        visibility_timeout: int = 30,
    ) -> None:
        self._given_endpoint = endpoint_url
        self.prefix = prefix or f"swfasync-{uuid.uuid4().hex[:8]}"
        self.fifo = fifo
        self.max_receive_count = max_receive_count
        self.visibility_timeout = visibility_timeout
        self._server: MotoServer | None = None
        self._stack = AsyncExitStack()
        self.sqs: Any = None
        self.sns: Any = None
        self.queue_url = ""
        self.dlq_url = ""
        self.topic_arn = ""

    @property
    def endpoint_url(self) -> str:
        if self._given_endpoint is not None:
            return self._given_endpoint
        if self._server is None:
            raise RuntimeError("the local messaging is not running")
        return self._server.endpoint_url

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for an SQS or SNS client of this server (aiobotocore or boto3)."""
        return {"endpoint_url": self.endpoint_url, **LOCAL_CREDENTIALS}

    def describe(self) -> str:
        """Shell assignments for the commands and clients that use these resources::

        AWS_ENDPOINT_URL_SQS=http://127.0.0.1:...
        AWS_ENDPOINT_URL_SNS=http://127.0.0.1:...
        SWFASYNC_QUEUE_URL=...
        SWFASYNC_DLQ_URL=...
        SWFASYNC_TOPIC_ARN=...
        """
        return "".join(
            f"{name}={value}\n"
            for name, value in (
                ("AWS_ENDPOINT_URL_SQS", self.endpoint_url),
                ("AWS_ENDPOINT_URL_SNS", self.endpoint_url),
                ("SWFASYNC_QUEUE_URL", self.queue_url),
                ("SWFASYNC_DLQ_URL", self.dlq_url),
                ("SWFASYNC_TOPIC_ARN", self.topic_arn),
            )
        )

    def _name(self, base: str) -> str:
        return f"{self.prefix}-{base}" + (".fifo" if self.fifo else "")

    async def __aenter__(self) -> LocalMessaging:
        try:
            if self._given_endpoint is None:
                self._server = MotoServer()
                await anyio.to_thread.run_sync(self._server.start)
                self._stack.callback(self._server.stop)
            self.sqs = await self._stack.enter_async_context(
                create_client("sqs", **self.client_options())
            )
            self.sns = await self._stack.enter_async_context(
                create_client("sns", **self.client_options())
            )
            fifo = {"FifoQueue": "true"} if self.fifo else {}
            self.dlq_url = (
                await self.sqs.create_queue(QueueName=self._name("dlq"), Attributes=fifo)
            )["QueueUrl"]
            dlq_arn = await self.queue_arn(self.dlq_url)
            redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": self.max_receive_count}
            self.queue_url = (
                await self.sqs.create_queue(
                    QueueName=self._name("submissions"),
                    Attributes={
                        **fifo,
                        "RedrivePolicy": json.dumps(redrive),
                        "VisibilityTimeout": str(self.visibility_timeout),
                    },
                )
            )["QueueUrl"]
            topic_attributes = {"FifoTopic": "true"} if self.fifo else {}
            self.topic_arn = (
                await self.sns.create_topic(Name=self._name("status"), Attributes=topic_attributes)
            )["TopicArn"]
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
        await self._stack.aclose()

    async def queue_arn(self, queue_url: str) -> str:
        attributes = await self.sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )
        return str(attributes["Attributes"]["QueueArn"])

    async def subscribe_queue(
        self, name: str, filter_policy: dict[str, list[Any]] | None = None
    ) -> str:
        """A new queue subscribed to the status topic (raw delivery, optional filter
        policy on the message attributes); returns its URL."""
        attributes = {"FifoQueue": "true"} if self.fifo else {}
        url = str(
            (await self.sqs.create_queue(QueueName=self._name(name), Attributes=attributes))[
                "QueueUrl"
            ]
        )
        subscription: dict[str, str] = {"RawMessageDelivery": "true"}
        if filter_policy is not None:
            subscription["FilterPolicy"] = json.dumps(filter_policy)
        await self.sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=await self.queue_arn(url),
            Attributes=subscription,
        )
        return url
