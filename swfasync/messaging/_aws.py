"""aiobotocore SQS and SNS clients, configured the standard AWS way.

Region, credentials and endpoints come from the standard AWS configuration unless given:
environment variables, ``~/.aws``, instance roles, and the service-specific endpoint
variables ``AWS_ENDPOINT_URL_SQS`` and ``AWS_ENDPOINT_URL_SNS`` (botocore reads them), so
moto's server locally and AWS in production differ only in configuration.
"""

from __future__ import annotations

from typing import Any, Final, Literal

import aiobotocore.session  # type: ignore[import-untyped]
import aiohttp
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ..exceptions import SwfAsyncError

# A receive holds up to 20 s; the read timeout must outlast it.
READ_TIMEOUT: Final = 40.0

_TRANSIENT_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "LimitExceededFault",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "KMS.ThrottlingException",
        "RequestTimeout",
    }
)


def create_client(
    service: Literal["sqs", "sns"],
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    profile: str | None = None,
    config: Config | None = None,
) -> Any:
    """An aiobotocore client context manager for SQS or SNS (``async with`` it)."""
    session = aiobotocore.session.AioSession(profile=profile)
    return session.create_client(
        service,
        region_name=region_name,
        endpoint_url=endpoint_url,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        config=config
        or Config(
            read_timeout=READ_TIMEOUT,
            connect_timeout=10,
            retries={"mode": "standard", "max_attempts": 3},
            max_pool_connections=50,
        ),
    )


def error_code(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def is_transient(error: BaseException) -> bool:
    """Whether trying the same call again later may succeed: throttling, a service-side
    failure, or the endpoint unreachable."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(error) in _TRANSIENT_CODES or int(status or 0) >= 500
    return isinstance(
        error,
        EndpointConnectionError
        | ConnectTimeoutError
        | ReadTimeoutError
        | ConnectionClosedError
        | aiohttp.ClientError
        | OSError
        | TimeoutError,
    ) or (isinstance(error, SwfAsyncError) and _swf_transient(error))


def _swf_transient(error: SwfAsyncError) -> bool:
    # The client's typed outage errors carry the original as their cause.
    cause = error.__cause__
    return cause is not None and cause is not error and is_transient(cause)
