"""Starting workflows: idempotent by id, checked before SWF sees the request."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from .conftest import Served


async def test_put_starts_then_the_same_request_is_200_and_another_409(served: Served) -> None:
    api = served.api
    body = {"workflow": "Greet", "version": "1", "args": ["Ada", 2]}
    first = await api("PUT", "/v1/workflows/order-1", body)
    assert first.status == 201
    assert first.body["workflow_id"] == "order-1"
    assert first.body["status"] == "OPEN"
    run_id = first.body["run_id"]
    assert first.headers["Location"] == f"/v1/workflows/order-1?run_id={quote(run_id, safe='')}"

    again = await api("PUT", "/v1/workflows/order-1", body)
    assert again.status == 200
    assert again.body["run_id"] == run_id

    other = await api("PUT", "/v1/workflows/order-1", {**body, "args": ["Bob", 2]})
    assert other.status == 409
    assert other.problem["workflow_id"] == "order-1"


async def test_same_request_after_the_run_closed_is_200_with_its_result(served: Served) -> None:
    api = served.api
    body = {"workflow": "Greet", "version": "1", "args": ["Ada"]}
    started = await api("PUT", "/v1/workflows/once", body)
    done = await api("GET", "/v1/workflows/once?wait=10")
    assert done.body["result"] == "Hello, Ada!"
    again = await api("PUT", "/v1/workflows/once", body)
    assert again.status == 200
    assert again.body == {**started.body, "status": "CLOSED"}


async def test_fifty_concurrent_identical_starts_make_one_execution(served: Served) -> None:
    api = served.api
    body = {"workflow": "Approval", "args": ["o-50"]}
    answers = await asyncio.gather(*(api("PUT", "/v1/workflows/burst", body) for _ in range(50)))
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] * 49 + [201]
    assert len({a.body["run_id"] for a in answers}) == 1
    client = served.env.client
    open_runs = await client.list_workflows(status="OPEN", workflow_id="burst")
    closed_runs = await client.list_workflows(status="CLOSED", workflow_id="burst")
    assert [r.run_id for r in open_runs] == [answers[0].body["run_id"]]
    assert closed_runs == []


async def test_post_takes_the_id_from_idempotency_key_or_makes_one(served: Served) -> None:
    api = served.api
    body = {"workflow": "Greet", "version": "1", "args": ["Cy"]}
    keyed = await api("POST", "/v1/workflows", body, headers={"Idempotency-Key": "k-1"})
    assert keyed.status == 201
    assert keyed.body["workflow_id"] == "k-1"
    again = await api("POST", "/v1/workflows", body, headers={"Idempotency-Key": "k-1"})
    assert (again.status, again.body["run_id"]) == (200, keyed.body["run_id"])
    generated = [await api("POST", "/v1/workflows", body) for _ in range(2)]
    assert [g.status for g in generated] == [201, 201]
    assert generated[0].body["workflow_id"] != generated[1].body["workflow_id"]
    empty = await api("POST", "/v1/workflows", body, headers={"Idempotency-Key": " "})
    assert (empty.status, empty.problem["field"]) == (400, "Idempotency-Key")


async def test_a_name_without_version_starts_the_highest_served_version(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/v", {"workflow": "Greet", "args": ["Di"]})
    done = await api("GET", "/v1/workflows/v?wait=10")
    assert (done.body["version"], done.body["result"]) == ("2", "Hi, Di!")


async def test_an_unserved_workflow_or_version_is_404_naming_the_field(served: Served) -> None:
    api = served.api
    name = await api("PUT", "/v1/workflows/x", {"workflow": "Nope", "args": []})
    assert (name.status, name.problem["field"]) == (404, "workflow")
    version = await api("PUT", "/v1/workflows/x", {"workflow": "Greet", "version": "9"})
    assert (version.status, version.problem["field"]) == (404, "version")


async def test_a_malformed_body_is_400_naming_the_member(served: Served) -> None:
    api = served.api
    cases = [
        ({"workflow": "Greet", "arg": ["Ada"]}, "arg"),
        ({"args": ["Ada"]}, "workflow"),
        ({"workflow": "Greet", "args": "Ada"}, "args"),
        ({"workflow": "Greet", "args": ["Ada"], "execution_timeout": 0}, "execution_timeout"),
        ({"workflow": "Greet", "args": ["Ada"], "tags": [1]}, "tags"),
    ]
    for body, member in cases:
        answer = await api("PUT", "/v1/workflows/bad", body)
        assert (answer.status, answer.problem["field"]) == (400, member), body
    not_json = await api(
        "PUT", "/v1/workflows/bad", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status == 400
    assert not_json.problem["type"].endswith("invalid-json")
    form = await api(
        "PUT", "/v1/workflows/bad", data=b"a=b", headers={"Content-Type": "text/plain"}
    )
    assert form.status == 415


async def test_input_past_swf_limit_is_413_with_size_and_limit(served: Served) -> None:
    big = "x" * 40_000
    answer = await served.api("PUT", "/v1/workflows/big", {"workflow": "Greet", "args": [big]})
    assert answer.status == 413
    problem = answer.problem
    assert (problem["field"], problem["limit"]) == ("input", 32_768)
    assert problem["size"] > 32_768
    assert await served.env.client.list_workflows(status="OPEN", workflow_id="big") == []


async def test_an_id_swf_forbids_is_400_naming_it(served: Served) -> None:
    answer = await served.api("PUT", "/v1/workflows/a:b", {"workflow": "Greet", "args": ["Ada"]})
    assert answer.status == 400
    assert answer.problem["field"] == "workflow_id"


async def test_args_that_do_not_fit_the_annotations_are_400_naming_the_parameter(
    served: Served,
) -> None:
    api = served.api
    wrong = await api(
        "PUT", "/v1/workflows/w1", {"workflow": "Greet", "version": "1", "args": [42]}
    )
    assert wrong.status == 400
    problem = wrong.problem
    assert (problem["field"], problem["parameter"]) == ("args", "name")
    assert "str" in problem["expected"]
    missing = await api("PUT", "/v1/workflows/w1", {"workflow": "Greet", "version": "1"})
    assert (missing.status, missing.problem["parameter"]) == (400, "name")
    ship = {"workflow": "Ship", "args": [{"street": "1 Main St"}, ["a"]]}
    partial = await api("PUT", "/v1/workflows/w2", ship)
    assert (partial.status, partial.problem["parameter"]) == (400, "address")
    # Nothing was started for any of them.
    client = served.env.client
    assert await client.count_workflows(status="OPEN") == 0
