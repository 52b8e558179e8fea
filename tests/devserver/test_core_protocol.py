"""The wire protocol: dispatch, JSON errors, validation messages, faults. Never a 500."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from botocore.exceptions import ClientError
from structlog.testing import capture_logs

from swfasync.devserver import DevServer
from swfasync.devserver._protocol import MAX_BODY

from .conftest import DOMAIN, Client, Helper, types_of

HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


async def raw(server: DevServer, target: str | None, body: bytes) -> tuple[int, Any]:
    headers = dict(HEADERS)
    if target is not None:
        headers["X-Amz-Target"] = target
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.endpoint_url + "/", data=body, headers=headers) as resp,
    ):
        return resp.status, await resp.json(content_type=None)


@pytest.mark.parametrize(
    ("target", "body", "error_type"),
    [
        ("SimpleWorkflowService.ListDomains", b"{not json", "SerializationException"),
        ("SimpleWorkflowService.ListDomains", b"[1, 2]", "SerializationException"),
        ("SimpleWorkflowService.Nope", b"{}", "UnknownOperationException"),
        (None, b"{}", "UnknownOperationException"),
        ("SimpleWorkflowService.ListDomains", b'{"registrationStatus": 5}', "ValidationException"),
        (
            "SimpleWorkflowService.ListDomains",
            b'{"registrationStatus": "X"}',
            "ValidationException",
        ),
        (
            "SimpleWorkflowService.ListDomains",
            b'{"registrationStatus": "REGISTERED", "maximumPageSize": "a"}',
            "ValidationException",
        ),
        ("SimpleWorkflowService.DescribeDomain", b'{"name": ["x"]}', "ValidationException"),
        ("SimpleWorkflowService.RespondDecisionTaskCompleted", b"{}", "ValidationException"),
    ],
)
async def test_bad_requests_are_400(
    server: DevServer, target: str | None, body: bytes, error_type: str
) -> None:
    status, payload = await raw(server, target, body)
    assert status == 400
    assert payload["__type"].endswith("#" + error_type)
    assert payload["message"]


async def test_validation_message_names_the_field(swf: Client, server: DevServer) -> None:
    with pytest.raises(ClientError) as info:
        await swf.register_domain(name="x" * 257, workflowExecutionRetentionPeriodInDays="1")
    err = info.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert err["Message"] == (
        "1 validation error detected: Value '" + "x" * 64 + "...' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 256"
    )
    status, payload = await raw(
        server, "SimpleWorkflowService.ListDomains", b'{"maximumPageSize": 1001}'
    )
    assert status == 400
    assert payload["__type"] == "com.amazon.coral.validate#ValidationException"
    assert (
        "'registrationStatus' failed to satisfy constraint: Member must not be null"
        in (payload["message"])
    )
    assert (
        "'maximumPageSize' failed to satisfy constraint: Member must have value less than "
        "or equal to 1000"
    ) in payload["message"]
    assert payload["message"].startswith("2 validation errors detected")


async def test_validation_paths_inside_lists_and_structures(server: DevServer) -> None:
    """Nested members are named by their path, list items as ``N.member``, in the model's
    member order whatever the order of the body's keys."""
    body = (
        b'{"decisions": [null, {"startTimerDecisionAttributes": {"timerId": ""},'
        b' "decisionType": "Sleep"}, {"decisionType": "StartTimer"}], "taskToken": 7}'
    )
    status, payload = await raw(server, "SimpleWorkflowService.RespondDecisionTaskCompleted", body)
    assert status == 400
    assert payload["message"] == (
        "5 validation errors detected: "
        "Value 7 at 'taskToken' failed to satisfy constraint: Member must be a string; "
        "Value null at 'decisions.1.member' failed to satisfy constraint: "
        "Member must not be null; "
        "Value 'Sleep' at 'decisions.2.member.decisionType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ScheduleActivityTask, "
        "RequestCancelActivityTask, CompleteWorkflowExecution, FailWorkflowExecution, "
        "CancelWorkflowExecution, ContinueAsNewWorkflowExecution, RecordMarker, StartTimer, "
        "CancelTimer, SignalExternalWorkflowExecution, "
        "RequestCancelExternalWorkflowExecution, StartChildWorkflowExecution, "
        "ScheduleLambdaFunction]; "
        "Value null at 'decisions.2.member.startTimerDecisionAttributes.startToFireTimeout' "
        "failed to satisfy constraint: Member must not be null; "
        "Value '' at 'decisions.2.member.startTimerDecisionAttributes.timerId' failed to "
        "satisfy constraint: Member must have length greater than or equal to 1"
    )


async def test_decision_without_its_required_attributes(swf: Client, h: Helper) -> None:
    await h.start()
    task = await h.decide()
    with pytest.raises(ClientError) as info:
        await h.respond(task, {"decisionType": "StartTimer"})
    assert info.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at "
        "'decisions.1.member.startTimerDecisionAttributes' failed to satisfy constraint: "
        "Member must not be null"
    )
    await h.respond(task, {"decisionType": "CompleteWorkflowExecution"})


async def test_fault_shape(server: DevServer) -> None:
    status, payload = await raw(
        server, "SimpleWorkflowService.DescribeDomain", b'{"name": "missing"}'
    )
    assert status == 400
    assert payload == {
        "__type": "com.amazonaws.swf.base.model#UnknownResourceFault",
        "message": "Unknown domain: missing",
    }


async def fault(coro: Any) -> str:
    with pytest.raises(ClientError) as info:
        await coro
    code: str = info.value.response["Error"]["Code"]
    return code


async def test_all_faults(swf: Client, h: Helper) -> None:
    assert await fault(swf.describe_domain(name="nope")) == "UnknownResourceFault"
    assert (
        await fault(swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1"))
        == "DomainAlreadyExistsFault"
    )
    wt = {"name": "wf", "version": "1"}
    assert (
        await fault(swf.register_workflow_type(domain=DOMAIN, name="wf", version="1"))
        == "TypeAlreadyExistsFault"
    )
    assert await fault(swf.delete_workflow_type(domain=DOMAIN, workflowType=wt)) == (
        "TypeNotDeprecatedFault"
    )
    await swf.register_workflow_type(domain=DOMAIN, name="bare", version="1")
    assert (
        await fault(
            swf.start_workflow_execution(
                domain=DOMAIN, workflowId="x", workflowType={"name": "bare", "version": "1"}
            )
        )
        == "DefaultUndefinedFault"
    )
    await h.start("dup")
    assert await fault(h.start("dup")) == "WorkflowExecutionAlreadyStartedFault"
    await swf.deprecate_workflow_type(domain=DOMAIN, workflowType=wt)
    assert await fault(swf.deprecate_workflow_type(domain=DOMAIN, workflowType=wt)) == (
        "TypeDeprecatedFault"
    )
    assert await fault(h.start("other")) == "TypeDeprecatedFault"
    arn = (await swf.describe_domain(name=DOMAIN))["domainInfo"]["arn"]
    tags = [{"key": f"k{i}", "value": "v"} for i in range(51)]
    assert await fault(swf.tag_resource(resourceArn=arn, tags=tags)) == "TooManyTagsFault"
    assert await fault(swf.untag_resource(resourceArn=arn, tagKeys=[f"k{i}" for i in range(51)]))
    await swf.deprecate_domain(name=DOMAIN)
    assert await fault(swf.deprecate_domain(name=DOMAIN)) == "DomainDeprecatedFault"


async def test_any_path_and_method_reach_the_protocol(server: DevServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            server.endpoint_url + "/some/path?x=1",
            data=b'{"registrationStatus": "REGISTERED"}',
            headers={**HEADERS, "X-Amz-Target": "SimpleWorkflowService.ListDomains"},
        ) as resp:
            assert resp.status == 200
            assert await resp.json(content_type=None) == {"domainInfos": []}
        async with session.get(server.endpoint_url + "/health") as resp:
            assert resp.status == 400
            assert (await resp.json(content_type=None))["__type"] == (
                "com.amazon.coral.service#UnknownOperationException"
            )


async def exchange(server: DevServer, head: bytes, body: bytes | None = None) -> bytes:
    """Send a request head, then (once the server answered something) its body."""
    host, port = server.endpoint_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        if body is None:
            return first
        writer.write(body)
        return first + await asyncio.wait_for(reader.readuntil(b"}"), 5)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_expect_100_continue(server: DevServer) -> None:
    body = b'{"registrationStatus": "REGISTERED"}'
    head = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
        b"X-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Content-Type: application/x-amz-json-1.0\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    answer = await exchange(server, head, body)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")
    assert answer.endswith(b'{"domainInfos":[]}')


async def test_a_body_announced_over_the_limit_is_refused_before_it_is_sent(
    server: DevServer,
) -> None:
    """With ``Expect: 100-continue`` the client waits before sending: a Content-Length over
    the limit gets the 413 at once, with no "100 Continue" inviting the body, and
    ``Connection: close``, since the body the server would have to skip never comes."""
    head = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
        b"X-Amz-Target: SimpleWorkflowService.ListDomains\r\n"
        b"Content-Type: application/x-amz-json-1.0\r\n"
        b"Content-Length: " + str(MAX_BODY + 1).encode() + b"\r\n\r\n"
    )
    host, port = server.endpoint_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head)
        answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = int(answer.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
        body = await asyncio.wait_for(reader.readexactly(length), 5)
    finally:
        writer.close()
        await writer.wait_closed()
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nConnection: close\r\n" in answer
    payload = json.loads(body)
    assert payload["__type"] == TOO_LARGE
    assert payload["message"] == (
        f"Request body of {MAX_BODY + 1} bytes for SimpleWorkflowService.ListDomains "
        f"exceeds the dev server's limit of {MAX_BODY} bytes"
    )


async def test_unknown_expectation_is_refused(server: DevServer) -> None:
    head = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: something-else\r\n"
        b"X-Amz-Target: SimpleWorkflowService.ListDomains\r\nContent-Length: 2\r\n\r\n"
    )
    answer = await exchange(server, head)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nContent-Type: application/x-amz-json-1.0\r\n" in answer


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": "ab\xffc"}', "Request body is not valid UTF-8: byte 0xff at offset 12"),
        (b'{"name": "\xc3("}', "Request body is not valid UTF-8: byte 0xc3 at offset 10"),
        (b"\xff{}", "Request body is not valid UTF-8: byte 0xff at offset 0"),
        (b'{"name": "\xed\xa0\x80"}', "Request body is not valid UTF-8: byte 0xed at offset 10"),
        (b'{"name": "x"', "Malformed JSON: "),
        (b'{"name": "x"} {}', "Malformed JSON: "),
        (b'["name"]', "Request body must be a JSON object, not an array"),
        (b"42", "Request body must be a JSON object, not a number"),
        (b'"name"', "Request body must be a JSON object, not a string"),
        (b"true", "Request body must be a JSON object, not a boolean"),
        (b"null", "Request body must be a JSON object, not null"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_named(
    server: DevServer, body: bytes, message: str
) -> None:
    status, payload = await raw(server, "SimpleWorkflowService.DescribeDomain", body)
    assert status == 400
    assert payload["__type"] == "com.amazon.coral.service#SerializationException"
    assert payload["message"].startswith(message)


TOO_LARGE = "com.amazon.coral.service#RequestEntityTooLargeException"


# aiohttp, under aiobotocore, warns about any request body over 1 MiB given as bytes
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_a_body_over_the_limit_is_a_413_naming_size_limit_and_operation(
    swf: Client, h: Helper
) -> None:
    run_id = await h.start("big")
    with capture_logs() as logs, pytest.raises(ClientError) as info:
        await swf.signal_workflow_execution(
            domain=DOMAIN, workflowId="big", signalName="s", input="x" * MAX_BODY
        )
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert error["Code"] == "RequestEntityTooLargeException"
    size = int(error["Message"].removeprefix("Request body of ").split(" ")[0])
    assert size > MAX_BODY
    assert error["Message"] == (
        f"Request body of {size} bytes for SimpleWorkflowService.SignalWorkflowExecution "
        f"exceeds the dev server's limit of {MAX_BODY} bytes"
    )
    assert logs == []  # the client's mistake, not a failure of the server
    # the signal never reached the execution, and the same client goes on working
    events = await h.history("big", run_id)
    assert types_of(events) == ["WorkflowExecutionStarted", "DecisionTaskScheduled"]


async def post_streamed(
    session: aiohttp.ClientSession, server: DevServer, target: str, chunks: list[bytes]
) -> tuple[int, Any]:
    """POST a body sent in chunks, without a Content-Length (chunked transfer encoding)."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    async with session.post(
        server.endpoint_url + "/", data=body(), headers={**HEADERS, "X-Amz-Target": target}
    ) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_a_streamed_body_over_the_limit_is_refused_and_the_connection_reused(
    server: DevServer,
) -> None:
    """Without a Content-Length the size is known only to exceed the limit. The server reads
    the rest of the body after answering, so the client's connection serves the next call."""
    block = b" " * (1 << 20)
    over = [block] * (MAX_BODY // len(block)) + [b"{}"]
    connections_opened = 0

    async def count_opened(*_: object) -> None:
        nonlocal connections_opened
        connections_opened += 1

    tracing = aiohttp.TraceConfig()
    tracing.on_connection_create_end.append(count_opened)
    async with aiohttp.ClientSession(trace_configs=[tracing]) as session:
        status, payload = await post_streamed(
            session, server, "SimpleWorkflowService.ListDomains", over
        )
        assert (status, payload["__type"]) == (413, TOO_LARGE)
        assert payload["message"] == (
            f"Request body of more than {MAX_BODY} bytes for SimpleWorkflowService.ListDomains "
            f"exceeds the dev server's limit of {MAX_BODY} bytes"
        )
        # a body of exactly the limit is served, on the same connection
        exact = [block] * (MAX_BODY // len(block) - 1) + [
            b'{"registrationStatus": "REGISTERED"}'.ljust(len(block))
        ]
        assert sum(map(len, exact)) == MAX_BODY
        status, payload = await post_streamed(
            session, server, "SimpleWorkflowService.ListDomains", exact
        )
        assert (status, payload) == (200, {"domainInfos": []})
    assert connections_opened == 1
