"""The callback-with-token pattern: task tokens and signed callback URLs."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from swfasync.gateway import GatewayConfigError, _signing

from .conftest import SECRET, Served
from .workflows import handed_out


async def handed(order_id: str) -> tuple[str, str]:
    """The callback URL and task token the payment activity handed out for the order."""
    for _ in range(500):
        if order_id in handed_out:
            return handed_out.pop(order_id)
        await asyncio.sleep(0.02)
    raise AssertionError(f"the activity of {order_id} never ran")


async def pay(served: Served, order_id: str) -> tuple[str, str]:
    started = await served.api(
        "PUT", f"/v1/workflows/{order_id}", {"workflow": "Pay", "args": [order_id, 30]}
    )
    assert started.status == 201
    url, token = await handed(order_id)
    return urlsplit(url).path, token


async def test_a_signed_callback_resumes_the_workflow_once(served: Served) -> None:
    api = served.api
    path, _ = await pay(served, "p1")
    assert path.startswith("/v1/callbacks/v1.")
    done = await api("PUT", path, {"status": "succeeded", "result": "receipt-1"})
    assert (done.status, done.body) == (200, {"status": "completed"})
    result = await api("GET", "/v1/workflows/p1?wait=10")
    assert result.body["result"] == "receipt-1"
    replay = await api("PUT", path, {"status": "succeeded", "result": "receipt-2"})
    assert replay.status == 410
    assert replay.problem["type"].endswith("task-gone")


async def test_a_failed_callback_fails_the_activity_with_its_reason(served: Served) -> None:
    api = served.api
    path, _ = await pay(served, "p2")
    answer = await api(
        "PUT",
        path,
        {"status": "failed", "error": {"reason": "card declined", "details": {"code": "51"}}},
    )
    assert (answer.status, answer.body) == (200, {"status": "failed"})
    result = await api("GET", "/v1/workflows/p2?wait=10")
    assert result.body["close_status"] == "FAILED"
    assert "card declined" in result.body["failure"]["reason"]
    assert (await api("PUT", path, {"status": "failed", "error": "again"})).status == 410


async def test_forged_or_altered_callbacks_are_403(served: Served) -> None:
    api = served.api
    path, task_token = await pay(served, "p3")
    prefix, token = path.rsplit("/", 1)
    version, body, mac = token.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    forged_elsewhere = _signing.sign(task_token, "default", b"another-secret-0123456789")
    other_domain = _signing.sign(task_token, "other-domain", SECRET.encode())
    for bad in (
        f"{version}.{flipped}.{mac}",
        f"{version}.{body}.{mac[:-2]}",
        f"v2.{body}.{mac}",
        "not-a-token",
        forged_elsewhere,
        other_domain,
    ):
        answer = await api("PUT", f"{prefix}/{bad}", {"status": "succeeded", "result": 1})
        assert answer.status == 403, bad
    # None of them reached SWF: the genuine URL still works, once.
    assert (await api("PUT", path, {"status": "succeeded", "result": "ok"})).status == 200
    assert (await api("GET", "/v1/workflows/p3?wait=10")).body["result"] == "ok"


async def test_a_callback_body_is_checked(served: Served) -> None:
    api = served.api
    path, _ = await pay(served, "p4")
    for body, member in [
        ({"status": "done"}, "status"),
        ({"status": "succeeded", "error": "x"}, "error"),
        ({"status": "failed", "result": 1}, "result"),
        ({"status": "succeeded", "resutl": 1}, "resutl"),
    ]:
        answer = await api("PUT", path, body)
        assert (answer.status, answer.problem["field"]) == (400, member), body
    big = await api("PUT", path, {"status": "succeeded", "result": "x" * 40_000})
    assert (big.status, big.problem["field"], big.problem["limit"]) == (413, "result", 32_768)
    assert (await api("PUT", path, {"status": "succeeded", "result": 5})).status == 200


async def test_task_token_endpoints_complete_fail_and_heartbeat(served: Served) -> None:
    api = served.api
    _, token = await pay(served, "p5")
    beat = await api("POST", "/v1/tasks/heartbeat", {"task_token": token, "details": {"pct": 50}})
    assert (beat.status, beat.body) == (200, {"cancel_requested": False})
    done = await api("POST", "/v1/tasks/complete", {"task_token": token, "result": "r5"})
    assert (done.status, done.body) == (200, {"status": "completed"})
    assert (await api("GET", "/v1/workflows/p5?wait=10")).body["result"] == "r5"
    for path in ("/v1/tasks/complete", "/v1/tasks/fail", "/v1/tasks/heartbeat"):
        gone = await api("POST", path, {"task_token": token})
        assert gone.status == 410, path

    _, token = await pay(served, "p6")
    failed = await api("POST", "/v1/tasks/fail", {"task_token": token, "reason": "no funds"})
    assert (failed.status, failed.body) == (200, {"status": "failed"})
    result = await api("GET", "/v1/workflows/p6?wait=10")
    assert "no funds" in result.body["failure"]["reason"]


async def test_heartbeat_answers_a_cancellation_request(served: Served) -> None:
    api = served.api
    _, token = await pay(served, "p7")
    assert (await api("POST", "/v1/workflows/p7/cancel")).status == 202
    for _ in range(200):
        beat = await api("POST", "/v1/tasks/heartbeat", {"task_token": token})
        assert beat.status == 200, beat.body
        if beat.body["cancel_requested"]:
            break
        await asyncio.sleep(0.02)  # the workflow's next decision asks for the cancellation
    else:
        raise AssertionError("the cancellation request never reached the activity")


async def test_tokens_that_are_not_tokens_are_400(served: Served) -> None:
    api = served.api
    for body, member in [
        ({"task_token": ""}, "task_token"),
        ({"task_token": "x" * 1025}, "task_token"),
        ({"task_token": 7}, "task_token"),
        ({}, "task_token"),
        ({"task_token": "t", "extra": 1}, "extra"),
    ]:
        answer = await api("POST", "/v1/tasks/complete", body)
        assert (answer.status, answer.problem["field"]) == (400, member), body


def test_callback_urls_need_a_base_url_and_a_long_enough_secret() -> None:
    with pytest.raises(GatewayConfigError):
        _signing.secret_bytes("short")
    url = _signing.callback_url("http://gw.example/", "tok", "d", SECRET.encode())
    assert url.startswith("http://gw.example/v1/callbacks/v1.")
    token = url.rsplit("/", 1)[1]
    assert _signing.verify(token, "d", [b"old-secret-0123456789", SECRET.encode()]) == "tok"
