"""Signals, cancellation and termination over HTTP."""

from __future__ import annotations

from urllib.parse import quote

from .conftest import Served


async def test_a_signal_is_202_and_reaches_the_handler(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/ap", {"workflow": "Approval", "args": ["o-9"]})
    sent = await api("POST", "/v1/workflows/ap/signals/approve", {"args": ["looks good"]})
    assert sent.status == 202
    assert sent.body["workflow_id"] == "ap"
    done = await api("GET", "/v1/workflows/ap?wait=10")
    assert done.body["result"] == ["o-9", "looks good"]
    assert done.body["state"] == {"stage": "approved"}


async def test_signals_to_missing_or_closed_executions(served: Served) -> None:
    api = served.api
    missing = await api("POST", "/v1/workflows/none/signals/approve", {"args": ["x"]})
    assert (missing.status, missing.problem["workflow_id"]) == (404, "none")
    await api("PUT", "/v1/workflows/gone", {"workflow": "Approval", "args": ["o"]})
    assert (await api("POST", "/v1/workflows/gone/terminate", {})).status == 200
    closed = await api("POST", "/v1/workflows/gone/signals/approve", {"args": ["x"]})
    assert closed.status == 409
    assert closed.problem["run_id"]


async def test_a_signal_body_is_checked(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/ap2", {"workflow": "Approval", "args": ["o"]})
    wrong = await api("POST", "/v1/workflows/ap2/signals/approve", {"argz": []})
    assert (wrong.status, wrong.problem["field"]) == (400, "argz")
    big = await api("POST", "/v1/workflows/ap2/signals/approve", {"args": ["x" * 40_000]})
    assert (big.status, big.problem["limit"]) == (413, 32_768)


async def test_cancel_is_202_and_closes_the_execution_as_canceled(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/c", {"workflow": "Approval", "args": ["o"]})
    cancelled = await api("POST", "/v1/workflows/c/cancel")
    assert cancelled.status == 202
    done = await api("GET", "/v1/workflows/c?wait=10")
    assert (done.body["close_status"], done.body["cancel_requested"]) == ("CANCELED", True)
    assert (await api("POST", "/v1/workflows/c/cancel")).status == 409
    assert (await api("POST", "/v1/workflows/nope/cancel")).status == 404


async def test_terminate_is_200_with_the_reason_in_the_failure(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/t", {"workflow": "Approval", "args": ["o"]})
    ended = await api("POST", "/v1/workflows/t/terminate", {"reason": "duplicate order"})
    assert ended.status == 200
    assert ended.body["close_status"] == "TERMINATED"
    status = await api("GET", "/v1/workflows/t")
    assert status.body["close_status"] == "TERMINATED"
    assert status.body["failure"]["reason"] == "duplicate order"
    assert (await api("POST", "/v1/workflows/t/terminate", {})).status == 409
    assert (await api("POST", "/v1/workflows/nope/terminate")).status == 404
    bad = await api("POST", "/v1/workflows/t/terminate", {"why": "x"})
    assert (bad.status, bad.problem["field"]) == (400, "why")


async def test_signals_are_checked_against_the_served_class(served: Served) -> None:
    api = served.api
    await api("PUT", "/v1/workflows/ap3", {"workflow": "Approval", "args": ["o"]})
    wrong = await api("POST", "/v1/workflows/ap3/signals/approve", {"args": [7]})
    assert (wrong.status, wrong.problem["parameter"]) == (400, "note")
    unknown = await api("POST", "/v1/workflows/ap3/signals/reject", {"args": []})
    assert (unknown.status, unknown.problem["field"]) == (404, "signal_name")
    status = await api("GET", "/v1/workflows/ap3")
    run = quote(status.body["run_id"], safe="")
    by_run = await api("POST", f"/v1/workflows/ap3/signals/approve?run_id={run}", {"args": [1]})
    assert by_run.status == 400
    history = await served.env.client.get_workflow_handle("ap3")
    assert not [e for e in await history.history() if type(e).__name__.endswith("Signaled")]
