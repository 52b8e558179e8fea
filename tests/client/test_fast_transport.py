"""The worker's lean request path against aiobotocore: same answers, same faults, same
refusals, same signatures.

Answers are compared on the dev server over loopback HTTP: the same script of requests
(wire Structs) runs once through each transport's ``send``, each in its own domain of one
server whose clock stands still, so both see identical server states and every difference
left is a random id or token. Signatures are compared with botocore's ``SigV4Auth`` on
requests captured as sent.
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
from aiobotocore.config import AioConfig  # type: ignore[import-untyped]
from aiobotocore.credentials import (  # type: ignore[import-untyped]
    AioCredentialResolver,
    AioRefreshableCredentials,
)
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from swfasync._client.connection import create_swf_client, make_config
from swfasync._client.fast_transport import (
    FastSwfTransport,
    FastTransportUnavailable,
    FrozenCredentials,
    SigV4Signer,
    sigv4_timestamp,
)
from swfasync._client.transport import AiobotocoreTransport, SwfTransport
from swfasync._wire import api
from swfasync._wire import decisions as d
from swfasync._wire import events as e
from swfasync._wire.common import (
    ActivityType,
    Request,
    TaskList,
    WorkflowExecution,
    WorkflowType,
)
from swfasync.devserver import DevServer, ManualClock
from swfasync.exceptions import (
    HistoryError,
    PayloadTooLargeError,
    SwfAsyncError,
    SwfConnectionError,
    SwfServiceError,
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

HEARTBEAT_ANSWER = (200, b'{"cancelRequested": false}')


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


@dataclass
class Paths:
    """The SDK's aiobotocore client, and both transports over it."""

    client: Any
    fast: FastSwfTransport
    botocore: AiobotocoreTransport


@asynccontextmanager
async def both_paths(endpoint_url: str, **options: Any) -> AsyncIterator[Paths]:
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
        yield Paths(client, fast, AiobotocoreTransport(client))


def signed_header_names(captured: Captured) -> list[str]:
    authorization = captured.headers["Authorization"]
    return authorization.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")


def poll_activity(domain: str = "d", task_list: str = "t", **members: Any) -> Any:
    return api.PollForActivityTaskInput(
        domain=domain, task_list=TaskList(name=task_list), **members
    )


def poll_decision(domain: str = "d", task_list: str = "t", **members: Any) -> Any:
    return api.PollForDecisionTaskInput(
        domain=domain, task_list=TaskList(name=task_list), **members
    )


async def test_requests_as_sent_carry_sigv4auth_signatures(
    fixed_botocore_clock: Callable[[datetime], None],
) -> None:
    async with (
        scripted_server() as server,
        both_paths(server.url, aws_session_token="session/token==") as paths,
    ):
        for request in (
            api.RespondActivityTaskCompletedInput(task_token="tok", result='"done"'),
            poll_activity(identity="host:1"),
        ):
            await paths.fast.send(request)
            await paths.botocore.send(request)
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
    assert json.loads(fast_sent[1].body) == {
        "domain": "d",
        "taskList": {"name": "t"},
        "identity": "host:1",
    }


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
    async with (
        scripted_server(empty_poll) as server,
        create_swf_client(session=session, region_name=REGION, endpoint_url=server.url) as client,
        FastSwfTransport(client) as fast,
    ):
        await fast.send(poll_activity())
        keys.now += keys.lifetime - timedelta(seconds=1)
        await fast.send(poll_activity())
        keys.now += timedelta(seconds=2)  # the first key has expired
        answer = await fast.send(poll_activity())
        await fast.send(poll_activity())
        await AiobotocoreTransport(client).send(poll_activity())  # the client signs with it too
    assert answer is None  # an empty poll
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
        scripted_server(HEARTBEAT_ANSWER) as server,
        both_paths(server.url, aws_session_token="pinned-token") as paths,
    ):
        await paths.fast.send(api.RecordActivityTaskHeartbeatInput(task_token="t"))
    (sent,) = server.requests
    assert "Credential=AKIDLOCAL/" in sent.headers["Authorization"]
    assert sent.headers["X-Amz-Security-Token"] == "pinned-token"


# -- faults: the same SDK error from both transports ------------------------------------------

E = TypeVar("E", bound=BaseException)


async def raised_on_both(paths: Paths, request: Request[Any], error: type[E]) -> tuple[E, E]:
    """What sending ``request`` raises through the fast transport and through the
    aiobotocore one, in that order (each an ``error``)."""
    raised: list[E] = []
    for transport in (paths.fast, paths.botocore):
        with pytest.raises(error) as caught:
            await transport.send(request)
        raised.append(caught.value)
    return raised[0], raised[1]


def fault(error: SwfServiceError) -> tuple[type[SwfServiceError], str, Any]:
    assert isinstance(error, ClientError)  # the SDK's fault is botocore's too
    return type(error), error.operation_name, error.response["Error"]


async def test_html_5xx_is_retried_then_raised_as_botocore_would() -> None:
    page = b"<html><body>Service Unavailable</body></html>"
    config = make_config().merge(Config(retries={"mode": "standard", "total_max_attempts": 2}))
    heartbeat = api.RecordActivityTaskHeartbeatInput(task_token="t")
    async with (
        scripted_server((503, page)) as server,
        both_paths(server.url, config=config) as paths,
    ):
        with pytest.raises(SwfServiceError) as fast_error:
            await paths.fast.send(heartbeat)
        assert len(server.requests) == 2  # retried once, within the client's budget
        with pytest.raises(SwfServiceError) as botocore_error:
            await paths.botocore.send(heartbeat)
        assert len(server.requests) == 4
    assert fault(fast_error.value) == fault(botocore_error.value)
    assert fast_error.value.code == "503"
    assert fast_error.value.operation == "RecordActivityTaskHeartbeat"


async def test_transient_5xx_then_success_is_retried() -> None:
    async with (
        scripted_server((500, b""), (200, b'{"cancelRequested": true}')) as server,
        both_paths(server.url) as paths,
    ):
        answer = await paths.fast.send(api.RecordActivityTaskHeartbeatInput(task_token="t"))
    assert answer == api.ActivityTaskStatus(cancel_requested=True)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "request_",
    [
        api.RecordActivityTaskHeartbeatInput(task_token="t"),
        api.DescribeDomainInput(name="d"),
        api.GetWorkflowExecutionHistoryInput(
            domain="d", execution=WorkflowExecution(workflow_id="w", run_id="r")
        ),
        poll_decision(),
    ],
    ids=lambda r: type(r).__name__,
)
async def test_a_body_that_is_not_swfs_is_the_same_error_on_both(request_: Request[Any]) -> None:
    async with (
        scripted_server((200, b"<html>proxy login</html>")) as server,
        both_paths(server.url) as paths,
    ):
        ours, theirs = await raised_on_both(paths, request_, SwfAsyncError)
    assert type(ours) is type(theirs)
    assert type(ours.__cause__) is type(theirs.__cause__)
    if isinstance(ours, SwfConnectionError):
        assert ours.endpoint == server.url
        assert ours.operation == request_.operation
        assert "the answer is not SWF's" in str(ours)
        assert isinstance(ours.__cause__, ResponseParserError)
    else:  # a history page: the codec's error, on both paths
        assert isinstance(ours, HistoryError)
        assert "not valid JSON" in str(ours)


async def test_an_activity_poll_answered_by_a_page_that_is_not_json() -> None:
    """botocore's own parser makes an empty answer of a body that is not JSON, which for a
    poll reads as "no task": both paths refuse it instead, so a worker behind a proxy
    that answers with its login page says so rather than polling on in silence."""
    async with (
        scripted_server((200, b"<html>proxy login</html>")) as server,
        both_paths(server.url) as paths,
    ):
        ours, theirs = await raised_on_both(paths, poll_activity(), SwfConnectionError)
    for refused in (ours, theirs):
        assert isinstance(refused.__cause__, ResponseParserError)
        assert "the answer is not SWF's" in str(refused)


@pytest.mark.parametrize(
    "body", [b'{"startedEventId": 0}', b'{"taskToken": "", "startedEventId": 0}', b"{}"]
)
@pytest.mark.parametrize(
    "request_", [poll_activity(), poll_decision()], ids=["activity", "decision"]
)
async def test_an_empty_poll_is_none_on_both(body: bytes, request_: Request[Any]) -> None:
    async with scripted_server((200, body)) as server, both_paths(server.url) as paths:
        assert await paths.fast.send(request_) is None
        assert await paths.botocore.send(request_) is None


async def test_an_answer_that_does_not_fit_the_output_shape_is_not_swfs() -> None:
    async with (
        scripted_server((200, b'{"cancelRequested": "maybe"}')) as server,
        both_paths(server.url) as paths,
    ):
        ours, theirs = await raised_on_both(
            paths, api.RecordActivityTaskHeartbeatInput(task_token="t"), SwfConnectionError
        )
    assert isinstance(ours.__cause__, ResponseParserError)
    assert isinstance(theirs.__cause__, ResponseParserError)


# -- the dev server: the same answers through both transports ----------------------------------


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


STEP = ActivityType(name="Step", version="1")


def schedule(activity_id: str, **members: Any) -> d.ScheduleActivityTask:
    attributes: dict[str, Any] = {
        "activity_type": STEP,
        "activity_id": activity_id,
        "input": f'["{activity_id}"]',
        **members,
    }
    return d.ScheduleActivityTask(attributes=d.ScheduleActivityTaskDecisionAttributes(**attributes))


def timer(timer_id: str = "t1", fire: str = "5") -> d.StartTimer:
    return d.StartTimer(
        attributes=d.StartTimerDecisionAttributes(timer_id=timer_id, start_to_fire_timeout=fire)
    )


async def run_script(swf: SwfTransport, domain: str, run_id: str) -> list[Any]:
    """Every hot operation, in the order a worker uses them, with cancellation and failure;
    returns every answer."""
    answers: list[Any] = []

    async def send(request: Request[Any]) -> Any:
        answers.append(await swf.send(request))
        return answers[-1]

    async def decide(*decisions: Any, **poll: Any) -> None:
        task = await send(poll_decision(domain, DECIDERS, identity="decider", **poll))
        await send(
            api.RespondDecisionTaskCompletedInput(
                task_token=task.task_token, decisions=list(decisions)
            )
        )

    def work() -> Any:
        return send(poll_activity(domain, WORKERS, identity="w"))

    await decide(schedule("a1"), maximum_page_size=1000)
    a1 = await work()
    await send(api.RecordActivityTaskHeartbeatInput(task_token=a1.task_token, details="50%"))
    await send(api.RespondActivityTaskCompletedInput(task_token=a1.task_token, result='"one"'))
    await decide(schedule("a2"), schedule("a3"), start_at_previous_started_event=True)
    a2, a3 = await work(), await work()
    await send(
        api.RespondActivityTaskFailedInput(task_token=a2.task_token, reason="boom", details="{}")
    )
    cancel = d.RequestCancelActivityTask(
        attributes=d.RequestCancelActivityTaskDecisionAttributes(activity_id="a3")
    )
    await decide(cancel)
    await send(api.RecordActivityTaskHeartbeatInput(task_token=a3.task_token))  # cancelRequested
    await send(api.RespondActivityTaskCanceledInput(task_token=a3.task_token, details="ok"))
    # A decision task in pages of 4 events, then the history in pages of 5.
    first = await send(poll_decision(domain, DECIDERS, identity="decider", maximum_page_size=4))
    page = first
    while page.next_page_token:
        page = await send(
            poll_decision(
                domain, DECIDERS, maximum_page_size=4, next_page_token=page.next_page_token
            )
        )
    complete = d.CompleteWorkflowExecution(
        attributes=d.CompleteWorkflowExecutionDecisionAttributes(result="3")
    )
    await send(
        api.RespondDecisionTaskCompletedInput(task_token=first.task_token, decisions=[complete])
    )
    execution = WorkflowExecution(workflow_id="wf", run_id=run_id)
    history = api.GetWorkflowExecutionHistoryInput(
        domain=domain, execution=execution, maximum_page_size=5
    )
    page = await send(history)
    while page.next_page_token:
        page = await send(msgspec.structs.replace(history, next_page_token=page.next_page_token))
    await send(
        api.GetWorkflowExecutionHistoryInput(domain=domain, execution=execution, reverse_order=True)
    )
    # An empty long poll has no task token: it ends after the server's poll timeout.
    await send(poll_activity(domain, WORKERS))
    return answers


def comparable(answer: Any, run_id: str) -> Any:
    """An answer as plain values without the tokens and ids the two domains cannot share
    (task tokens, page tokens, the run id)."""

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ("<token>" if k in ("taskToken", "nextPageToken") else scrub(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return "<run>" if value == run_id else value

    return scrub(msgspec.to_builtins(answer))


async def test_every_hot_operation_answers_the_same_structs_on_both(
    dev_server: DevServer,
) -> None:
    async with both_paths(dev_server.endpoint_url) as paths:
        runs = {side: await prepare_domain(paths.client, side) for side in ("fast", "botocore")}
        fast_answers = await run_script(paths.fast, "fast", runs["fast"])
        botocore_answers = await run_script(paths.botocore, "botocore", runs["botocore"])
    assert len(fast_answers) == len(botocore_answers) > 20
    for ours, theirs in zip(fast_answers, botocore_answers, strict=True):
        # the same Structs, not just the same JSON: events are wire Structs on both
        assert type(ours) is type(theirs)
        if hasattr(ours, "events"):
            assert [type(v) for v in ours.events] == [type(v) for v in theirs.events]
        assert comparable(ours, runs["fast"]) == comparable(theirs, runs["botocore"])
    kinds = {type(a) for a in fast_answers}
    assert {api.DecisionTask, api.ActivityTask, api.ActivityTaskStatus, api.History} <= kinds
    assert None in fast_answers[:-1]  # operations that answer nothing
    assert any(isinstance(v, e.ActivityTaskCanceled) for v in fast_answers[-2].events)
    assert api.ActivityTaskStatus(cancel_requested=True) in fast_answers
    assert fast_answers[-1] is None  # the empty poll
    assert botocore_answers[-1] is None


async def test_faults_are_the_same_on_both(dev_server: DevServer) -> None:
    requests: list[Request[Any]] = [
        api.RespondActivityTaskCompletedInput(task_token="no-such-token", result="1"),
        api.RespondDecisionTaskCompletedInput(task_token="no-such-token"),
        api.RecordActivityTaskHeartbeatInput(task_token="no-such-token"),
        poll_decision("no-such-domain"),
        api.GetWorkflowExecutionHistoryInput(
            domain="no-such-domain", execution=WorkflowExecution(workflow_id="w", run_id="r")
        ),
    ]
    codes = []
    async with both_paths(dev_server.endpoint_url) as paths:
        for request in requests:
            ours, theirs = await raised_on_both(paths, request, SwfServiceError)
            assert fault(ours) == fault(theirs)
            assert str(ours) == str(theirs)
            assert isinstance(ours.__cause__, ClientError)
            # The dev server numbers its requests as SWF ids them: each answer its own.
            assert ours.request_id
            assert theirs.request_id
            assert ours.request_id != theirs.request_id
            codes.append(ours.code)
    assert codes[0] == "UnknownResourceFault"
    assert set(codes) == {"UnknownResourceFault"}


# -- refused requests: our SwfValidationError on both paths, nothing sent ---------------------

SA = "scheduleActivityTaskDecisionAttributes"


def bad(value: Any) -> Any:
    """A value of a type the annotation does not allow (to build a Struct with it)."""
    return value


@dataclass(frozen=True)
class Refused:
    field: str
    rule: str
    limit: int | None = None
    error: type[SwfValidationError] = SwfValidationError


REFUSED: list[tuple[Request[Any], Refused]] = [
    (poll_activity(domain=bad(None)), Refused("domain", "type")),
    (poll_activity(domain=bad(7)), Refused("domain", "type")),
    (poll_activity(domain=""), Refused("domain", "length", 1)),
    (poll_activity(task_list="t" * 257), Refused("taskList.name", "length", 256)),
    (poll_activity(task_list="a|b"), Refused("taskList.name", "characters")),
    (
        api.PollForActivityTaskInput(domain="d", task_list=bad({"name": "t"})),
        Refused("taskList", "type"),
    ),
    (poll_decision(maximum_page_size=1001), Refused("maximumPageSize", "range", 1000)),
    (poll_decision(reverse_order=bad("yes")), Refused("reverseOrder", "type")),
    (
        api.RespondActivityTaskCompletedInput(task_token="t", result="\U0001f600" * 16385),
        Refused("result", "length", 32768, PayloadTooLargeError),
    ),
    (api.RespondActivityTaskFailedInput(task_token=""), Refused("taskToken", "length", 1)),
    (
        api.RecordActivityTaskHeartbeatInput(task_token="t", details=bad(b"50%")),
        Refused("details", "type"),
    ),
    (
        api.RespondDecisionTaskCompletedInput(
            task_token="t", decisions=[schedule("a1"), timer(), schedule("a:3")]
        ),
        Refused(f"decisions[2].{SA}.activityId", "characters"),
    ),
    (
        api.RespondDecisionTaskCompletedInput(task_token="t", decisions=[timer(fire="123456789")]),
        Refused("decisions[0].startTimerDecisionAttributes.startToFireTimeout", "digits", 8),
    ),
    (
        api.RespondDecisionTaskCompletedInput(
            task_token="t", decisions=[schedule("a1", task_priority="2147483648")]
        ),
        Refused(f"decisions[0].{SA}.taskPriority", "range", 2**31 - 1),
    ),
    (
        api.RespondDecisionTaskCompletedInput(task_token="t", decisions=[bad({"timerId": "t"})]),
        Refused("decisions[0]", "type"),
    ),
    (
        api.RespondDecisionTaskCompletedInput(
            task_token="t", task_list=TaskList(name="s"), task_list_schedule_to_start_timeout=bad(5)
        ),
        Refused("taskListScheduleToStartTimeout", "type"),
    ),
    (
        api.GetWorkflowExecutionHistoryInput(
            domain="d", execution=WorkflowExecution(workflow_id="w", run_id=bad(None))
        ),
        Refused("execution.runId", "type"),
    ),
]


@pytest.mark.parametrize(
    ("request_", "refused"), REFUSED, ids=[r.field + ":" + r.rule for _, r in REFUSED]
)
async def test_refused_requests_are_not_sent(request_: Request[Any], refused: Refused) -> None:
    async with scripted_server() as server, both_paths(server.url) as paths:
        ours, theirs = await raised_on_both(paths, request_, SwfValidationError)
    assert server.requests == []
    for error in (ours, theirs):
        assert type(error) is refused.error
        assert (error.field, error.rule) == (refused.field, refused.rule), str(error)
        if refused.limit is not None:
            assert error.limit == refused.limit
        assert error.__cause__ is None  # ours, not botocore's


async def test_a_client_without_parameter_validation_sends_requests_unchecked(
    dev_server: DevServer,
) -> None:
    """``parameter_validation=False`` is the client's choice to let SWF judge the requests:
    both paths send them, and the server's fault is the same on both."""
    unchecked: list[Request[Any]] = [
        poll_activity(task_list="t" * 300),
        poll_decision(maximum_page_size=1001),
        api.RespondActivityTaskFailedInput(task_token="", reason="r"),
    ]
    config = make_config().merge(Config(parameter_validation=False))
    async with both_paths(dev_server.endpoint_url, config=config) as paths:
        assert not paths.fast.validates_parameters
        assert not paths.botocore.validates_parameters
        for request in unchecked:
            ours, theirs = await raised_on_both(paths, request, SwfServiceError)
            assert fault(ours) == fault(theirs), request
            assert ours.code == "ValidationException"
    async with both_paths(dev_server.endpoint_url) as paths:
        assert paths.fast.validates_parameters
        assert paths.botocore.validates_parameters


# Well-formed at every depth and at the limits: past the checks, the dev server answers
# both paths with the same fault for the unknown token or domain.
ACCEPTED: list[Request[Any]] = [
    api.RespondDecisionTaskCompletedInput(
        task_token="no-such-token",
        decisions=[
            schedule("a" * 256, heartbeat_timeout="NONE", task_priority="-2147483648"),
            timer(fire="99999999"),
            d.CompleteWorkflowExecution(
                attributes=d.CompleteWorkflowExecutionDecisionAttributes(
                    result="\U0001f600" * 16384
                )
            ),
        ],
        execution_context="",
        task_list=TaskList(name="sticky"),
        task_list_schedule_to_start_timeout="5",
    ),
    poll_decision(
        "no-such-domain",
        identity="",
        maximum_page_size=0,
        reverse_order=False,
        start_at_previous_started_event=True,
    ),
    api.RespondActivityTaskFailedInput(task_token="no-such-token", reason="", details=""),
    api.GetWorkflowExecutionHistoryInput(
        domain="no-such-domain", execution=WorkflowExecution(workflow_id="w", run_id="r")
    ),
]


async def test_well_formed_requests_reach_swf(dev_server: DevServer) -> None:
    async with both_paths(dev_server.endpoint_url) as paths:
        for request in ACCEPTED:
            ours, theirs = await raised_on_both(paths, request, SwfServiceError)
            assert fault(ours) == fault(theirs), request
            assert ours.code == "UnknownResourceFault"


@asynccontextmanager
async def client_configured(config: Config) -> AsyncIterator[Any]:
    """An SWF client with ``config`` and an endpoint that is never called."""
    async with create_swf_client(
        endpoint_url="http://127.0.0.1:1",
        region_name=REGION,
        aws_access_key_id="a",
        aws_secret_access_key="b",
        config=config,
    ) as client:
        yield client


async def test_transport_takes_the_clients_limits() -> None:
    config = make_config().merge(Config(max_pool_connections=42))
    async with client_configured(config) as client:
        transport = FastSwfTransport(client)
    assert transport.read_timeout is not None
    assert transport.read_timeout >= 70  # SWF holds a long poll for 60 s
    assert transport.pool_size == 42
    assert transport.attempts == 6  # botocore's max_attempts counts the retries only


@pytest.mark.parametrize(
    ("connector_args", "declined"),
    [
        ({"keepalive_timeout": 5, "force_close": True}, None),
        ({"force_close": True, "use_dns_cache": False}, "use_dns_cache"),
        ({"keepalive_timeout": 5, "use_dns_cache": True}, "use_dns_cache"),
    ],
)
async def test_connector_args_it_follows_and_the_ones_it_leaves_to_aiobotocore(
    connector_args: dict[str, Any], declined: str | None
) -> None:
    async with client_configured(AioConfig(connector_args=connector_args)) as client:
        if declined is None:
            assert FastSwfTransport(client).settings.connector_args == connector_args
            return
        with pytest.raises(FastTransportUnavailable) as refused:
            FastSwfTransport(client)
    assert refused.value.setting == "connector_args"
    assert declined in refused.value.reason


async def test_starts_and_signals_answer_and_fail_the_same_on_both(dev_server: DevServer) -> None:
    """The client sends its starts and signals by the fast transport: they answer the same
    Structs, and refuse with the same faults, as through aiobotocore."""
    flow = WorkflowType(name="Flow", version="1")
    async with both_paths(dev_server.endpoint_url) as paths:
        run_id = await prepare_domain(paths.client, "starts")
        runs = [
            await transport.send(
                api.StartWorkflowExecutionInput(
                    domain="starts", workflow_id=f"start-{side}", workflow_type=flow, input="[2]"
                )
            )
            for side, transport in (("fast", paths.fast), ("botocore", paths.botocore))
        ]
        assert all(type(run) is api.Run and run.run_id for run in runs)
        signal = api.SignalWorkflowExecutionInput(
            domain="starts", workflow_id="wf", signal_name="go", input='"x"'
        )
        await paths.fast.send(signal)
        await paths.botocore.send(signal)
        history = await paths.fast.send(
            api.GetWorkflowExecutionHistoryInput(
                domain="starts", execution=WorkflowExecution(workflow_id="wf", run_id=run_id)
            )
        )
        signaled = [v for v in history.events if isinstance(v, e.WorkflowExecutionSignaled)]
        assert [v.attributes.signal_name for v in signaled] == ["go", "go"]
        refused: list[Request[Any]] = [
            api.StartWorkflowExecutionInput(domain="starts", workflow_id="wf", workflow_type=flow),
            api.SignalWorkflowExecutionInput(domain="starts", workflow_id="none", signal_name="x"),
        ]
        for request in refused:
            ours, theirs = await raised_on_both(paths, request, SwfServiceError)
            assert fault(ours) == fault(theirs)
