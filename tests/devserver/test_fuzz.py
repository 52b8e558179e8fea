"""Fuzzing the dev server over raw HTTP: requests generated from botocore's model for all
39 operations, mostly well formed, with mistakes planted at any depth, in the body's
bytes and in the headers.

The invariant, for every request: the answer is a 200 or a fault in SWF's JSON shape that
the operation declares (or a common one), checked by the conformance suite's wire
validator, within a time bound; the server never logs a failure of its own. Afterwards
the server still serves, and a normal workflow runs to completion.

The default run is short and derandomised (the same examples every time). A longer run:

    SWFASYNC_FUZZ_EXAMPLES=2000 .venv/bin/pytest -s tests/devserver/test_fuzz.py

draws that many examples per operation with a random seed, and prints the requests per
operation and every answer class (a status with a fault type, or 200).
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.model import ListShape, Shape, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from swfasync.devserver import DevServer
from swfasync.devserver._rules import NUMERIC_SHAPES, carries_name_rule

from .conformance.validation import service_model, validate_wire_response

LONG_RUN = int(os.environ.get("SWFASYNC_FUZZ_EXAMPLES", "0"))
EXAMPLES = LONG_RUN or 25
OPERATIONS = sorted(service_model().operation_names)
DOMAIN = "fuzz"
# a poll answers empty after this long; every other answer comes well within the bound
LONG_POLL = 0.2
ANSWER_BOUND = 10.0


# -- a server on its own loop, in a thread, for a synchronous client ---------------------


class LiveServer:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = DevServer(long_poll_timeout=LONG_POLL)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.aclose(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    @property
    def port(self) -> int:
        return self.server.port


class RawClient:
    """One keep-alive connection; requests written as given, answers read as bytes."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_BOUND * 2)

    def send(
        self, target: bytes, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, float]:
        started = time.perf_counter()
        try:
            self.conn.putrequest("POST", "/", skip_accept_encoding=True)
            self.conn.putheader("Content-Type", "application/x-amz-json-1.0")
            self.conn.putheader(b"X-Amz-Target", target)
            for name, value in (headers or {}).items():
                self.conn.putheader(name, value)
            self.conn.putheader("Content-Length", str(len(body)))
            self.conn.endheaders(body)
            response = self.conn.getresponse()
            answer = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            raise
        elapsed = time.perf_counter() - started
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, dict(response.getheaders()), answer, elapsed

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        status, _, answer, _ = self.send(
            b"SimpleWorkflowService." + operation.encode(), json.dumps(body).encode()
        )
        decoded: dict[str, Any] = json.loads(answer)
        assert status == 200, (operation, decoded)
        return decoded


# -- bodies from the model -----------------------------------------------------------------

WRONG_VALUES: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 2**63, 1.5, True, "", "x", [], [None], {}, {"name": "x"}, "\U0001f600" * 300]
)
NUMBERS = st.sampled_from(
    ["0", "7", "+3", "-1", "NONE", "1_0", " 5 ", "²", "\u0663", "99999999", "2147483648", "1e3"]
)
NAMES = st.sampled_from(
    ["ok", "a:b", "a/b", "a|b", " a", "a ", "arn", "x\x00", "x\x85", "é", "\U0001f600" * 128]
)
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=12
) | st.sampled_from(["deciders", "workers", DOMAIN, "wf", "1", "act"])


@st.composite
def values_of(draw: st.DrawFn, shape: Shape, named: bool = False, depth: int = 0) -> Any:
    """A value for ``shape``: mostly within its constraints, sometimes not at all."""
    if draw(st.integers(0, 15)) == 0:
        return draw(WRONG_VALUES)
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if name in shape.required_members or draw(st.integers(0, 3)) == 0:
                rule = carries_name_rule(shape, name) or (named and name == "name")
                out[name] = draw(values_of(member, rule, depth + 1))
        if draw(st.integers(0, 20)) == 0:
            out["notInTheModel"] = draw(WRONG_VALUES)
        return out
    if kind == "list":
        assert isinstance(shape, ListShape)
        size = draw(st.integers(0, 3) | st.sampled_from([meta.get("max", 4) + 1]))
        return [draw(values_of(shape.member, False, depth + 1)) for _ in range(size)]
    if kind == "string":
        enum = getattr(shape, "enum", None) or []
        if enum and draw(st.integers(0, 6)):
            return draw(st.sampled_from(enum))
        if shape.name in NUMERIC_SHAPES and draw(st.integers(0, 3)):
            return draw(NUMBERS)
        if named and draw(st.integers(0, 2)) == 0:
            return draw(NAMES)
        if "max" in meta and draw(st.integers(0, 10)) == 0:
            return draw(st.sampled_from(["x", "\U0001f600"])) * (meta["max"] // 2 + 1)
        return draw(TEXT)
    if kind in ("integer", "long"):
        low, high = meta.get("min", -5), meta.get("max", 5)
        return draw(st.integers(low - 1, min(high, low + 10) + 1))
    if kind == "boolean":
        return draw(st.booleans())
    assert kind == "timestamp", kind
    return draw(st.integers(0, 2_000_000_000) | st.floats(0, 2e9))


def mutate_bytes(draw: st.DrawFn, body: bytes) -> bytes:
    """The body's bytes broken the ways a hostile or buggy client breaks them."""
    how = draw(st.sampled_from(["truncate", "invalid utf-8", "nest", "garbage", "empty", "pad"]))
    if how == "truncate":
        return body[: draw(st.integers(0, max(len(body) - 1, 0)))]
    if how == "invalid utf-8":
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80"])) + body[at:]
    if how == "nest":
        depth = draw(st.sampled_from([10, 1_000, 100_000]))
        return b'{"domain": ' + b"[" * depth + b"]" * depth + b"}"
    if how == "garbage":
        return draw(st.binary(max_size=40))
    if how == "pad":
        return b" \n\t" + body + b" "
    return b""


@dataclass
class Request:
    target: bytes
    value: Any  # the body as JSON values, unless ``raw`` replaces it
    raw: bytes | None
    ascii_only: bool
    headers: dict[str, str]
    live: bool  # with a live task token and execution where the operation takes them

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.value, ensure_ascii=self.ascii_only).encode()


@st.composite
def requests_for(draw: st.DrawFn, operation: str) -> Request:
    """A request to ``operation``, from its input shape, perhaps broken."""
    shape = service_model().operation_model(operation).input_shape
    assert shape is not None
    value = draw(values_of(shape))
    if isinstance(value, dict) and "domain" in value and draw(st.booleans()):
        value["domain"] = DOMAIN  # reach past the domain lookup
    request = Request(
        target=b"SimpleWorkflowService." + operation.encode(),
        value=value,
        raw=None,
        ascii_only=draw(st.booleans()),
        headers={},
        live=draw(st.integers(0, 2)) > 0,
    )
    if draw(st.integers(0, 9)) == 0:
        request.raw = mutate_bytes(draw, request.body())
    mistake = draw(st.sampled_from(["none"] * 28 + ["target", "encoding"]))
    if mistake == "target":
        request.target += draw(st.sampled_from([b"\xc9", b"x", b" "]))
    elif mistake == "encoding":
        request.headers["Content-Encoding"] = draw(st.sampled_from(["gzip", "br", "amz-1.0"]))
    return request


# -- live tasks and executions, so that requests reach past the token lookups -------------

LIVE_DOMAIN = "fuzz-live-domain-0"
LIVE_DECIDERS = "fuzz-live-deciders"
LIVE_WORKERS = "fuzz-live-workers"
WORKFLOW_TYPE = {"name": "fuzz-live-wf", "version": "1"}


def set_up_live_domain(client: RawClient) -> None:
    client.call(
        "RegisterDomain", {"name": LIVE_DOMAIN, "workflowExecutionRetentionPeriodInDays": "1"}
    )
    client.call(
        "RegisterWorkflowType",
        {
            "domain": LIVE_DOMAIN,
            **WORKFLOW_TYPE,
            "defaultTaskList": {"name": LIVE_DECIDERS},
            "defaultExecutionStartToCloseTimeout": "3600",
            "defaultTaskStartToCloseTimeout": "600",
            "defaultChildPolicy": "TERMINATE",
        },
    )
    client.call(
        "RegisterActivityType",
        {
            "domain": LIVE_DOMAIN,
            "name": "fuzz-live-act",
            "version": "1",
            "defaultTaskList": {"name": LIVE_WORKERS},
            "defaultTaskScheduleToStartTimeout": "600",
            "defaultTaskScheduleToCloseTimeout": "1200",
            "defaultTaskStartToCloseTimeout": "600",
            "defaultTaskHeartbeatTimeout": "NONE",
        },
    )


_runs = itertools.count()


def live_decision_task(client: RawClient) -> dict[str, Any]:
    number = next(_runs)
    workflow_id = f"fuzz-live-{number}"
    task_list = {"name": f"{LIVE_DECIDERS}-{number}"}  # its own: no other run's task in it
    client.call(
        "StartWorkflowExecution",
        {
            "domain": LIVE_DOMAIN,
            "workflowId": workflow_id,
            "workflowType": WORKFLOW_TYPE,
            "taskList": task_list,
        },
    )
    task = client.call("PollForDecisionTask", {"domain": LIVE_DOMAIN, "taskList": task_list})
    assert task["workflowExecution"]["workflowId"] == workflow_id
    return task


def live_activity_task(client: RawClient) -> dict[str, Any]:
    decision = live_decision_task(client)
    task_list = {"name": LIVE_WORKERS + "-" + decision["workflowExecution"]["workflowId"]}
    schedule = {
        "activityId": "a",
        "activityType": {"name": "fuzz-live-act", "version": "1"},
        "taskList": task_list,
    }
    client.call(
        "RespondDecisionTaskCompleted",
        {
            "taskToken": decision["taskToken"],
            "decisions": [
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": schedule,
                }
            ],
        },
    )
    task = client.call("PollForActivityTask", {"domain": LIVE_DOMAIN, "taskList": task_list})
    assert task["taskToken"]
    return task


def make_live(client: RawClient, operation: str, value: dict[str, Any]) -> None:
    """Point ``value`` at a live task or execution, where ``operation`` names one."""
    if operation == "RespondDecisionTaskCompleted":
        value["taskToken"] = live_decision_task(client)["taskToken"]
    elif "taskToken" in value:
        value["taskToken"] = live_activity_task(client)["taskToken"]
    elif "workflowId" in value or "execution" in value:
        run = live_decision_task(client)["workflowExecution"]
        value["domain"] = LIVE_DOMAIN
        if "execution" in value:
            value["execution"] = run
        else:
            value["workflowId"] = run["workflowId"]
            if "runId" in value:
                value["runId"] = run["runId"]


# -- the test -----------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.answers: Counter[tuple[str, str]] = Counter()
        self.slowest: dict[str, float] = {}

    def add(self, operation: str, status: int, decoded: object, elapsed: float) -> None:
        kind = "200" if status == 200 else f"{status} {_fault_name(decoded)}"
        self.answers[operation, kind] += 1
        self.slowest[operation] = max(self.slowest.get(operation, 0.0), elapsed)

    def report(self) -> str:
        lines = []
        for operation in OPERATIONS:
            classes = {k: n for (op, k), n in self.answers.items() if op == operation}
            total = sum(classes.values())
            detail = ", ".join(f"{k}: {n}" for k, n in sorted(classes.items()))
            lines.append(
                f"{operation}: {total} requests, slowest {self.slowest.get(operation, 0):.3f} s"
                f" ({detail})"
            )
        overall: Counter[str] = Counter()
        for (_, kind), n in self.answers.items():
            overall[kind] += n
        lines.append(f"all: {sum(overall.values())} requests: {dict(sorted(overall.items()))}")
        return "\n".join(lines)


def _fault_name(decoded: object) -> str:
    if isinstance(decoded, dict):
        return str(decoded.get("__type", "?")).rsplit("#", 1)[-1]
    return "?"


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    with LiveServer() as server:
        with RawClient(server.port) as client:
            client.call(
                "RegisterDomain", {"name": DOMAIN, "workflowExecutionRetentionPeriodInDays": "1"}
            )
            set_up_live_domain(client)
        yield server


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    counts = Tally()
    yield counts
    if LONG_RUN:
        print("\n" + counts.report())  # noqa: T201 - the long run's figures


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_answer_is_200_or_a_declared_fault(
    live: LiveServer, tally: Tally, operation: str
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not LONG_RUN,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests_for(operation))
    def one_request(request: Request) -> None:
        if request.live and request.raw is None and isinstance(request.value, dict):
            make_live(client, operation, request.value)
        body = request.body()
        status, answer_headers, answer, elapsed = client.send(request.target, body, request.headers)
        decoded, problems = validate_wire_response(operation, status, answer_headers, answer)
        tally.add(operation, status, decoded, elapsed)
        assert not problems, (operation, body[:300], decoded, problems)
        assert elapsed < ANSWER_BOUND, (operation, elapsed)
        assert _fault_name(decoded) != "InternalFailure", (operation, body[:300], decoded)

    with RawClient(live.port) as client, capture_logs() as logs:
        one_request()
    failures = [e for e in logs if e["log_level"] in ("error", "critical")]
    assert failures == [], failures


def test_the_server_serves_a_workflow_after_the_fuzzing(live: LiveServer) -> None:
    """Runs after the fuzz tests (module order): the state they left is still usable."""
    with RawClient(live.port) as client:
        run_a_workflow(client)


def run_a_workflow(client: RawClient) -> None:
    domain = "after-fuzz"
    client.call("RegisterDomain", {"name": domain, "workflowExecutionRetentionPeriodInDays": "1"})
    client.call(
        "RegisterWorkflowType",
        {
            "domain": domain,
            "name": "wf",
            "version": "1",
            "defaultTaskList": {"name": "deciders"},
            "defaultExecutionStartToCloseTimeout": "60",
            "defaultTaskStartToCloseTimeout": "10",
            "defaultChildPolicy": "TERMINATE",
        },
    )
    run = client.call(
        "StartWorkflowExecution",
        {"domain": domain, "workflowId": "w", "workflowType": {"name": "wf", "version": "1"}},
    )
    task = client.call("PollForDecisionTask", {"domain": domain, "taskList": {"name": "deciders"}})
    assert task["taskToken"]
    client.call(
        "RespondDecisionTaskCompleted",
        {
            "taskToken": task["taskToken"],
            "decisions": [
                {
                    "decisionType": "CompleteWorkflowExecution",
                    "completeWorkflowExecutionDecisionAttributes": {"result": "done"},
                }
            ],
        },
    )
    described = client.call(
        "DescribeWorkflowExecution",
        {"domain": domain, "execution": {"workflowId": "w", "runId": run["runId"]}},
    )
    assert described["executionInfo"]["closeStatus"] == "COMPLETED"
