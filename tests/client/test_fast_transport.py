"""The worker's lean request path against aiobotocore: same answers, same faults, same
signatures.

Answers are compared on the dev server over loopback HTTP: the same script of calls runs
once through each path, each in its own domain of one server whose clock stands still, so
both see identical server states and every difference left is a random id or token.
Signatures are compared with botocore's ``SigV4Auth`` on requests captured as sent.
"""

from __future__ import annotations

import json
import types
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiobotocore.session  # type: ignore[import-untyped]
import botocore
import botocore.auth
import msgspec
import pytest
from aiobotocore.credentials import (  # type: ignore[import-untyped]
    AioCredentialResolver,
    AioRefreshableCredentials,
)
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError, ParamValidationError
from botocore.parsers import ResponseParserError

from swfasync._client.connection import create_swf_client, make_config
from swfasync._client.fast_transport import (
    FastSwfTransport,
    FastTransportUnavailable,
    FrozenCredentials,
    SigV4Signer,
    sigv4_timestamp,
)
from swfasync._wire import events as e
from swfasync.devserver import DevServer, ManualClock
from swfasync.exceptions import (
    HistoryError,
    SwfAsyncError,
    SwfConnectionError,
    SwfValidationError,
)

REGION = "us-east-1"
DECIDERS = "deciders"
WORKERS = "workers"
FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


# -- signing ----------------------------------------------------------------------------------


@pytest.fixture
def fixed_botocore_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Make SigV4Auth sign as of a given instant (it reads botocore's clock)."""

    def set_now(now: datetime) -> None:
        naive = now.astimezone(UTC).replace(tzinfo=None)
        if hasattr(botocore.auth, "get_current_datetime"):
            monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: naive)
        else:  # botocore before get_current_datetime read datetime.datetime.utcnow()

            class FrozenDatetime(datetime):
                @classmethod
                def utcnow(cls) -> FrozenDatetime:
                    return cls.combine(naive.date(), naive.time())

            monkeypatch.setattr(
                botocore.auth, "datetime", types.SimpleNamespace(datetime=FrozenDatetime)
            )

    return set_now


def sigv4auth_headers(
    url: str,
    region: str,
    credentials: FrozenCredentials,
    headers: dict[str, str],
    body: bytes,
) -> dict[str, str]:
    """What botocore's SigV4Auth adds to a POST of ``body`` with ``headers`` to ``url``."""
    request = AWSRequest(method="POST", url=url, headers=dict(headers), data=body)
    frozen = ReadOnlyCredentials(credentials.access_key, credentials.secret_key, credentials.token)
    SigV4Auth(frozen, "swf", region).add_auth(request)
    return dict(request.headers.items())


SIGNING_CASES = [
    ("http://127.0.0.1:8080", REGION, FrozenCredentials("local", "local", None), b"{}"),
    (
        "https://swf.eu-west-1.amazonaws.com",
        "eu-west-1",
        FrozenCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoG//tok="),
        b'{"domain":"d","taskList":{"name":"t"},"identity":"h:1"}',
    ),
    (
        "https://swf.us-west-2.amazonaws.com:443/",
        "us-west-2",
        FrozenCredentials("ASIA1", "s3cret", "  token  with   spaces "),
        '{"taskToken":"AAAA","result":"\\"caf\u00e9 \u2615\\""}'.encode(),
    ),
    (
        "http://LocalHost:80/prefix/path",
        "ap-southeast-2",
        FrozenCredentials("AK", "SK", ""),
        b"",
    ),
    ("http://[::1]:9999", REGION, FrozenCredentials("AK", "SK", "t"), b'{"x": [1, 2]}'),
]


@pytest.mark.parametrize(("endpoint", "region", "credentials", "body"), SIGNING_CASES)
@pytest.mark.parametrize("operation", ["PollForDecisionTask", "RecordActivityTaskHeartbeat"])
def test_signature_is_byte_identical_to_sigv4auth(
    endpoint: str,
    region: str,
    credentials: FrozenCredentials,
    body: bytes,
    operation: str,
    fixed_botocore_clock: Callable[[datetime], None],
) -> None:
    fixed_botocore_clock(FIXED_NOW)
    signer = SigV4Signer(endpoint, region)
    target = f"SimpleWorkflowService.{operation}"
    ours = signer.headers(credentials, target, body, sigv4_timestamp(FIXED_NOW.timestamp()))
    unsigned = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"}
    url = endpoint if endpoint.count("/") > 2 else endpoint + "/"
    theirs = sigv4auth_headers(url, region, credentials, unsigned, body)
    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"]
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token")
    # The Host header sent is the one SigV4Auth derived from the URL and signed.
    request = AWSRequest(method="POST", url=url, headers=unsigned, data=body)
    auth = SigV4Auth(ReadOnlyCredentials("a", "b", None), "swf", region)
    assert ours["Host"] == auth.headers_to_sign(request)["host"]


def test_signing_key_follows_the_day_and_the_secret() -> None:
    signer = SigV4Signer("http://127.0.0.1:1", REGION)
    first = signer.headers(FrozenCredentials("a", "one", None), "T", b"", "20260314T235959Z")
    next_day = signer.headers(FrozenCredentials("a", "one", None), "T", b"", "20260315T000000Z")
    rotated = signer.headers(FrozenCredentials("a", "two", None), "T", b"", "20260315T000000Z")
    signatures = {h["Authorization"].rsplit("=", 1)[1] for h in (first, next_day, rotated)}
    assert len(signatures) == 3


def test_endpoint_with_a_query_is_refused() -> None:
    with pytest.raises(ValueError, match="no query"):
        SigV4Signer("http://127.0.0.1:1/?x=1", REGION)


# -- a loopback server that records requests and answers from a script ------------------------


@dataclass
class Captured:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """Records every request; answers each with the next (status, body) of ``answers``,
    the last one repeated."""

    answers: list[tuple[int, bytes]] = field(default_factory=lambda: [(200, b"{}")])
    requests: list[Captured] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            Captured(str(request.url), dict(request.headers), await request.read())
        )
        status, body = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return web.Response(
            status=status,
            body=body,
            headers={"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "req-1"},
        )


@asynccontextmanager
async def scripted_server(*answers: tuple[int, bytes]) -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer(list(answers) or [(200, b"{}")])
    app = web.Application()
    app.router.add_post("/", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


@asynccontextmanager
async def both_paths(endpoint_url: str, **options: Any) -> AsyncIterator[tuple[Any, Any]]:
    """The SDK's aiobotocore client and a FastSwfTransport over it."""
    options = {
        "region_name": REGION,
        "aws_access_key_id": "AKIDLOCAL",
        "aws_secret_access_key": "local/secret",
        **options,
    }
    async with (
        create_swf_client(endpoint_url=endpoint_url, **options) as client,
        FastSwfTransport(client) as fast,
    ):
        yield client, fast


def signed_header_names(captured: Captured) -> list[str]:
    authorization = captured.headers["Authorization"]
    return authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")


async def test_requests_as_sent_carry_sigv4auth_signatures(
    fixed_botocore_clock: Callable[[datetime], None],
) -> None:
    async with (
        scripted_server() as server,
        both_paths(server.url, aws_session_token="session/token==") as (client, fast),
    ):
        await fast.respond_activity_task_completed(taskToken="tok", result='"done"')
        await client.respond_activity_task_completed(taskToken="tok", result='"done"')
        await fast.poll_for_activity_task(domain="d", taskList={"name": "t"}, identity="host:1")
        await client.poll_for_activity_task(domain="d", taskList={"name": "t"}, identity="host:1")
    fast_sent = server.requests[0::2]
    botocore_sent = server.requests[1::2]
    credentials = FrozenCredentials("AKIDLOCAL", "local/secret", "session/token==")
    for ours, theirs in zip(fast_sent, botocore_sent, strict=True):
        # The same request SWF would see from botocore: target, content type, signed
        # headers and body.
        assert signed_header_names(ours) == signed_header_names(theirs)
        for name in ("X-Amz-Target", "Content-Type", "Host", "X-Amz-Security-Token"):
            assert ours.headers[name] == theirs.headers[name]
        assert json.loads(ours.body) == json.loads(theirs.body)
        assert ours.url == theirs.url
        assert_signed_with(credentials, ours, fixed_botocore_clock)


def assert_signed_with(
    credentials: FrozenCredentials,
    sent: Captured,
    fixed_botocore_clock: Callable[[datetime], None],
) -> None:
    """SigV4Auth with ``credentials`` over exactly what was sent (the signed headers but
    host, which it derives from the URL) gives the Authorization header that was sent."""
    fixed_botocore_clock(
        datetime.strptime(sent.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    )
    unsigned = {
        name: value
        for name, value in sent.headers.items()
        if name.lower() in signed_header_names(sent)
        and name.lower() not in {"host", "x-amz-date", "x-amz-security-token"}
    }
    expected = sigv4auth_headers(sent.url, REGION, credentials, unsigned, sent.body)
    assert sent.headers["Authorization"] == expected["Authorization"]
    assert sent.headers.get("X-Amz-Security-Token") == expected.get("X-Amz-Security-Token")


# -- credentials ------------------------------------------------------------------------------


@dataclass
class ShortLivedKeys:
    """A source of temporary credentials: each refresh hands out a new key that expires
    ``lifetime`` after ``now``, a clock the test moves."""

    now: datetime = FIXED_NOW
    lifetime: timedelta = timedelta(seconds=5)
    issued: list[FrozenCredentials] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    async def refresh(self) -> dict[str, str]:
        n = len(self.issued) + 1
        self.issued.append(FrozenCredentials(f"AKIDSHORT{n}", f"secret/{n}", f"token{n}"))
        return {
            "access_key": f"AKIDSHORT{n}",
            "secret_key": f"secret/{n}",
            "token": f"token{n}",
            "expiry_time": (self.now + self.lifetime).isoformat(),
        }


@dataclass
class ShortLivedKeysProvider:
    """A credential provider for an aiobotocore session's resolver: refreshable
    credentials that refresh only once expired (no advisory or mandatory margin)."""

    keys: ShortLivedKeys
    METHOD = "short-lived-keys"

    async def load(self) -> Any:
        first = await self.keys.refresh()
        return AioRefreshableCredentials(
            access_key=first["access_key"],
            secret_key=first["secret_key"],
            token=first["token"],
            expiry_time=self.keys.now + self.keys.lifetime,
            refresh_using=self.keys.refresh,
            method=self.METHOD,
            time_fetcher=self.keys.clock,
            advisory_timeout=0,
            mandatory_timeout=0,
        )


async def test_requests_after_expiry_are_signed_with_the_refreshed_key(
    fixed_botocore_clock: Callable[[datetime], None],
) -> None:
    keys = ShortLivedKeys()
    session = aiobotocore.session.AioSession()
    # The session's credential chain, replaced by one provider, as botocore's sessions
    # take custom credential sources.
    session.register_component(
        "credential_provider", AioCredentialResolver([ShortLivedKeysProvider(keys)])
    )
    empty_poll = (200, b'{"startedEventId": 0}')
    poll = {"domain": "d", "taskList": {"name": "t"}}
    async with (
        scripted_server(empty_poll) as server,
        create_swf_client(session=session, region_name=REGION, endpoint_url=server.url) as client,
        FastSwfTransport(client) as fast,
    ):
        await fast.poll_for_activity_task(**poll)
        keys.now += keys.lifetime - timedelta(seconds=1)
        await fast.poll_for_activity_task(**poll)
        keys.now += timedelta(seconds=2)  # the first key has expired
        answer = await fast.poll_for_activity_task(**poll)
        await fast.poll_for_activity_task(**poll)
        await client.poll_for_activity_task(**poll)  # the client signs with it too
    assert answer["startedEventId"] == 0
    first, second = keys.issued
    expected = [first, first, second, second, second]
    assert len(server.requests) == len(expected)
    for credentials, sent in zip(expected, server.requests, strict=True):
        assert f"Credential={credentials.access_key}/" in sent.headers["Authorization"]
        assert_signed_with(credentials, sent, fixed_botocore_clock)


async def test_a_client_the_sdk_did_not_make_is_declined_by_name() -> None:
    """Its verify setting and credentials are not public: the fast transport declines it
    rather than guess."""
    session = aiobotocore.session.AioSession()
    async with session.create_client(
        "swf",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
    ) as client:
        with pytest.raises(FastTransportUnavailable) as declined:
            FastSwfTransport(client)
    assert declined.value.setting == "client"


async def test_explicit_keys_sign_every_request() -> None:
    async with (
        scripted_server() as server,
        both_paths(server.url, aws_session_token="pinned-token") as (_, fast),
    ):
        await fast.record_activity_task_heartbeat(taskToken="t")
    (sent,) = server.requests
    assert "Credential=AKIDLOCAL/" in sent.headers["Authorization"]
    assert sent.headers["X-Amz-Security-Token"] == "pinned-token"


# -- faults -----------------------------------------------------------------------------------


async def test_html_5xx_is_retried_then_raised_as_botocore_would() -> None:
    page = b"<html><body>Service Unavailable</body></html>"
    config = make_config().merge(Config(retries={"mode": "standard", "total_max_attempts": 2}))
    async with (
        scripted_server((503, page)) as server,
        both_paths(server.url, config=config) as (client, fast),
    ):
        with pytest.raises(ClientError) as fast_error:
            await fast.record_activity_task_heartbeat(taskToken="t")
        assert len(server.requests) == 2  # retried once, within the client's budget
        with pytest.raises(ClientError) as botocore_error:
            await client.record_activity_task_heartbeat(taskToken="t")
    assert fast_error.value.response["Error"] == botocore_error.value.response["Error"]
    assert fast_error.value.response["Error"]["Code"] == "503"
    assert fast_error.value.operation_name == "RecordActivityTaskHeartbeat"


async def test_transient_5xx_then_success_counts_the_retry() -> None:
    async with (
        scripted_server((500, b""), (200, b'{"cancelRequested": true}')) as server,
        both_paths(server.url) as (_, fast),
    ):
        answer = await fast.record_activity_task_heartbeat(taskToken="t")
    assert answer["cancelRequested"] is True
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1


async def test_a_body_that_is_not_json_is_a_typed_error() -> None:
    async with (
        scripted_server((200, b"<html>proxy login</html>")) as server,
        both_paths(server.url) as (_, fast),
    ):
        with pytest.raises(SwfConnectionError) as caught:
            await fast.poll_for_activity_task(domain="d", taskList={"name": "t"})
        assert caught.value.endpoint == server.url
        assert caught.value.operation == "PollForActivityTask"
        assert "the answer is not SWF's" in str(caught.value)
        assert isinstance(caught.value.__cause__, ResponseParserError)
        with pytest.raises(HistoryError, match="not valid JSON"):
            await fast.poll_for_decision_task(domain="d", taskList={"name": "t"})


async def test_refused_parameters_are_not_sent() -> None:
    async with scripted_server() as server, both_paths(server.url) as (_, fast):
        with pytest.raises(SwfValidationError) as refused:
            await fast.poll_for_activity_task(taskList={"name": "t"})
        assert refused.value.field == "domain"
        assert isinstance(refused.value.__cause__, ParamValidationError)
        with pytest.raises(SwfValidationError) as refused:
            await fast.respond_decision_task_completed(taskToken="t", decisions=[{}])
        assert refused.value.field.startswith("decisions[0]")
    assert server.requests == []


# -- the dev server: the same answers through both paths ---------------------------------------


@pytest.fixture
async def dev_server() -> AsyncIterator[DevServer]:
    # A clock that stands still: both paths' runs get identical timestamps.
    async with DevServer(clock=ManualClock(), long_poll_timeout=0.5) as server:
        yield server


async def prepare_domain(swf: Any, domain: str) -> str:
    """A domain with one workflow type, one activity type and an open run ``wf``."""
    await swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays="1")
    await swf.register_workflow_type(
        domain=domain,
        name="Flow",
        version="1",
        defaultTaskList={"name": DECIDERS},
        defaultChildPolicy="TERMINATE",
        defaultExecutionStartToCloseTimeout="3600",
        defaultTaskStartToCloseTimeout="30",
    )
    await swf.register_activity_type(
        domain=domain,
        name="Step",
        version="1",
        defaultTaskList={"name": WORKERS},
        defaultTaskScheduleToStartTimeout="60",
        defaultTaskScheduleToCloseTimeout="120",
        defaultTaskStartToCloseTimeout="60",
        defaultTaskHeartbeatTimeout="60",
    )
    started = await swf.start_workflow_execution(
        domain=domain, workflowId="wf", workflowType={"name": "Flow", "version": "1"}, input="[1]"
    )
    return str(started["runId"])


def schedule(activity_id: str) -> dict[str, Any]:
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": {"name": "Step", "version": "1"},
            "activityId": activity_id,
            "input": f'["{activity_id}"]',
        },
    }


async def run_script(swf: Any, domain: str, run_id: str) -> list[dict[str, Any]]:
    """Every hot operation, in the order a worker uses them, with cancellation and failure;
    returns every answer."""
    answers: list[dict[str, Any]] = []

    async def call(method: str, **params: Any) -> dict[str, Any]:
        answers.append(await getattr(swf, method)(**params))
        return answers[-1]

    async def decide(*decisions: dict[str, Any], **poll: Any) -> None:
        task = await call(
            "poll_for_decision_task",
            domain=domain,
            taskList={"name": DECIDERS},
            identity="decider",
            **poll,
        )
        await call(
            "respond_decision_task_completed", taskToken=task["taskToken"], decisions=decisions
        )

    def poll_activity() -> Any:
        return call(
            "poll_for_activity_task", domain=domain, taskList={"name": WORKERS}, identity="w"
        )

    await decide(schedule("a1"), maximumPageSize=1000)
    a1 = await poll_activity()
    await call("record_activity_task_heartbeat", taskToken=a1["taskToken"], details="50%")
    await call("respond_activity_task_completed", taskToken=a1["taskToken"], result='"one"')
    await decide(schedule("a2"), schedule("a3"), startAtPreviousStartedEvent=True)
    a2, a3 = await poll_activity(), await poll_activity()
    await call(
        "respond_activity_task_failed", taskToken=a2["taskToken"], reason="boom", details="{}"
    )
    cancel = {
        "decisionType": "RequestCancelActivityTask",
        "requestCancelActivityTaskDecisionAttributes": {"activityId": "a3"},
    }
    await decide(cancel)
    await call("record_activity_task_heartbeat", taskToken=a3["taskToken"])  # cancelRequested
    await call("respond_activity_task_canceled", taskToken=a3["taskToken"], details="ok")
    # A decision task in pages of 4 events, then the history in pages of 5.
    first = await call(
        "poll_for_decision_task",
        domain=domain,
        taskList={"name": DECIDERS},
        identity="decider",
        maximumPageSize=4,
    )
    request = {"domain": domain, "taskList": {"name": DECIDERS}, "maximumPageSize": 4}
    page = first
    while page.get("nextPageToken"):
        page = await call("poll_for_decision_task", **request, nextPageToken=page["nextPageToken"])
    await call(
        "respond_decision_task_completed",
        taskToken=first["taskToken"],
        decisions=[
            {
                "decisionType": "CompleteWorkflowExecution",
                "completeWorkflowExecutionDecisionAttributes": {"result": "3"},
            }
        ],
    )
    history = {"domain": domain, "execution": {"workflowId": "wf", "runId": run_id}}
    page = await call("get_workflow_execution_history", **history, maximumPageSize=5)
    while page.get("nextPageToken"):
        page = await call(
            "get_workflow_execution_history",
            **history,
            maximumPageSize=5,
            nextPageToken=page["nextPageToken"],
        )
    await call("get_workflow_execution_history", **history, reverseOrder=True)
    # An empty long poll has no task token: it ends after the server's poll timeout.
    await call("poll_for_activity_task", domain=domain, taskList={"name": WORKERS})
    return answers


def comparable(answer: dict[str, Any], run_id: str) -> Any:
    """An answer as plain values without ResponseMetadata and the tokens and ids the two
    domains cannot share (task tokens, page tokens, the run id)."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ("<token>" if k in ("taskToken", "nextPageToken") else scrub(v))
                for k, v in value.items()
                if k != "ResponseMetadata"
            }
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return "<run>" if value == run_id else value

    return scrub(msgspec.to_builtins(answer))


async def test_every_hot_operation_answers_as_aiobotocore_does(dev_server: DevServer) -> None:
    async with both_paths(dev_server.endpoint_url) as (client, fast):
        runs = {side: await prepare_domain(client, side) for side in ("fast", "botocore")}
        fast_answers = await run_script(fast, "fast", runs["fast"])
        botocore_answers = await run_script(client, "botocore", runs["botocore"])
    assert len(fast_answers) == len(botocore_answers) > 20
    for ours, theirs in zip(fast_answers, botocore_answers, strict=True):
        # the same Python types, not just the same JSON: events are wire Structs on both
        assert [type(v) for v in ours.get("events", [])] == [
            type(v) for v in theirs.get("events", [])
        ]
        assert comparable(ours, runs["fast"]) == comparable(theirs, runs["botocore"])
    assert any(isinstance(v, e.ActivityTaskCanceled) for v in fast_answers[-2]["events"])
    assert {"cancelRequested": True} in [
        {k: v for k, v in a.items() if k != "ResponseMetadata"} for a in fast_answers
    ]
    assert not fast_answers[-1].get("taskToken")


def fault(error: ClientError) -> tuple[type[ClientError], str, Any]:
    return type(error), error.operation_name, error.response["Error"]


E = TypeVar("E", bound=BaseException)


async def raised_on_both(
    client: Any, fast: FastSwfTransport, method: str, params: dict[str, Any], error: type[E]
) -> tuple[E, E]:
    """What calling ``method`` with ``params`` raises through the transport (the botocore
    error under the SDK's own) and through the aiobotocore client, in that order."""
    with pytest.raises(SwfAsyncError) as ours:
        await getattr(fast, method)(**params)
    cause = ours.value.__cause__
    assert isinstance(cause, error), (method, params, ours.value)
    with pytest.raises(error) as theirs:
        await getattr(client, method)(**params)
    return cause, theirs.value


async def test_faults_are_the_client_errors_aiobotocore_raises(dev_server: DevServer) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("respond_activity_task_completed", {"taskToken": "no-such-token", "result": "1"}),
        ("respond_decision_task_completed", {"taskToken": "no-such-token"}),
        ("record_activity_task_heartbeat", {"taskToken": "no-such-token"}),
        # botocore checks no maximum lengths: SWF (here the dev server) refuses this one
        ("poll_for_activity_task", {"domain": "d", "taskList": {"name": "t" * 300}}),
        ("poll_for_decision_task", {"domain": "no-such-domain", "taskList": {"name": "t"}}),
    ]
    codes = []
    async with both_paths(dev_server.endpoint_url) as (client, fast):
        for method, params in calls:
            ours, theirs = await raised_on_both(client, fast, method, params, ClientError)
            assert fault(ours) == fault(theirs)
            assert str(ours) == str(theirs)
            codes.append(ours.response["Error"]["Code"])
    assert codes[0] == "UnknownResourceFault"
    assert "ValidationException" in codes


# -- parameters: refused as aiobotocore refuses them, at any depth ----------------------------

TASK_LIST = {"name": "t"}
TIMER = {"timerId": "t1", "startToFireTimeout": "5"}

REFUSED_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("poll_for_activity_task", {"taskList": TASK_LIST}),
    ("poll_for_activity_task", {"domain": "d", "tasklist": TASK_LIST}),
    ("poll_for_activity_task", {"domain": "d", "taskList": {}}),
    ("poll_for_activity_task", {"domain": "d", "taskList": {"name": "t", "kind": "x"}}),
    ("poll_for_activity_task", {"domain": "d", "taskList": {"name": 7}}),
    ("poll_for_activity_task", {"domain": "", "taskList": "t", "identity": None}),
    (
        "poll_for_decision_task",
        {"domain": "d", "taskList": TASK_LIST, "maximumPageSize": -1, "reverseOrder": "yes"},
    ),
    ("respond_activity_task_completed", {"taskToken": "t", "result": 3}),
    ("respond_activity_task_failed", {"taskToken": "", "reason": None}),
    ("record_activity_task_heartbeat", {"taskToken": "t", "details": b"50%"}),
    ("respond_activity_task_canceled", {"taskToken": ["t"]}),
    (
        "get_workflow_execution_history",
        {"domain": "d", "execution": {"workflowId": "w"}, "nextPageToken": 1},
    ),
    ("respond_decision_task_completed", {"taskToken": "t", "decisions": {"timerId": "t1"}}),
    ("respond_decision_task_completed", {"taskToken": "t", "decisions": [schedule("a1"), "x"]}),
    (
        "respond_decision_task_completed",
        {
            "taskToken": "t",
            "decisions": [
                {"decisionType": "StartTimer", "startTimerDecisionAttributes": TIMER, "x": 1}
            ],
        },
    ),
    (
        "respond_decision_task_completed",
        {"taskToken": "t", "decisions": [{"startTimerDecisionAttributes": TIMER}]},
    ),
    (
        "respond_decision_task_completed",
        {
            "taskToken": "t",
            "decisions": (
                schedule("a1"),
                {"decisionType": "StartTimer", "startTimerDecisionAttributes": {"timerId": ""}},
            ),
        },
    ),
    (
        "respond_decision_task_completed",
        {
            "taskToken": "t",
            "decisions": [
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": {"name": "Step", "version": 1},
                        "activityId": "a1",
                        "taskList": {"name": ""},
                        "taskPriority": 5,
                    },
                }
            ],
        },
    ),
    (
        "respond_decision_task_completed",
        {"taskToken": "t", "taskList": {"name": "s"}, "taskListScheduleToStartTimeout": 5},
    ),
]


async def test_refused_parameters_get_aiobotocores_report(dev_server: DevServer) -> None:
    async with both_paths(dev_server.endpoint_url) as (client, fast):
        for method, params in REFUSED_CALLS:
            ours, theirs = await raised_on_both(client, fast, method, params, ParamValidationError)
            assert str(ours) == str(theirs), (method, params)


async def test_a_client_without_parameter_validation_sends_calls_unchecked(
    dev_server: DevServer,
) -> None:
    """``parameter_validation=False`` is the client's choice to let SWF judge the calls:
    both paths send them, and the server's fault is the same on both."""
    # Refused by the checks, yet shaped so that botocore's serializer can still send them.
    unchecked_calls: list[tuple[str, dict[str, Any]]] = [
        ("poll_for_activity_task", {"taskList": TASK_LIST}),
        ("poll_for_decision_task", {"domain": "d", "taskList": TASK_LIST, "maximumPageSize": -1}),
        ("respond_activity_task_failed", {"taskToken": "", "reason": "r"}),
    ]
    config = make_config().merge(Config(parameter_validation=False))
    async with both_paths(dev_server.endpoint_url, config=config) as (client, fast):
        assert not fast.validates_parameters
        for method, params in unchecked_calls:
            ours, theirs = await raised_on_both(client, fast, method, params, ClientError)
            assert fault(ours) == fault(theirs), (method, params)
    async with both_paths(dev_server.endpoint_url) as (_, fast):
        assert fast.validates_parameters


# Well-formed at every depth: past the parameter checks, the dev server answers both paths
# with the same fault for the unknown token or domain.
ACCEPTED_CALLS: list[tuple[str, dict[str, Any]]] = [
    (
        "respond_decision_task_completed",
        {
            "taskToken": "no-such-token",
            "decisions": (
                schedule("a1"),
                {"decisionType": "StartTimer", "startTimerDecisionAttributes": TIMER},
                {"decisionType": "CompleteWorkflowExecution"},
            ),
            "executionContext": "",
            "taskList": {"name": "sticky"},
            "taskListScheduleToStartTimeout": "5",
        },
    ),
    (
        "poll_for_decision_task",
        {
            "domain": "no-such-domain",
            "taskList": TASK_LIST,
            "identity": "",
            "maximumPageSize": 0,
            "reverseOrder": False,
            "startAtPreviousStartedEvent": True,
        },
    ),
    ("respond_activity_task_failed", {"taskToken": "no-such-token", "reason": "", "details": ""}),
    (
        "get_workflow_execution_history",
        {"domain": "no-such-domain", "execution": {"workflowId": "w", "runId": "r"}},
    ),
]


async def test_well_formed_parameters_reach_swf(dev_server: DevServer) -> None:
    async with both_paths(dev_server.endpoint_url) as (client, fast):
        for method, params in ACCEPTED_CALLS:
            ours, theirs = await raised_on_both(client, fast, method, params, ClientError)
            assert fault(ours) == fault(theirs), (method, params)


async def test_transport_takes_the_clients_limits() -> None:
    config = make_config().merge(Config(max_pool_connections=42))
    async with create_swf_client(
        endpoint_url="http://127.0.0.1:1",
        region_name=REGION,
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=config,
    ) as client:
        transport = FastSwfTransport(client)
    assert transport.read_timeout is not None
    assert transport.read_timeout >= 70  # SWF holds a long poll for 60 s
    assert transport.pool_size == 42
    assert transport.attempts == 6  # botocore's max_attempts counts the retries only
