"""Errors as ``application/problem+json`` (RFC 9457), and SWF's failures as HTTP statuses.

Every refusal the gateway makes is an :class:`HttpProblem`; every error from the client is
mapped here, in one table, to the status a caller can act on: 400 names the field, 413
gives size and limit, 429 and 503 carry ``Retry-After``.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import aiohttp
import msgspec
from aiohttp import web
from botocore.exceptions import ClientError, HTTPClientError, ParamValidationError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from .._client.connection import THROTTLING_CODES, error_code
from ..exceptions import (
    ArgumentTypeError,
    PayloadTooLargeError,
    SwfConnectionError,
    SwfValidationError,
    WorkflowAlreadyStartedError,
)
from ._models import Problem

PROBLEM_TYPE: Final = "application/problem+json"
TYPE_PREFIX: Final = "urn:swfasync:gateway:"
THROTTLED_RETRY_AFTER: Final = 1
UNAVAILABLE_RETRY_AFTER: Final = 5

Scope = Literal["workflow", "task"]

_TITLES: Final[dict[int, str]] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

_encoder = msgspec.json.Encoder()


class HttpProblem(Exception):
    """A refusal with its HTTP status, a short kind (the problem ``type``), and a detail.

    Args:
        status: the HTTP status.
        kind: a short slug; the problem's ``type`` is ``urn:swfasync:gateway:<kind>``.
        detail: what happened, for a person.
        headers: extra response headers (``Retry-After``, ``WWW-Authenticate``).
        members: extension members (``field``, ``size``, ``limit``, ``workflow_id`` ...).
    """

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **members: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.headers = dict(headers or {})
        self.members = {k: v for k, v in members.items() if v is not None}

    def response(self, instance: str | None = None) -> web.Response:
        body = Problem(
            type=TYPE_PREFIX + self.kind,
            title=_TITLES.get(self.status, "Error"),
            status=self.status,
            detail=self.detail,
            instance=instance,
            **self.members,
        )
        return web.Response(
            status=self.status,
            body=_encoder.encode(body),
            content_type=PROBLEM_TYPE,
            headers=self.headers,
        )


def bad_request(
    detail: str, *, field: str | None = None, kind: str = "invalid-request"
) -> HttpProblem:
    return HttpProblem(400, kind, detail, field=field)


def _swf_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message") or error_code(error) or error)


# SWF faults that mean the request itself is wrong, and the request field they concern.
_REQUEST_FAULTS: Final[dict[str, str | None]] = {
    "ValidationException": None,
    "DefaultUndefinedFault": "task_list",
}


def from_error(
    error: BaseException,
    *,
    scope: Scope,
    workflow_id: str | None = None,
    run_id: str | None = None,
) -> HttpProblem | None:
    """The problem an error from the client means, or None for one the gateway does not
    know (a bug: the caller answers 500 and logs it)."""
    ids: dict[str, Any] = {"workflow_id": workflow_id, "run_id": run_id}
    # Reads made side by side fail together: their first error speaks for the group.
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    if isinstance(error, HttpProblem):
        return error
    if isinstance(error, PayloadTooLargeError):
        return HttpProblem(
            413,
            "payload-too-large",
            str(error),
            field=error.field,
            size=error.size,
            limit=error.limit,
        )
    if isinstance(error, ArgumentTypeError):
        return HttpProblem(
            400,
            "argument-type",
            str(error),
            field="args",
            parameter=error.parameter,
            expected=error.expected,
        )
    if isinstance(error, SwfValidationError) and error.rule == "declared":
        return HttpProblem(404, "signal-not-declared", str(error), field=error.field, **ids)
    if isinstance(error, SwfValidationError):
        return HttpProblem(
            400, "invalid-value", str(error), field=error.field, size=error.size, limit=error.limit
        )
    if isinstance(error, WorkflowAlreadyStartedError):
        return HttpProblem(409, "workflow-id-conflict", str(error), **ids)
    if isinstance(error, ParamValidationError):
        return HttpProblem(400, "invalid-request", str(error))
    # The client's calls raise SwfConnectionError; raw aiobotocore calls, botocore's or
    # aiohttp's own errors.
    if isinstance(
        error,
        SwfConnectionError
        | BotocoreConnectionError
        | HTTPClientError
        | aiohttp.ClientConnectionError,
    ):
        return HttpProblem(
            503,
            "swf-unavailable",
            f"SWF could not be reached: {error}",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            retry_after=UNAVAILABLE_RETRY_AFTER,
        )
    if not isinstance(error, ClientError):
        return None
    code = error_code(error) or ""
    message = _swf_message(error)
    if code in THROTTLING_CODES:
        return HttpProblem(
            429,
            "swf-throttled",
            f"SWF is throttling requests: {message}",
            headers={"Retry-After": str(THROTTLED_RETRY_AFTER)},
            retry_after=THROTTLED_RETRY_AFTER,
        )
    if code == "UnknownResourceFault":
        if scope == "task":
            return HttpProblem(410, "task-gone", f"SWF says the task is gone: {message}")
        return HttpProblem(404, "workflow-not-found", message, **ids)
    if code == "WorkflowExecutionAlreadyStartedFault":
        return HttpProblem(409, "workflow-id-conflict", message, **ids)
    if code == "TypeDeprecatedFault":
        return HttpProblem(409, "workflow-type-deprecated", message)
    if code == "OperationNotPermittedFault":
        return HttpProblem(403, "swf-not-permitted", message)
    if code in _REQUEST_FAULTS:
        return HttpProblem(400, "invalid-request", message, field=_REQUEST_FAULTS[code])
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if status >= 500:
        return HttpProblem(
            503,
            "swf-unavailable",
            f"SWF answered {status}: {message}",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
            retry_after=UNAVAILABLE_RETRY_AFTER,
        )
    return HttpProblem(502, "swf-error", f"SWF refused the request ({code}): {message}")
