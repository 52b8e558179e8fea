"""botocore's, aiohttp's and the network's errors in SWF's terms: the seam between SWF and the SDK.

Every call the SDK makes to SWF (the Client over aiobotocore, the worker over the fast
transport) ends in one of two ways: an answer, or an error from :mod:`swfasync.exceptions`
with the original error as ``__cause__``. :func:`translate` decides which one, and
:func:`is_transient` which failures a call retries.
"""

from __future__ import annotations

import re
import socket
import ssl
from typing import Any, Final

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from .._wire.common import Request
from ..exceptions import (
    AccessDeniedError,
    ActivityTaskNotFoundError,
    AlreadyExistsError,
    ConfigurationError,
    DeprecatedError,
    InvalidRequestError,
    ServiceUnavailableError,
    SwfAsyncError,
    SwfConnectionError,
    SwfServiceError,
    SwfValidationError,
    ThrottlingError,
    UnknownResourceError,
    WorkflowNotFoundError,
)

# Throttling is normal under load and must never be fatal (SWF's words for it).
THROTTLING_CODES: Final = frozenset(
    {"ThrottlingException", "LimitExceededFault", "Throttling", "RequestLimitExceeded"}
)
ACCESS_CODES: Final = frozenset(
    {
        "OperationNotPermittedFault",
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
    }
)
REQUEST_CODES: Final = frozenset(
    {
        "ValidationException",
        "SerializationException",
        "DefaultUndefinedFault",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "MissingParameter",
    }
)
SERVER_CODES: Final = frozenset({"InternalFailure", "ServiceUnavailable", "InternalServerError"})

# Operations naming one workflow execution: their UnknownResourceFault means no such run.
EXECUTION_OPERATIONS: Final = frozenset(
    {
        "DescribeWorkflowExecution",
        "GetWorkflowExecutionHistory",
        "SignalWorkflowExecution",
        "RequestCancelWorkflowExecution",
        "TerminateWorkflowExecution",
    }
)
# Operations naming one activity task by its token.
TASK_OPERATIONS: Final = frozenset(
    {
        "RespondActivityTaskCompleted",
        "RespondActivityTaskFailed",
        "RespondActivityTaskCanceled",
        "RecordActivityTaskHeartbeat",
    }
)

# The member a botocore validation report names first: 'parameter in taskList: "name"' or
# 'parameter taskList.name'.
_PARAMETER: Final = re.compile(r'parameter in ([\w.\[\]]+): "([^"]+)"|parameter ([\w.\[\]]+)')


def _parameter_named(report: str) -> str:
    found = _PARAMETER.search(report)
    if found is None:
        return "request"
    if found.group(2) is None:
        return found.group(3)
    where, name = found.group(1), found.group(2)
    return name if where == "input" else f"{where}.{name}"


def status_of(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def code_of(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "")


def is_connection_error(error: BaseException) -> bool:
    """The request never got an answer: refused, reset, closed, timed out, a host name
    that does not resolve, a TLS handshake that failed."""
    if isinstance(error, SwfConnectionError):
        return True
    if isinstance(error, SwfAsyncError | ClientError):
        return False
    return isinstance(
        error,
        BotoConnectionError
        | HTTPClientError
        | aiohttp.ClientConnectionError
        | ConnectionError
        | TimeoutError
        | ssl.SSLError
        | socket.gaierror,
    )


def is_transient(error: BaseException) -> bool:
    """Worth trying again: no answer, throttling, or a server error (5xx)."""
    if isinstance(error, ClientError):  # SwfServiceError included
        return (
            code_of(error) in THROTTLING_CODES
            or code_of(error) in SERVER_CODES
            or status_of(error) >= 500
        )
    return is_connection_error(error)


def translate(
    error: BaseException,
    *,
    operation: str,
    endpoint: str | None,
    request: Request[Any] | None = None,
    attempts: int = 1,
) -> BaseException:
    """The SDK's error for ``error`` raised by ``operation`` (``error`` itself if it is
    already the SDK's, or not an error of the call: a cancellation, a bug); ``request``,
    when known, names the execution a fault is about."""
    if isinstance(error, SwfAsyncError):
        return error
    if isinstance(error, ClientError):
        return _service_error(error, operation, endpoint, request)
    if isinstance(error, ParamValidationError):
        report = str(error.kwargs.get("report", error))
        field = _parameter_named(report)
        return SwfValidationError(
            field, None, "model", f"{operation}: SWF's model refuses the request: {report}"
        )
    if isinstance(
        error,
        NoCredentialsError | PartialCredentialsError | CredentialRetrievalError | NoRegionError,
    ):
        return ConfigurationError(f"{operation} to {endpoint or 'SWF'}: {error}")
    if is_connection_error(error):
        reason = _reason(error)
        return SwfConnectionError(endpoint or "SWF", operation, attempts, reason)
    if isinstance(error, ResponseParserError):
        # Something answered that is not SWF: a proxy's page, another service.
        return SwfConnectionError(
            endpoint or "SWF", operation, attempts, f"the answer is not SWF's: {error}"
        )
    if isinstance(error, BotoCoreError):
        return ConfigurationError(f"{operation} to {endpoint or 'SWF'}: {error}")
    return error


def _reason(error: BaseException) -> str:
    if isinstance(error, EndpointConnectionError):
        return "connection refused or unreachable"
    if isinstance(error, aiohttp.ClientConnectorError | ConnectionRefusedError | socket.gaierror):
        return "connection refused or unreachable"
    if isinstance(error, TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out"
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"


def _service_error(
    error: ClientError, operation: str, endpoint: str | None, request: Request[Any] | None
) -> SwfServiceError:
    response: dict[str, Any] = dict(error.response)
    code = code_of(error)
    if code == "UnknownResourceFault":
        if operation in EXECUTION_OPERATIONS:
            # The execution is a member of its own (describe, history) or the request's
            # own ids (signal, cancel, terminate).
            execution = getattr(request, "execution", None) or request
            return WorkflowNotFoundError(
                response,
                operation,
                workflow_id=str(getattr(execution, "workflow_id", "?")),
                run_id=getattr(execution, "run_id", None),
                domain=str(getattr(request, "domain", "?")),
                endpoint=endpoint,
            )
        kind = ActivityTaskNotFoundError if operation in TASK_OPERATIONS else UnknownResourceError
        return kind(response, operation, endpoint=endpoint)
    kind_of: type[SwfServiceError] = SwfServiceError
    if code in ("DomainAlreadyExistsFault", "TypeAlreadyExistsFault"):
        kind_of = AlreadyExistsError
    elif code in ("DomainDeprecatedFault", "TypeDeprecatedFault"):
        kind_of = DeprecatedError
    elif code in THROTTLING_CODES:
        kind_of = ThrottlingError
    elif code in ACCESS_CODES or status_of(error) in (401, 403):
        kind_of = AccessDeniedError
    elif code in REQUEST_CODES:
        kind_of = InvalidRequestError
    elif code in SERVER_CODES or status_of(error) >= 500:
        kind_of = ServiceUnavailableError
    return kind_of(response, operation, endpoint=endpoint)
