"""``GET /openapi.json``: an OpenAPI 3.1 document made from the served workflows' own code.

Each served workflow type gets a start-request schema whose ``args`` is the run method's
parameters in order (``prefixItems``), each parameter's schema being msgspec's JSON Schema
for its annotation; each signal handler gets its own path with its parameters' schema; each
result type is a component schema. Change a workflow's signature and the document follows.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, Final

import msgspec

from .. import __version__
from .._engine import converter
from ._catalog import Catalog, Served
from ._models import (
    Accepted,
    CallbackRequest,
    CompleteTaskRequest,
    FailTaskRequest,
    Health,
    HeartbeatAnswer,
    HeartbeatTaskRequest,
    History,
    Problem,
    SignalRequest,
    StartRequest,
    StartResponse,
    TaskAnswered,
    Terminated,
    TerminateRequest,
    WorkflowList,
    WorkflowStatus,
)
from ._problems import PROBLEM_TYPE

REF: Final = "#/components/schemas/{name}"
_MODELS: Final = (
    Accepted,
    CallbackRequest,
    CompleteTaskRequest,
    FailTaskRequest,
    Health,
    HeartbeatAnswer,
    HeartbeatTaskRequest,
    History,
    Problem,
    SignalRequest,
    StartRequest,
    StartResponse,
    TaskAnswered,
    Terminated,
    TerminateRequest,
    WorkflowList,
    WorkflowStatus,
)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(name=name)}


def _component_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9_.-]", "_", part) for part in parts)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _problems(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "the request is invalid; ``field`` names the member at fault",
        401: "no valid credentials",
        403: "the credentials do not allow this operation",
        404: "not found",
        409: "conflict",
        410: "gone",
        413: "a payload is past its limit; ``size`` and ``limit`` say by how much",
        415: "the body is not JSON",
        429: "SWF is throttling: retry after ``Retry-After`` seconds",
        503: "SWF cannot be reached: retry after ``Retry-After`` seconds",
    }
    return {
        str(status): {
            "description": reasons[status],
            "content": {PROBLEM_TYPE: {"schema": _ref("Problem")}},
        }
        for status in statuses
    }


def _params(fn: Callable[..., Any], *, skip_self: bool) -> tuple[list[str], list[Any], int, Any]:
    """Names, annotated types and the number of required positional parameters, and the
    ``*args`` annotation (None without one)."""
    parameters = list(inspect.signature(fn).parameters.values())[1 if skip_self else 0 :]
    types = converter.parameter_types(fn, skip_self=skip_self)
    names: list[str] = []
    fixed: list[Any] = []
    required = 0
    rest: Any = None
    for parameter, annotation in zip(parameters, types, strict=False):
        if isinstance(annotation, tuple):
            rest = annotation[1]
            continue
        names.append(parameter.name)
        fixed.append(annotation)
        if parameter.default is inspect.Parameter.empty:
            required += 1
    return names, fixed, required, rest


class _Builder:
    def __init__(self) -> None:
        self.types: list[Any] = []

    def schema_of(self, annotation: Any) -> int:
        """Queue ``annotation``; its schema is filled in by :meth:`resolve`."""
        self.types.append(annotation)
        return len(self.types) - 1

    def resolve(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        schemas, components = msgspec.json.schema_components(self.types, ref_template=REF)
        return list(schemas), dict(components)


def _args_schema(
    builder: _Builder, fn: Callable[..., Any], *, skip_self: bool
) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    names, fixed, required, rest = _params(fn, skip_self=skip_self)
    slots = [builder.schema_of(t) for t in fixed]
    rest_slot = builder.schema_of(rest) if rest is not None else None

    def build(resolved: list[dict[str, Any]]) -> dict[str, Any]:
        items = [{"title": name, **resolved[slot]} for name, slot in zip(names, slots, strict=True)]
        schema: dict[str, Any] = {"type": "array", "minItems": required}
        if items:
            schema["prefixItems"] = items
        if rest_slot is None:
            schema["maxItems"] = len(items)
        else:
            schema["items"] = resolved[rest_slot]
        return schema

    return build


def _run_fn(served: Served) -> tuple[Callable[..., Any], bool]:
    target = served.target
    if inspect.isclass(target):
        return getattr(target, served.definition.run_method), True
    return target, False


def _start_schema(served: Served, args: dict[str, Any]) -> dict[str, Any]:
    definition = served.definition
    return {
        "title": f"Start {definition.name} {definition.version}",
        "description": definition.description or f"Start workflow {definition.name}.",
        "type": "object",
        "properties": {
            "workflow": {"const": definition.name},
            "version": {"const": definition.version},
            "args": args,
            "task_list": {"type": "string", "minLength": 1, "maxLength": 256},
            "execution_timeout": {"type": "integer", "minimum": 1, "maximum": 99_999_999},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        },
        "required": ["workflow", "args"] if args.get("minItems") else ["workflow"],
        "additionalProperties": False,
    }


def _operation(
    operation_id: str, summary: str, responses: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {"operationId": operation_id, "summary": summary, **extra, "responses": responses}


_WORKFLOW_ID = {
    "name": "workflow_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 256},
}
_RUN_ID = {
    "name": "run_id",
    "in": "query",
    "required": False,
    "description": "a run of the workflow id (default: its latest run)",
    "schema": {"type": "string"},
}


def build(catalog: Catalog, *, domain: str, secured: bool) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a gateway serving ``catalog`` in ``domain``."""
    builder = _Builder()
    for model in _MODELS:  # components under their own names
        builder.schema_of(model)
    starts: list[tuple[Served, Callable[[list[dict[str, Any]]], dict[str, Any]]]] = []
    results: list[tuple[Served, int]] = []
    signals: dict[str, list[tuple[Served, Callable[[list[dict[str, Any]]], dict[str, Any]]]]] = {}
    for served in catalog:
        fn, is_method = _run_fn(served)
        starts.append((served, _args_schema(builder, fn, skip_self=is_method)))
        results.append((served, builder.schema_of(served.definition.result_type)))
        for signal_name, attr in served.definition.signals.items():
            handler = getattr(served.definition.cls, attr)
            signals.setdefault(signal_name, []).append(
                (served, _args_schema(builder, handler, skip_self=True))
            )
    resolved, components = builder.resolve()
    start_refs = []
    for served, make_args in starts:
        name = _component_name("Start", served.definition.name, served.definition.version)
        components[name] = _start_schema(served, make_args(resolved))
        start_refs.append(_ref(name))
    for served, slot in results:
        name = _component_name("Result", served.definition.name, served.definition.version)
        components[name] = {
            "description": f"What {served.key} returns (``result`` of a completed execution).",
            **resolved[slot],
        }
    start_body = _json_body({"anyOf": start_refs} if start_refs else _ref("StartRequest"))
    started = {
        "201": _json(_ref("StartResponse"), "started"),
        "200": _json(_ref("StartResponse"), "the same request was started before"),
        **_problems(400, 401, 403, 404, 409, 413, 415, 429, 503),
    }
    paths: dict[str, Any] = {
        "/v1/workflows/{workflow_id}": {
            "parameters": [_WORKFLOW_ID],
            "put": _operation(
                "startWorkflow",
                "Start an execution idempotently under this workflow id",
                started,
                requestBody=start_body,
            ),
            "get": _operation(
                "getWorkflow",
                "Status, published state, result or failure, and the run chain",
                {
                    "200": _json(_ref("WorkflowStatus"), "the execution"),
                    **_problems(400, 401, 403, 404, 429, 503),
                },
                parameters=[
                    _RUN_ID,
                    {
                        "name": "wait",
                        "in": "query",
                        "required": False,
                        "description": "hold the request up to this many seconds for the"
                        " execution to close",
                        "schema": {"type": "number", "minimum": 0, "maximum": 60},
                    },
                ],
            ),
        },
        "/v1/workflows": {
            "post": _operation(
                "startWorkflowByKey",
                "Start an execution; its id is the Idempotency-Key header, or generated",
                started,
                requestBody=start_body,
                parameters=[
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 256},
                    }
                ],
            ),
            "get": _operation(
                "listWorkflows",
                "A page of open or closed executions",
                {
                    "200": _json(_ref("WorkflowList"), "a page"),
                    **_problems(400, 401, 403, 429, 503),
                },
                parameters=[
                    {"name": "status", "in": "query", "schema": {"enum": ["open", "closed"]}},
                    {"name": "workflow", "in": "query", "schema": {"type": "string"}},
                    {"name": "tag", "in": "query", "schema": {"type": "string"}},
                    {"name": "page_token", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "page_size",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    },
                ],
            ),
        },
        "/v1/workflows/{workflow_id}/history": {
            "parameters": [_WORKFLOW_ID],
            "get": _operation(
                "getHistory",
                "The execution's history (JSON events, or a timeline as text)",
                {
                    "200": {
                        "description": "the history",
                        "content": {
                            "application/json": {"schema": _ref("History")},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                    **_problems(400, 401, 403, 404, 429, 503),
                },
                parameters=[
                    _RUN_ID,
                    {"name": "format", "in": "query", "schema": {"enum": ["json", "timeline"]}},
                ],
            ),
        },
        "/v1/workflows/{workflow_id}/signals/{signal_name}": {
            "parameters": [
                _WORKFLOW_ID,
                {
                    "name": "signal_name",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            "post": _operation(
                "signalWorkflow",
                "Signal an execution (arguments checked against its handler when served)",
                {
                    "202": _json(_ref("Accepted"), "SWF recorded the signal"),
                    **_problems(400, 401, 403, 404, 409, 413, 415, 429, 503),
                },
                parameters=[_RUN_ID],
                requestBody={"content": {"application/json": {"schema": _ref("SignalRequest")}}},
            ),
        },
        "/v1/workflows/{workflow_id}/cancel": {
            "parameters": [_WORKFLOW_ID],
            "post": _operation(
                "cancelWorkflow",
                "Request cancellation (the workflow decides what it means)",
                {
                    "202": _json(_ref("Accepted"), "SWF recorded the request"),
                    **_problems(401, 403, 404, 409, 429, 503),
                },
                parameters=[_RUN_ID],
            ),
        },
        "/v1/workflows/{workflow_id}/terminate": {
            "parameters": [_WORKFLOW_ID],
            "post": _operation(
                "terminateWorkflow",
                "Close the execution at once",
                {
                    "200": _json(_ref("Terminated"), "terminated"),
                    **_problems(400, 401, 403, 404, 409, 415, 429, 503),
                },
                parameters=[_RUN_ID],
                requestBody={"content": {"application/json": {"schema": _ref("TerminateRequest")}}},
            ),
        },
        "/v1/tasks/complete": {
            "post": _operation(
                "completeTask",
                "Complete an activity task by its task token",
                {
                    "200": _json(_ref("TaskAnswered"), "recorded"),
                    **_problems(400, 401, 403, 410, 413, 415, 429, 503),
                },
                requestBody=_json_body(_ref("CompleteTaskRequest")),
            ),
        },
        "/v1/tasks/fail": {
            "post": _operation(
                "failTask",
                "Fail an activity task by its task token",
                {
                    "200": _json(_ref("TaskAnswered"), "recorded"),
                    **_problems(400, 401, 403, 410, 413, 415, 429, 503),
                },
                requestBody=_json_body(_ref("FailTaskRequest")),
            ),
        },
        "/v1/tasks/heartbeat": {
            "post": _operation(
                "heartbeatTask",
                "Record an activity task's progress; answers whether it should stop",
                {
                    "200": _json(_ref("HeartbeatAnswer"), "recorded"),
                    **_problems(400, 401, 403, 410, 413, 415, 429, 503),
                },
                requestBody=_json_body(_ref("HeartbeatTaskRequest")),
            ),
        },
        "/v1/callbacks/{token}": {
            "parameters": [
                {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "put": _operation(
                "completeCallback",
                "Resume the activity that handed out this signed URL (once)",
                {
                    "200": _json(_ref("TaskAnswered"), "recorded"),
                    **_problems(400, 403, 410, 413, 415, 429, 503),
                },
                security=[],
                requestBody=_json_body(_ref("CallbackRequest")),
            ),
        },
        "/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "This document",
                {
                    "200": _json({"type": "object"}, "the OpenAPI document"),
                    **_problems(401, 403),
                },
            )
        },
        "/healthz": {
            "get": _operation(
                "healthz",
                "Liveness: the process serves requests",
                {"200": _json(_ref("Health"), "serving")},
                security=[],
            )
        },
    }
    for signal_name, handlers in sorted(signals.items()):
        bodies = []
        for served, make_args in handlers:
            name = _component_name(
                "Signal", served.definition.name, served.definition.version, signal_name
            )
            components[name] = {
                "title": f"Signal {signal_name} of {served.key}",
                "type": "object",
                "properties": {"args": make_args(resolved)},
                "additionalProperties": False,
            }
            bodies.append(_ref(name))
        generic = paths["/v1/workflows/{workflow_id}/signals/{signal_name}"]["post"]
        paths[f"/v1/workflows/{{workflow_id}}/signals/{signal_name}"] = {
            "parameters": [_WORKFLOW_ID],
            "post": {
                **generic,
                "operationId": _component_name("signal", signal_name),
                "summary": f"Send signal {signal_name!r}",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": bodies[0] if len(bodies) == 1 else {"anyOf": bodies}
                        }
                    }
                },
            },
        }
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "swfasync gateway",
            "version": __version__,
            "description": f"Workflows of SWF domain {domain!r} over HTTP: "
            + (", ".join(catalog.keys) or "no workflow types served"),
        },
        "paths": paths,
        "components": {"schemas": components},
    }
    if secured:
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        document["security"] = [{"bearer": []}]
    return document
