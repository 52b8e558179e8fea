"""Auth, problem+json for the router's own refusals, /healthz, and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate

from swfasync import Client
from swfasync.gateway import BearerTokens, Gateway, GatewayConfigError

from .conftest import Served, serving
from .workflows import WORKFLOWS


async def test_bearer_tokens_allow_deny_and_scope(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# ops team\nadmin-token\nreader-token getWorkflow listWorkflows\n\n")
    async with serving(auth=BearerTokens.from_file(tokens)) as served:
        api = served.api
        body = {"workflow": "Greet", "args": ["Ida"]}
        anonymous = await api("PUT", "/v1/workflows/a", body)
        assert anonymous.status == 401
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        assert anonymous.problem["type"].endswith("unauthorized")
        wrong = await api("PUT", "/v1/workflows/a", body, headers={"Authorization": "Bearer x"})
        assert wrong.status == 401
        basic = await api("GET", "/openapi.json", headers={"Authorization": "Basic YTpi"})
        assert basic.status == 401
        reader = {"Authorization": "Bearer reader-token"}
        assert (await api("PUT", "/v1/workflows/a", body, headers=reader)).status == 403
        admin = {"Authorization": "Bearer admin-token"}
        assert (await api("PUT", "/v1/workflows/a", body, headers=admin)).status == 201
        assert (await api("GET", "/v1/workflows/a", headers=reader)).status == 200
        document = await api("GET", "/openapi.json", headers=admin)
        assert document.body["security"] == [{"bearer": []}]
        # Liveness and signed callbacks carry no bearer token.
        assert (await api("GET", "/healthz")).status == 200
        assert (await api("PUT", "/v1/callbacks/v1.x.y", {"status": "succeeded"})).status == 403


def test_bearer_tokens_refuse_an_empty_set_or_a_duplicate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        BearerTokens([])
    twice = tmp_path / "tokens"
    twice.write_text("a\na getWorkflow\n")
    with pytest.raises(ValueError, match="twice"):
        BearerTokens.from_file(twice)


async def test_no_listening_beyond_loopback_without_auth() -> None:
    async with Client.local("http://127.0.0.1:9") as client:
        gateway = Gateway(client, workflows=WORKFLOWS)
        for host in ("0.0.0.0", "192.0.2.7", "::", "example.com"):
            with pytest.raises(GatewayConfigError):
                async with gateway.serve(host, 0):
                    pass
        for host in ("127.0.0.1", "localhost", "::1"):
            gateway.check_listen(host)
        secured = Gateway(client, workflows=WORKFLOWS, auth=BearerTokens(["t"]))
        secured.check_listen("0.0.0.0")


async def test_router_refusals_are_problems_and_healthz_answers(served: Served) -> None:
    api = served.api
    api.checker = None  # paths and methods outside the document, on purpose
    unknown = await api("GET", "/v2/nothing")
    assert unknown.status == 404
    assert unknown.problem["type"].endswith("not-found")
    wrong_method = await api("DELETE", "/v1/workflows/x")
    assert wrong_method.status == 405
    assert "GET" in wrong_method.headers["Allow"]
    assert wrong_method.problem["status"] == 405
    health = await api("GET", "/healthz")
    assert health.body == {
        "status": "ok",
        "domain": "default",
        "workflows": [
            "Greet/1",
            "Greet/2",
            "Ship/1",
            "Fail/1",
            "Countdown/1",
            "Approval/1",
            "Pay/1",
        ],
    }


async def test_the_document_is_made_from_the_workflows_annotations(served: Served) -> None:
    document = served.gateway.openapi()
    validate(document)
    schemas = document["components"]["schemas"]
    greet = schemas["Start_Greet_1"]["properties"]["args"]
    assert greet["prefixItems"] == [
        {"title": "name", "type": "string"},
        {"title": "times", "type": "integer"},
    ]
    assert (greet["minItems"], greet["maxItems"]) == (1, 2)
    ship = schemas["Start_Ship_1"]["properties"]["args"]["prefixItems"]
    assert ship[0]["$ref"] == "#/components/schemas/Address"
    assert schemas["Address"]["required"] == ["street", "city"]
    assert schemas["Result_Ship_1"]["additionalProperties"] == {"type": "integer"}
    approve = document["paths"]["/v1/workflows/{workflow_id}/signals/approve"]["post"]
    body = approve["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Signal_Approval_1_approve"}
    assert schemas["Signal_Approval_1_approve"]["properties"]["args"]["prefixItems"] == [
        {"title": "note", "type": "string"}
    ]
    assert "security" not in document
    served_doc = (await served.api("GET", "/openapi.json")).body
    assert served_doc == document
