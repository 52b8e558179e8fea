"""Three independent SWF clients behind one call signature, every response validated.

A scenario is written once against ``SwfApi`` (``await swf("StartWorkflowExecution", ...)``)
and runs unchanged through aiobotocore, boto3 (in a worker thread) or the AWS CLI (a
subprocess per call). Each adapter returns the response as JSON data (timestamps as epoch
seconds) and raises ``SwfFault`` for an SWF fault, so scenarios cannot tell them apart.

Validation happens where each client sees the response:

* aiobotocore and boto3: a ``before-parse`` handler checks the raw HTTP response (status,
  headers, the wire JSON) before botocore's parser can smooth anything over;
* the AWS CLI: its ``--output json`` stdout is checked against the output shape, its
  stderr parsed for the fault name.

A ``Checker`` decides what a problem does: raise at once (the dev server) or be kept for a
test to compare with a list of known deviations (moto).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.to_thread
import boto3  # type: ignore[import-untyped]
import botocore.config
import botocore.exceptions
from aiobotocore.session import get_session  # type: ignore[import-untyped]
from botocore import xform_name

from .coverage import Coverage
from .validation import (
    OutputValidator,
    Problem,
    ResponseValidationError,
    service_model,
    validate_wire_response,
)

__all__ = [
    "CLIENT_KINDS",
    "Checker",
    "SwfApi",
    "SwfFault",
    "aiobotocore_api",
    "boto3_api",
    "cli_api",
    "open_api",
]

REGION = "us-east-1"
#: Longer than the 60 s an SWF long-poll may be held.
READ_TIMEOUT = 75
AWS_CLI = str(Path(sys.executable).with_name("aws"))


class SwfFault(Exception):
    """An SWF fault, as any of the three clients reports it."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message


class SwfApi(Protocol):
    """One SWF client: ``await swf("Operation", **params)`` returns the response as JSON data."""

    kind: str

    async def __call__(self, operation: str, /, **params: Any) -> dict[str, Any]: ...


@dataclass
class Checker:
    """Where validation problems and coverage go for one server under test.

    Args:
        coverage: the registry to record into, or ``None`` for a server whose coverage does
            not count (moto).
        strict: raise ``ResponseValidationError`` on the first bad response; otherwise keep
            every problem in ``problems`` as ``(operation, problem)``.
    """

    coverage: Coverage | None = None
    strict: bool = True
    problems: list[tuple[str, Problem]] = field(default_factory=list)

    def check(
        self, operation: str, body: object, problems: list[Problem], fault: str | None
    ) -> None:
        """Deliver the verdict on one response, and record it if it was a success."""
        if problems:
            if self.strict:
                raise ResponseValidationError(operation, problems, body)
            self.problems.extend((operation, p) for p in problems)
        if self.coverage is not None:
            if fault is None:
                self.coverage.record(operation, None, body)
            else:
                self.coverage.record_fault(fault)

    def sent(self, operation: str, request: Mapping[str, Any] | None) -> None:
        """Record the request of a call that succeeded (the decisions it carried)."""
        if self.coverage is not None and request is not None:
            self.coverage.record(operation, request, None)


# --- botocore-based clients -----------------------------------------------------------------

_REQUEST_KEY = "conformance_request"


def _client_config() -> botocore.config.Config:
    # One attempt: a retried 5xx or throttle would hide exactly what conformance looks for.
    return botocore.config.Config(
        retries={"total_max_attempts": 1},
        read_timeout=READ_TIMEOUT,
        connect_timeout=5,
    )


def install_hooks(events: Any, checker: Checker) -> None:
    """Validate every raw SWF response a botocore or aiobotocore client receives.

    ``before-parse`` sees the raw HTTP response, before botocore's parser can smooth it over;
    ``before-parameter-build`` keeps the request in the call's context for ``after-call`` to
    record what a successful call sent.
    """

    def keep_request(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_REQUEST_KEY] = dict(params)

    def check_raw(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
        status = response_dict["status_code"]
        body, problems = validate_wire_response(
            operation_model, status, response_dict["headers"], response_dict["body"]
        )
        fault = None
        if status >= 300:
            fault = body.get("__type") if isinstance(body, dict) else None
            fault = fault if isinstance(fault, str) else "<malformed>"
        checker.check(operation_model.name, body, problems, fault)

    def record_call(http_response: Any, model: Any, context: Mapping[str, Any], **_: Any) -> None:
        if http_response is not None and http_response.status_code < 300:
            checker.sent(model.name, context.get(_REQUEST_KEY))

    events.register("before-parameter-build.swf", keep_request)
    events.register("before-parse.swf", check_raw)
    events.register("after-call.swf", record_call)


def _json_ready(value: Any) -> Any:
    """botocore's parsed response as the wire had it: datetimes back to epoch seconds."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def _fault(operation: str, exc: botocore.exceptions.ClientError) -> SwfFault:
    error = exc.response.get("Error", {})
    return SwfFault(operation, str(error.get("Code")), str(error.get("Message")))


@dataclass
class _BotocoreApi:
    kind: str
    call_method: Callable[[str, dict[str, Any]], Any]

    async def __call__(self, operation: str, /, **params: Any) -> dict[str, Any]:
        try:
            response = await self.call_method(operation, params)
        except botocore.exceptions.ClientError as exc:
            raise _fault(operation, exc) from None
        return dict(_json_ready(response))


@asynccontextmanager
async def aiobotocore_api(endpoint: str, checker: Checker) -> AsyncIterator[SwfApi]:
    """An aiobotocore SWF client on ``endpoint``, closed on exit."""
    session = get_session()
    async with session.create_client(
        "swf",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=_client_config(),
    ) as client:
        install_hooks(client.meta.events, checker)

        async def call(operation: str, params: dict[str, Any]) -> Any:
            return await getattr(client, xform_name(operation))(**params)

        yield _BotocoreApi("aiobotocore", call)


@contextmanager
def _boto3_client(endpoint: str, checker: Checker) -> Iterator[Any]:
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION
    )
    client = session.client("swf", endpoint_url=endpoint, config=_client_config())
    try:
        install_hooks(client.meta.events, checker)
        yield client
    finally:
        client.close()


@asynccontextmanager
async def boto3_api(endpoint: str, checker: Checker) -> AsyncIterator[SwfApi]:
    """A boto3 SWF client on ``endpoint``; its blocking calls run in worker threads."""
    with _boto3_client(endpoint, checker) as client:

        async def call(operation: str, params: dict[str, Any]) -> Any:
            method = getattr(client, xform_name(operation))
            return await anyio.to_thread.run_sync(partial(method, **params))

        yield _BotocoreApi("boto3", call)


# --- the AWS CLI ------------------------------------------------------------------------------

_CLI_FAULT = re.compile(
    r"An error occurred \((?P<code>[^)]+)\) when calling the \w+ operation"
    r"(?: \(reached max retries: \d+\))?: ?"
)


def cli_environment() -> dict[str, str]:
    """The AWS CLI's environment: dummy credentials, no user config, no retries, no IMDS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        AWS_PAGER="",
    )
    return env


@dataclass
class _CliApi:
    endpoint: str
    checker: Checker
    kind: str = "awscli"
    env: dict[str, str] = field(default_factory=cli_environment)

    async def __call__(self, operation: str, /, **params: Any) -> dict[str, Any]:
        command = [
            AWS_CLI,
            "swf",
            xform_name(operation, "-"),
            "--cli-input-json",
            json.dumps(params),
            "--endpoint-url",
            self.endpoint,
            "--region",
            REGION,
            "--output",
            "json",
            "--no-paginate",
            "--cli-read-timeout",
            str(READ_TIMEOUT),
        ]
        result = await anyio.run_process(command, check=False, env=self.env)
        stdout = result.stdout.decode()
        stderr = result.stderr.decode()
        if result.returncode != 0:
            match = _CLI_FAULT.search(stderr)
            # AWS CLI v1 exits 255 on a service error, v2 exits 254
            if result.returncode not in {254, 255} or match is None:
                raise AssertionError(f"aws swf {command[2]} exited {result.returncode}: {stderr}")
            self.checker.check(operation, None, [], match["code"])
            raise SwfFault(operation, match["code"], stderr[match.end() :].strip())
        body = json.loads(stdout) if stdout.strip() else {}
        output_shape = service_model().operation_model(operation).output_shape
        problems = OutputValidator(timestamps="epoch-or-iso").problems(body, output_shape)
        self.checker.check(operation, body, problems, None)
        self.checker.sent(operation, params)
        return dict(body)


@asynccontextmanager
async def cli_api(endpoint: str, checker: Checker) -> AsyncIterator[SwfApi]:
    """The AWS CLI (``aws swf ...``) on ``endpoint``, one subprocess per call."""
    yield _CliApi(endpoint, checker)


CLIENT_KINDS = ("aiobotocore", "boto3", "awscli")
_OPENERS = {"aiobotocore": aiobotocore_api, "boto3": boto3_api, "awscli": cli_api}


def open_api(kind: str, endpoint: str, checker: Checker) -> Any:
    """``async with open_api(kind, endpoint, checker) as swf`` for any of ``CLIENT_KINDS``."""
    return _OPENERS[kind](endpoint, checker)
