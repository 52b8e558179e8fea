"""Following executions: status, result, failure, run chain, list pages and history."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import aiohttp

from swfasync.gateway import Gateway

from .conftest import Api, Served
from .openapi_check import ResponseChecker
from .workflows import Ship


async def test_wait_returns_the_result_when_the_execution_closes(served: Served) -> None:
    api = served.api
    await api(
        "PUT",
        "/v1/workflows/s1",
        {"workflow": "Ship", "args": [{"street": "1 Main St", "city": "Lyon"}, ["a", "b"]]},
    )
    done = await api("GET", "/v1/workflows/s1?wait=10")
    assert done.status == 200
    body = done.body
    assert (body["status"], body["close_status"]) == ("CLOSED", "COMPLETED")
    assert body["result"] == {"Lyon": 2}
    assert body["failure"] is None
    assert (body["workflow"], body["version"]) == ("Ship", "1")
    assert [run["run_id"] for run in body["runs"]] == [body["run_id"]]
    assert body["closed_at"] >= body["started_at"]


async def test_without_wait_an_open_execution_answers_at_once_with_its_state(
    served: Served,
) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/a1", {"workflow": "Approval", "args": ["o-1"]})
    began = time.monotonic()
    now = await api("GET", "/v1/workflows/a1")
    assert time.monotonic() - began < 2
    assert (now.body["status"], now.body["result"]) == ("OPEN", None)
    # The state is published with the first decision: wait for it, bounded.
    held = await api("GET", "/v1/workflows/a1?wait=0.5")
    assert held.body["status"] == "OPEN"
    for _ in range(50):
        if (await api("GET", "/v1/workflows/a1")).body["state"] == {"stage": "waiting"}:
            break
        await asyncio.sleep(0.05)  # the worker's first decision, not the server's clock
    else:
        raise AssertionError("the published state never appeared")


async def test_a_wait_that_ends_first_answers_the_open_execution(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/a2", {"workflow": "Approval", "args": ["o-2"]})
    began = time.monotonic()
    held = await api("GET", "/v1/workflows/a2?wait=0.3")
    took = time.monotonic() - began
    assert held.status == 200
    assert held.body["status"] == "OPEN"
    assert 0.3 <= took < 3


async def test_a_failed_execution_reports_reason_and_details(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/f1", {"workflow": "Fail", "args": ["card declined"]})
    done = await api("GET", "/v1/workflows/f1?wait=10")
    body = done.body
    assert (body["status"], body["close_status"]) == ("CLOSED", "FAILED")
    assert body["result"] is None
    assert "card declined" in body["failure"]["reason"]
    assert '"code":7' in body["failure"]["details"].replace(" ", "")


async def test_the_run_chain_follows_continue_as_new(served: Served) -> None:
    api = served.api
    started = await api("PUT", "/v1/workflows/cd", {"workflow": "Countdown", "args": [3]})
    first_run = started.body["run_id"]
    done = await api("GET", "/v1/workflows/cd?wait=20")
    body = done.body
    assert (body["close_status"], body["result"]) == ("COMPLETED", 42)
    runs = body["runs"]
    assert len(runs) == 4
    assert runs[0]["run_id"] == first_run
    assert [r["close_status"] for r in runs] == ["CONTINUED_AS_NEW"] * 3 + ["COMPLETED"]
    assert runs[-1]["run_id"] == body["run_id"] != first_run
    # Asked by its first run, the chain is followed to the end all the same.
    by_first = await api("GET", f"/v1/workflows/cd?run_id={quote(first_run, safe='')}")
    assert by_first.body["run_id"] == body["run_id"]
    assert by_first.body["runs"] == runs


async def test_unknown_ids_are_404_and_a_bad_wait_400(served: Served) -> None:
    api = served.api
    missing = await api("GET", "/v1/workflows/nobody")
    assert (missing.status, missing.problem["workflow_id"]) == (404, "nobody")
    await api("PUT", "/v1/workflows/w", {"workflow": "Greet", "args": ["Ed"]})
    bad_run = await api("GET", "/v1/workflows/w?run_id=not-a-run")
    assert bad_run.status == 404
    for wait in ("61", "-1", "soon"):
        answer = await api("GET", f"/v1/workflows/w?wait={wait}")
        assert (answer.status, answer.problem["field"]) == (400, "wait"), wait


async def test_list_pages_open_and_closed_by_workflow_and_tag(served: Served) -> None:
    api = served.api
    for n in range(5):
        await api(
            "PUT",
            f"/v1/workflows/ap-{n}",
            {"workflow": "Approval", "args": [str(n)], "tags": ["batch-7"] if n % 2 else None},
        )
    await api("PUT", "/v1/workflows/gr", {"workflow": "Greet", "args": ["Fay"]})
    await api("GET", "/v1/workflows/gr?wait=10")

    seen: list[str] = []
    page = await api("GET", "/v1/workflows?status=open&workflow=Approval&page_size=2")
    while True:
        assert page.status == 200
        assert len(page.body["workflows"]) <= 2
        seen += [w["workflow_id"] for w in page.body["workflows"]]
        token = page.body["next_page_token"]
        if token is None:
            break
        page = await api("GET", f"/v1/workflows?page_token={token}&page_size=2")
    assert sorted(seen) == [f"ap-{n}" for n in range(5)]

    tagged = await api("GET", "/v1/workflows?tag=batch-7")
    assert sorted(w["workflow_id"] for w in tagged.body["workflows"]) == ["ap-1", "ap-3"]
    closed = await api("GET", "/v1/workflows?status=closed")
    assert [(w["workflow_id"], w["close_status"]) for w in closed.body["workflows"]] == [
        ("gr", "COMPLETED")
    ]
    for query, member in [
        ("status=done", "status"),
        ("workflow=A&tag=B", "tag"),
        ("page_token=%%%", "page_token"),
        ("page_size=0", "page_size"),
    ]:
        answer = await api("GET", f"/v1/workflows?{query}")
        assert (answer.status, answer.problem["field"]) == (400, member), query


async def test_history_as_events_or_a_timeline(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/h", {"workflow": "Greet", "version": "1", "args": ["Gus"]})
    await api("GET", "/v1/workflows/h?wait=10")
    events = await api("GET", "/v1/workflows/h/history")
    kinds = [event["eventType"] for event in events.body["events"]]
    assert kinds[0] == "WorkflowExecutionStarted"
    assert kinds[-1] == "WorkflowExecutionCompleted"
    assert events.body["events"][0]["eventId"] == 1
    timeline = await api("GET", "/v1/workflows/h/history?format=timeline")
    assert timeline.headers["Content-Type"].startswith("text/plain")
    assert "WorkflowExecutionCompleted" in timeline.body
    assert (await api("GET", "/v1/workflows/h/history?format=xml")).status == 400
    assert (await api("GET", "/v1/workflows/zz/history")).status == 404


async def test_status_of_types_this_gateway_does_not_serve(served: Served) -> None:
    """Another gateway's workflows: the state read from history or from Describe."""
    api = served.api
    await api("PUT", "/v1/workflows/ns-a", {"workflow": "Approval", "args": ["o"]})
    await api("POST", "/v1/workflows/ns-a/signals/approve", {"args": ["ok"]})
    await api("PUT", "/v1/workflows/ns-g", {"workflow": "Greet", "version": "1", "args": ["Al"]})
    narrow = Gateway(served.env.client, workflows=[Ship])
    async with narrow.serve("127.0.0.1", 0) as url, aiohttp.ClientSession(url) as http:
        other = Api(http, ResponseChecker(narrow.openapi()))
        approval = await other("GET", "/v1/workflows/ns-a?wait=10")
        assert (approval.body["state"], approval.body["result"]) == (
            {"stage": "approved"},
            ["o", "ok"],
        )
        greet = await other("GET", "/v1/workflows/ns-g?wait=10")
        assert (greet.body["state"], greet.body["result"]) == (None, "Hello, Al!")
        assert greet.body["workflow"] == "Greet"
