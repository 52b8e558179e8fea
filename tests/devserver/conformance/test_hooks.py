"""Every client's validation hook fires: a server that answers off-model is caught by each
(and by the client the core dev-server tests use)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from ..conftest import make_client
from .clients import CLIENT_KINDS, Checker, SwfFault, open_api
from .validation import JSON_CONTENT_TYPE, ResponseValidationError

BAD_DOMAIN = {
    "domainInfo": {"name": "d", "status": "SOMETIMES"},  # not a RegistrationStatus
    "configuration": {"workflowExecutionRetentionPeriodInDays": "1"},
}


async def off_model(request: web.Request) -> web.Response:
    target = request.headers.get("X-Amz-Target", "")
    headers = {"x-amzn-RequestId": "req-1"}
    if target.endswith(".DescribeDomain"):
        body = BAD_DOMAIN
        return web.Response(body=json.dumps(body), content_type=JSON_CONTENT_TYPE, headers=headers)
    fault = {"__type": "com.amazonaws.swf.base.model#UnknownResourceFault", "message": "no"}
    return web.Response(
        status=400, body=json.dumps(fault), content_type=JSON_CONTENT_TYPE, headers=headers
    )


@pytest.fixture
async def off_model_endpoint() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/", off_model)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("kind", CLIENT_KINDS)
async def test_an_off_model_response_fails_the_call(kind: str, off_model_endpoint: str) -> None:
    async with open_api(kind, off_model_endpoint, Checker(coverage=None)) as swf:
        with pytest.raises(ResponseValidationError) as caught:
            await swf("DescribeDomain", name="d")
    [problem] = caught.value.problems
    assert problem.path == "domainInfo.status"
    assert "'SOMETIMES' is not one of the model's values" in problem.message


@pytest.mark.parametrize("kind", CLIENT_KINDS)
async def test_a_declared_fault_passes_as_a_fault(kind: str, off_model_endpoint: str) -> None:
    async with open_api(kind, off_model_endpoint, Checker(coverage=None)) as swf:
        with pytest.raises(SwfFault) as caught:
            await swf(
                "DescribeWorkflowType", domain="d", workflowType={"name": "n", "version": "1"}
            )
    assert caught.value.code == "UnknownResourceFault"


async def test_the_core_tests_client_is_validated_too(off_model_endpoint: str) -> None:
    async with make_client(off_model_endpoint) as swf:
        with pytest.raises(ResponseValidationError, match=r"domainInfo\.status"):
            await swf.describe_domain(name="d")
