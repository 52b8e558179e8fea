"""History responses decoded by msgspec inside aiobotocore, checked against botocore's parser."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiobotocore.session  # type: ignore[import-untyped]
import anyio
import botocore.session
import msgspec
import pytest
from aiobotocore.parsers import AioJSONParser  # type: ignore[import-untyped]
from aiohttp import web
from botocore.exceptions import ClientError

from swfasync import workflow
from swfasync._client.connection import create_swf_client, error_code
from swfasync._client.history_parser import HistoryResponseParser
from swfasync._wire import events as e
from swfasync._wire.codec import UnknownEvent, decode_events, is_decoded_event
from swfasync.client import Client
from swfasync.devserver import DevServer
from swfasync.exceptions import HistoryError
from swfasync.testing import WorkflowEnvironment

from ..conftest import recorded_history_files

CREDENTIALS: dict[str, Any] = {
    "region_name": "us-east-1",
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",
}
SWF_MODEL = botocore.session.get_session().get_service_model("swf")
HISTORY_OPERATIONS = ("GetWorkflowExecutionHistory", "PollForDecisionTask")


@workflow.defn(task_list="parsed")
async def Sleeper(naps: int) -> int:
    for _ in range(naps):
        await workflow.sleep(1)
    return naps


def same_events(fast: list[Any], generic: list[Any]) -> bool:
    """Equal events, timestamps to the microsecond.

    botocore's generic parser goes through ``datetime``, which keeps microseconds; the dev
    server writes finer timestamps than Amazon SWF (milliseconds), and msgspec keeps them
    exactly as sent.
    """
    return len(fast) == len(generic) and all(
        abs(a.event_timestamp - b.event_timestamp) <= 1e-6
        and msgspec.structs.replace(a, event_timestamp=0.0)
        == msgspec.structs.replace(b, event_timestamp=0.0)
        for a, b in zip(fast, decode_events(generic), strict=True)
    )


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


async def parse_both(operation: str, body: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same 200 response parsed by aiobotocore's own parser and by the msgspec one."""
    shape = SWF_MODEL.operation_model(operation).output_shape
    response = {"body": body, "headers": {}, "status_code": 200}
    generic = await AioJSONParser().parse(dict(response), shape)
    fast = await HistoryResponseParser().parse(dict(response), shape)
    return without_metadata(generic), without_metadata(fast)


async def open_execution(swf: Any, workflow_id: str = "w") -> str:
    await swf.register_domain(name="d", workflowExecutionRetentionPeriodInDays="1")
    await swf.register_workflow_type(
        domain="d",
        name="W",
        version="1",
        defaultTaskList={"name": "t"},
        defaultChildPolicy="TERMINATE",
        defaultTaskStartToCloseTimeout="10",
        defaultExecutionStartToCloseTimeout="100",
    )
    started = await swf.start_workflow_execution(
        domain="d", workflowId=workflow_id, workflowType={"name": "W", "version": "1"}
    )
    run_id: str = started["runId"]
    return run_id


async def test_raw_client_gets_typed_events_and_botocore_shaped_members() -> None:
    plain_session = aiobotocore.session.get_session()
    async with (
        DevServer() as server,
        create_swf_client(endpoint_url=server.endpoint_url, **CREDENTIALS) as swf,
        plain_session.create_client("swf", endpoint_url=server.endpoint_url, **CREDENTIALS) as ref,
    ):
        run_id = await open_execution(swf)
        task = await swf.poll_for_decision_task(domain="d", taskList={"name": "t"})
        assert [type(ev) for ev in task["events"]] == [
            e.WorkflowExecutionStarted,
            e.DecisionTaskScheduled,
            e.DecisionTaskStarted,
        ]
        assert task["workflowExecution"] == {"workflowId": "w", "runId": run_id}
        assert task["workflowType"] == {"name": "W", "version": "1"}
        assert task["startedEventId"] == 3
        assert task["ResponseMetadata"]["HTTPStatusCode"] == 200

        request = {
            "domain": "d",
            "execution": {"workflowId": "w", "runId": run_id},
            "maximumPageSize": 2,
        }
        fast = await swf.get_workflow_execution_history(**request)
        generic = await ref.get_workflow_execution_history(**request)
        assert all(is_decoded_event(ev) for ev in fast["events"])
        assert same_events(fast["events"], generic["events"])
        assert fast["nextPageToken"] == generic["nextPageToken"]
        assert without_metadata(fast).keys() == without_metadata(generic).keys()


async def test_an_empty_long_poll_has_no_events_member_as_with_botocore() -> None:
    async with (
        DevServer(long_poll_timeout=0.05) as server,
        create_swf_client(endpoint_url=server.endpoint_url, **CREDENTIALS) as swf,
    ):
        await open_execution(swf)
        await swf.poll_for_decision_task(domain="d", taskList={"name": "t"})
        empty = await swf.poll_for_decision_task(domain="d", taskList={"name": "t"})
    assert "events" not in empty


async def test_faults_keep_their_client_error_codes() -> None:
    async with (
        DevServer() as server,
        create_swf_client(endpoint_url=server.endpoint_url, **CREDENTIALS) as swf,
    ):
        run_id = await open_execution(swf)
        with pytest.raises(ClientError) as history_fault:
            await swf.get_workflow_execution_history(
                domain="d", execution={"workflowId": "absent", "runId": run_id}
            )
        with pytest.raises(ClientError) as poll_fault:
            await swf.poll_for_decision_task(domain="nowhere", taskList={"name": "t"})
    assert error_code(history_fault.value) == "UnknownResourceFault"
    assert error_code(poll_fault.value) == "UnknownResourceFault"
    assert "absent" in str(history_fault.value)


async def test_handle_history_is_the_same_through_a_plain_botocore_client() -> None:
    async with WorkflowEnvironment(workflows=[Sleeper], task_list="parsed") as env:
        handle = await env.client.start_workflow(Sleeper, 3, id="sleeper")
        assert await handle.result() == 3
        fast_events = await handle.history()
        fast_json = await handle.history_json(page_size=4)
        plain_session = aiobotocore.session.get_session()
        endpoint = env.server.endpoint_url
        async with plain_session.create_client("swf", endpoint_url=endpoint, **CREDENTIALS) as raw:
            plain = Client(env.client.domain, swf=raw)
            same = await plain.get_workflow_handle(handle.workflow_id, handle.run_id)
            assert same_events(fast_events, await same.history())
            plain_json = await same.history_json(page_size=4)
    assert same_events(fast_events, plain_json["events"])
    assert same_events(fast_events, fast_json["events"])
    assert isinstance(fast_events[-1], e.WorkflowExecutionCompleted)
    assert fast_json["events"][-1]["eventType"] == "WorkflowExecutionCompleted"
    assert json.loads(json.dumps(fast_json)) == fast_json  # plain JSON, ready for a file


@pytest.mark.skipif(not recorded_history_files(), reason="../shared/histories is absent")
@pytest.mark.parametrize("operation", HISTORY_OPERATIONS)
@pytest.mark.parametrize("path", recorded_history_files(), ids=lambda p: p.name)
async def test_recorded_history_parses_equal_both_ways(operation: str, path: Path) -> None:
    generic, fast = await parse_both(operation, await anyio.Path(path).read_bytes())
    assert fast["events"] == decode_events(generic["events"])
    assert not [ev for ev in fast["events"] if isinstance(ev, UnknownEvent)]
    assert {k: v for k, v in fast.items() if k != "events"} == {
        k: v for k, v in generic.items() if k != "events"
    }


async def test_an_unknown_event_type_is_kept_as_a_generic_event() -> None:
    body = (
        b'{"events": [{"eventId": 1, "eventTimestamp": 1.5E9, "eventType": "QuantumLeap",'
        b' "quantumLeapEventAttributes": {"to": "1999"}}], "nextPageToken": "next"}'
    )
    generic, fast = await parse_both("GetWorkflowExecutionHistory", body)
    assert fast["events"] == [
        UnknownEvent(
            event_id=1, event_timestamp=1.5e9, event_type="QuantumLeap", attributes={"to": "1999"}
        )
    ]
    assert fast["nextPageToken"] == generic["nextPageToken"] == "next"


MALFORMED_PAGE = {
    "events": [
        {
            "eventId": 4,
            "eventTimestamp": 1.5e9,
            "eventType": "TimerStarted",
            "timerStartedEventAttributes": {"timerId": 5, "startToFireTimeout": "1"},
        }
    ]
}


async def answer_malformed_history(request: web.Request) -> web.Response:
    return web.Response(
        body=json.dumps(MALFORMED_PAGE),
        content_type="application/x-amz-json-1.0",
        headers={"x-amzn-RequestId": "req-1"},
    )


@pytest.fixture
async def malformed_endpoint() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/", answer_malformed_history)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_malformed_page_is_a_history_error_naming_event_and_field(
    malformed_endpoint: str,
) -> None:
    async with create_swf_client(endpoint_url=malformed_endpoint, **CREDENTIALS) as swf:
        with pytest.raises(HistoryError, match=r"malformed TimerStarted event.*timerId") as caught:
            await swf.get_workflow_execution_history(
                domain="d", execution={"workflowId": "w", "runId": "r"}
            )
    assert caught.value.event_id == 4


async def test_a_body_that_is_not_json_is_a_history_error() -> None:
    shape = SWF_MODEL.operation_model("PollForDecisionTask").output_shape
    response = {"body": b'{"events": [', "headers": {}, "status_code": 200}
    with pytest.raises(HistoryError, match="not valid JSON"):
        await HistoryResponseParser().parse(response, shape)


def test_decode_events_passes_decoded_events_through_and_decodes_the_rest() -> None:
    marker = {
        "eventId": 2,
        "eventTimestamp": 1.5e9,
        "eventType": "MarkerRecorded",
        "markerRecordedEventAttributes": {"markerName": "m", "decisionTaskCompletedEventId": 0},
    }
    typed = decode_events([{**marker, "eventId": 1}])[0]
    mixed = decode_events([typed, marker])
    assert mixed[0] is typed
    assert isinstance(mixed[1], e.MarkerRecorded)
    assert mixed[1].event_id == 2
