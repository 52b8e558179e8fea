"""One error tree: what the SDK raises is an SwfAsyncError in SWF's terms, botocore's error
kept as the cause, and the tree drawn in ``swfasync.exceptions`` is the real one."""

from __future__ import annotations

import re
import socket
import time
from typing import Any

import anyio
import pytest
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

import swfasync.exceptions as x
from swfasync import Client
from swfasync._client.errors import translate
from swfasync._wire import api
from swfasync._wire.common import WorkflowExecution
from swfasync.testing import WorkflowEnvironment
from tests.client.test_fast_transport import scripted_server


def public_errors() -> list[type[BaseException]]:
    return [getattr(x, name) for name in x.__all__]


def test_every_public_error_is_in_the_tree_and_drawn() -> None:
    defined = {
        name
        for name, value in vars(x).items()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == x.__name__
    }
    assert defined == set(x.__all__)
    drawing = x.__doc__ or ""
    for error in public_errors():
        assert issubclass(error, x.SwfAsyncError), error
        assert re.search(rf"\b{error.__name__}\b", drawing), f"{error.__name__} is not drawn"


def test_the_drawing_says_who_is_whose_child() -> None:
    drawing = (x.__doc__ or "").split("::", 1)[1].split("\n\n")[1]
    parents: list[tuple[int, list[str]]] = []
    checked = 0
    for line in drawing.splitlines():
        marker = re.search(r"[├└]── ", line)
        if marker is None:
            if line.strip() == "SwfAsyncError":
                parents = [(-1, ["SwfAsyncError"])]
            continue
        column = marker.start()
        names = re.findall(r"\b[A-Z]\w+Error\b", line[marker.end() :].split("  ")[0])
        while parents and parents[-1][0] >= column:
            parents.pop()
        for name in names:
            for parent in parents[-1][1]:
                assert issubclass(getattr(x, name), getattr(x, parent)), (name, parent)
                checked += 1
        parents.append((column, names))
    assert checked >= len(x.__all__) - 1


def fault(code: str, status: int = 400, operation: str = "DescribeWorkflowExecution") -> Any:
    response = {
        "Error": {"Code": code, "Message": f"SWF says {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "status", "operation", "expected"),
    [
        ("UnknownResourceFault", 400, "DescribeWorkflowExecution", x.WorkflowNotFoundError),
        ("UnknownResourceFault", 400, "RespondActivityTaskCompleted", x.ActivityTaskNotFoundError),
        ("UnknownResourceFault", 400, "StartWorkflowExecution", x.UnknownResourceError),
        ("TypeAlreadyExistsFault", 400, "RegisterWorkflowType", x.AlreadyExistsError),
        ("TypeDeprecatedFault", 400, "StartWorkflowExecution", x.DeprecatedError),
        ("ThrottlingException", 400, "ListDomains", x.ThrottlingError),
        ("LimitExceededFault", 400, "StartWorkflowExecution", x.ThrottlingError),
        ("OperationNotPermittedFault", 400, "StartWorkflowExecution", x.AccessDeniedError),
        ("UnrecognizedClientException", 400, "ListDomains", x.AccessDeniedError),
        ("ValidationException", 400, "StartWorkflowExecution", x.InvalidRequestError),
        ("DefaultUndefinedFault", 400, "StartWorkflowExecution", x.InvalidRequestError),
        ("InternalFailure", 500, "ListDomains", x.ServiceUnavailableError),
        ("503", 503, "ListDomains", x.ServiceUnavailableError),
        ("SomethingNew", 400, "ListDomains", x.SwfServiceError),
    ],
)
def test_faults_become_the_sdks_errors(
    code: str, status: int, operation: str, expected: type[x.SwfServiceError]
) -> None:
    original = fault(code, status, operation)
    request = api.DescribeWorkflowExecutionInput(
        domain="d", execution=WorkflowExecution(workflow_id="w", run_id="r")
    )
    error = translate(original, operation=operation, endpoint="http://swf", request=request)
    assert type(error) is expected
    assert isinstance(error, ClientError)  # code written against botocore keeps working
    assert (error.code, error.operation, error.response) == (code, operation, original.response)
    if isinstance(error, x.WorkflowNotFoundError):
        assert (error.workflow_id, error.run_id, error.domain) == ("w", "r", "d")


def test_an_unknown_execution_is_named_from_the_request_that_met_it() -> None:
    signal = api.SignalWorkflowExecutionInput(
        domain="orders", workflow_id="order-7", run_id="r7", signal_name="approve"
    )
    error = translate(
        fault("UnknownResourceFault", operation="SignalWorkflowExecution"),
        operation="SignalWorkflowExecution",
        endpoint="http://swf",
        request=signal,
    )
    assert isinstance(error, x.WorkflowNotFoundError)
    assert (error.workflow_id, error.run_id, error.domain) == ("order-7", "r7", "orders")


def test_setup_failures_are_configuration_errors() -> None:
    error = translate(NoCredentialsError(), operation="ListDomains", endpoint="http://swf")
    assert isinstance(error, x.ConfigurationError)
    assert "ListDomains" in str(error)


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_endpoint_is_a_connection_error_naming_it() -> None:
    endpoint = f"http://127.0.0.1:{unused_port()}"
    async with Client.local(endpoint, "d", retry_timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(x.SwfConnectionError) as caught:
            await client.count_workflows()
        waited = time.monotonic() - started
    assert caught.value.endpoint == endpoint
    assert endpoint in str(caught.value)
    assert caught.value.operation == "CountOpenWorkflowExecutions"
    assert caught.value.attempts > 1
    assert 0.2 < waited < 5
    assert isinstance(caught.value.__cause__, BotoCoreError | OSError)
    assert isinstance(caught.value, ConnectionError)


async def test_retrying_is_the_callers_to_bound() -> None:
    endpoint = f"http://127.0.0.1:{unused_port()}"
    async with Client.local(endpoint, "d", retry_timeout=0) as client:
        with pytest.raises(x.SwfConnectionError) as caught:
            await client.count_workflows()
    assert caught.value.attempts == 1
    async with Client.local(endpoint, "d", retry_timeout=None) as client:
        with pytest.raises(TimeoutError), anyio.fail_after(0.5):
            await client.count_workflows()  # would retry until cancelled


async def test_throttling_is_retried_past_botocores_own_attempts() -> None:
    throttled = (400, b'{"__type": "ThrottlingException", "message": "slow down"}')
    answers = [throttled] * 7 + [(200, b'{"count": 3, "truncated": false}')]
    async with (
        scripted_server(*answers) as server,
        Client.local(server.url, "d") as client,
    ):
        assert await client.count_workflows() == 3
    assert len(server.requests) == 8  # botocore alone stops after 6 (the SDK's config)


async def test_throttling_past_the_deadline_is_a_throttling_error() -> None:
    throttled = (400, b'{"__type": "ThrottlingException", "message": "slow down"}')
    async with (
        scripted_server(throttled) as server,
        Client.local(server.url, "d", retry_timeout=0.3) as client,
    ):
        with pytest.raises(x.ThrottlingError) as caught:
            await client.count_workflows()
    assert caught.value.code == "ThrottlingException"
    assert isinstance(caught.value.__cause__, ClientError)


async def test_swf_faults_reach_users_in_swf_terms() -> None:
    async with WorkflowEnvironment() as env:
        client = env.client
        missing = await client.get_workflow_handle("nope", "no-run")
        for call in (missing.describe(), missing.signal("go"), missing.cancel()):
            with pytest.raises(x.WorkflowNotFoundError) as caught:
                await call
            assert (caught.value.workflow_id, caught.value.run_id) == ("nope", "no-run")
            assert isinstance(caught.value.__cause__, ClientError)
            assert "nope" in str(caught.value)
        with pytest.raises(x.WorkflowNotFoundError) as latest:
            await client.get_workflow_handle("nope")
        assert latest.value.run_id is None
        assert isinstance(latest.value, LookupError)
        with pytest.raises(x.UnknownResourceError) as unknown:
            await client.start_workflow("NotRegistered", version="1", id="w")
        assert unknown.value.code == "UnknownResourceFault"
        with pytest.raises(x.ActivityTaskNotFoundError):
            await client.complete_activity("no-such-token", "done")


def test_a_closed_client_says_so() -> None:
    client = Client.local("http://127.0.0.1:9", "x")
    with pytest.raises(x.ClientClosedError, match="not open"):
        _ = client.raw


def test_the_package_exports_the_errors_users_catch_first() -> None:
    import swfasync

    exported = {name for name in swfasync.__all__ if name.endswith("Error")}
    assert {
        "SwfAsyncError",
        "SwfValidationError",
        "ArgumentTypeError",
        "SwfConnectionError",
        "WorkflowNotFoundError",
        "WorkflowAlreadyStartedError",
        "WorkflowIdConflictError",
    } <= exported
    for name in exported:
        assert getattr(swfasync, name) is getattr(x, name)


async def test_an_unusable_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(x.ConfigurationError, match="not a url"):
        async with Client.local("not a url", "d"):
            pass


async def test_a_server_that_never_answers_is_cut_at_the_deadline() -> None:
    from aiohttp import web

    async def hang(request: web.Request) -> web.Response:
        await anyio.sleep(60)
        return web.Response()

    app = web.Application()
    app.router.add_post("/", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    endpoint = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with Client.local(endpoint, "d", retry_timeout=0.5) as client:
            started = time.monotonic()
            with pytest.raises(x.SwfConnectionError, match="no answer within") as caught:
                await client.count_workflows()
            assert time.monotonic() - started < 3
        assert caught.value.endpoint == endpoint
    finally:
        await runner.cleanup()
