"""A lean request path for the worker's hot SWF operations.

A worker spends most of its CPU inside botocore's generic request pipeline: serializing
by shape, a dozen event hooks, building a user agent, signing through ``HTTPHeaders``,
parsing by shape. For the few operations a worker repeats thousands of times (polling and
answering tasks, heartbeats, reading history) :class:`FastSwfTransport` sends the same SWF
JSON 1.0 requests directly over one ``aiohttp.ClientSession``:

- endpoint, region, credentials, timeouts, pool size and retry budget are taken from the
  open aiobotocore client, so Amazon SWF and the dev server still differ only in
  configuration, and refreshable credentials are asked for frozen ones on every request
  (so a refresh is used from the next request on); the credentials are reached through
  botocore's private ``_get_credentials``, and a botocore without it is refused with
  :class:`IncompatibleBotocoreError` when the transport is built;
- requests are signed with Signature Version 4 for service ``swf`` by :class:`SigV4Signer`,
  which produces byte for byte the ``Authorization`` header of botocore's ``SigV4Auth``
  (the tests prove it) while deriving the signing key once a day instead of per request;
- bodies are encoded with msgspec; history-bearing responses are decoded by the codec's
  msgspec decoder into the same shape the SDK's aiobotocore client returns (``events`` as
  wire Structs), other responses into plain values, restricted to the members of the
  operation's output shape as botocore's parser is;
- error responses go through botocore's own JSON error parser into the client's modeled
  ``ClientError`` classes, so codes, messages and operation names are exactly what
  aiobotocore gives; like every SWF error the SDK raises, they are then raised in SWF's
  terms (``swfasync.exceptions.SwfServiceError`` and its subclasses, which are
  ``ClientError`` too, so ``connection.error_code`` and ``call_with_backoff`` work
  unchanged), as are connection failures (``SwfConnectionError``) and refused
  parameters (``SwfValidationError``), each with the original error as ``__cause__``;
- connection errors, 5xx answers and throttling faults are retried with full-jitter
  backoff within the client's retry budget, as botocore's standard retry mode does.

Parameters are refused exactly when the aiobotocore client would refuse them, at every
depth (a decision with an unknown key or without a required member, a task list without
its name, a nested value of the wrong type or under the model's ``min``), with the same
``ParamValidationError`` report lines (the refusal's ``__cause__``). Each operation's
check is compiled once from botocore's model (:mod:`swfasync._client.param_checks`), so a
passing call costs a few isinstance checks per value instead of botocore's model walk.
A client made with ``parameter_validation=False`` (from a ``Config`` or a profile) sends
its calls unchecked, and so does the transport: see :func:`validates_parameters`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from importlib.metadata import version
from types import TracebackType
from typing import Any, Final, NamedTuple
from urllib.parse import quote, urlsplit

import aiohttp
import anyio
import botocore
import msgspec
from botocore.exceptions import NoCredentialsError
from botocore.parsers import ResponseParserError, create_parser
from botocore.utils import normalize_url_path
from botocore.validate import ParamValidationDecorator

from .._wire.codec import HistoryBodyDecoder
from . import errors
from .connection import LONG_POLL_READ_TIMEOUT, THROTTLING_CODES, backoff_delay
from .param_checks import ParamChecker

JSON_CONTENT_TYPE: Final = "application/x-amz-json-1.0"
TARGET_PREFIX: Final = "SimpleWorkflowService."
SERVICE: Final = "swf"
USER_AGENT: Final = f"swfasync aiohttp/{aiohttp.__version__}"

HOT_OPERATIONS: Final = (
    "PollForDecisionTask",
    "RespondDecisionTaskCompleted",
    "PollForActivityTask",
    "RespondActivityTaskCompleted",
    "RespondActivityTaskFailed",
    "RespondActivityTaskCanceled",
    "RecordActivityTaskHeartbeat",
    "GetWorkflowExecutionHistory",
)
# The operations whose responses carry a page of history events.
HISTORY_OPERATIONS: Final = frozenset({"PollForDecisionTask", "GetWorkflowExecutionHistory"})

# botocore's standard retry mode retries these statuses as transient.
RETRIED_STATUSES: Final = frozenset({500, 502, 503, 504})
# botocore's standard mode default when the client's config names no budget.
DEFAULT_ATTEMPTS: Final = 3

_encoder = msgspec.json.Encoder()
_plain_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


class FrozenCredentials(NamedTuple):
    access_key: str
    secret_key: str
    token: str | None


def _trim_all(value: str) -> str:
    # SigV4's Trimall: surrounding spaces removed, inner runs of spaces made one.
    return " ".join(value.split())


def canonical_host(endpoint_url: str) -> str:
    """The host header value SigV4 signs for a URL: lower-case host, port unless default."""
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    if parts.port is not None and parts.port != default_port:
        host = f"{host}:{parts.port}"
    return host


class SigV4Signer:
    """Signature Version 4 for SWF's JSON requests to one endpoint.

    The request is always ``POST`` to the endpoint's path with no query string, and its
    signed headers are always ``Content-Type``, ``Host``, ``X-Amz-Date``, ``X-Amz-Target``
    and, with a session token, ``X-Amz-Security-Token``: exactly those botocore signs
    for SWF. The signing key depends only on the secret key and the day, so it is derived
    once per day and secret.
    """

    def __init__(self, endpoint_url: str, region: str, service: str = SERVICE) -> None:
        parts = urlsplit(endpoint_url)
        if parts.query or parts.fragment:
            raise ValueError(f"SWF endpoint URL {endpoint_url!r} must have no query or fragment")
        self.region = region
        self.service = service
        self.host = canonical_host(endpoint_url)
        self.path = quote(normalize_url_path(parts.path or "/"), safe="/~")
        self._key_for: tuple[str, str] = ("", "")
        self._key = b""

    def _signing_key(self, secret_key: str, date: str) -> bytes:
        if self._key_for != (secret_key, date):
            key = hmac.digest(f"AWS4{secret_key}".encode(), date.encode(), "sha256")
            for part in (self.region, self.service, "aws4_request"):
                key = hmac.digest(key, part.encode(), "sha256")
            self._key_for, self._key = (secret_key, date), key
        return self._key

    def headers(
        self, credentials: FrozenCredentials, target: str, body: bytes, timestamp: str
    ) -> dict[str, str]:
        """The signed headers of a request (``timestamp`` as ``YYYYMMDDTHHMMSSZ``, UTC)."""
        date = timestamp[:8]
        headers = {
            "Content-Type": JSON_CONTENT_TYPE,
            "Host": self.host,
            "X-Amz-Date": timestamp,
            "X-Amz-Target": target,
        }
        token_line = ""
        signed = "content-type;host;x-amz-date;x-amz-target"
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
            token_line = f"x-amz-security-token:{_trim_all(credentials.token)}\n"
            signed = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        canonical_request = (
            f"POST\n{self.path}\n\n"
            f"content-type:{JSON_CONTENT_TYPE}\nhost:{self.host}\nx-amz-date:{timestamp}\n"
            f"{token_line}x-amz-target:{_trim_all(target)}\n\n"
            f"{signed}\n{hashlib.sha256(body).hexdigest()}"
        )
        scope = f"{date}/{self.region}/{self.service}/aws4_request"
        string_to_sign = (
            f"AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n"
            f"{hashlib.sha256(canonical_request.encode()).hexdigest()}"
        )
        signature = hmac.new(
            self._signing_key(credentials.secret_key, date), string_to_sign.encode(), "sha256"
        ).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        return headers


def sigv4_timestamp(now: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


class _Operation:
    """What the transport needs to know of one operation, read once from botocore's model."""

    def __init__(self, model: Any) -> None:
        self.name: str = model.name
        self.target = TARGET_PREFIX + model.name
        self.output_shape = model.output_shape
        self.params = ParamChecker(model.input_shape)
        outputs = model.output_shape.members if model.output_shape is not None else {}
        self.output_members = frozenset(
            member.serialization.get("name", name) for name, member in outputs.items()
        )
        self.history_decoder = (
            HistoryBodyDecoder(tuple(self.output_members))
            if model.name in HISTORY_OPERATIONS
            else None
        )

    def decode(self, body: bytes) -> dict[str, Any]:
        if self.history_decoder is not None:
            events, others = self.history_decoder.decode(body)
            if events is not None:
                others["events"] = events
            return others
        if not body:
            return {}
        try:
            decoded = _plain_decoder.decode(body)
        except msgspec.DecodeError as error:
            raise ResponseParserError(
                f"{self.name}: SWF answered with a body that is not JSON ({error}): {body[:200]!r}"
            ) from error
        if not isinstance(decoded, dict):
            raise ResponseParserError(
                f"{self.name}: SWF answered with JSON that is not an object: {body[:200]!r}"
            )
        return {k: v for k, v in decoded.items() if k in self.output_members}


class FastSwfTransport:
    """The worker's hot SWF calls, with the aiobotocore client's method names.

    ``async with FastSwfTransport(client) as swf: await swf.poll_for_activity_task(...)``
    where ``client`` is an open aiobotocore SWF client (``Client.raw``). Responses are the
    dicts that client returns (``ResponseMetadata`` holds ``RequestId``,
    ``HTTPStatusCode`` and ``RetryAttempts``); faults raise the client's own
    ``ClientError`` classes.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._client_credentials = client_credentials_reader(client)
        meta = client.meta
        self.endpoint_url: str = meta.endpoint_url
        self.region: str = meta.region_name
        config = meta.config
        self.read_timeout = float(config.read_timeout or LONG_POLL_READ_TIMEOUT)
        self.connect_timeout = float(config.connect_timeout or 60)
        self.pool_size = int(config.max_pool_connections or 10)
        self.attempts = _total_attempts(config.retries)
        self._signer = SigV4Signer(self.endpoint_url, self.region)
        parts = urlsplit(self.endpoint_url)
        self._url = parts._replace(path=parts.path or "/").geturl()
        self._operations = {
            name: _Operation(meta.service_model.operation_model(name)) for name in HOT_OPERATIONS
        }
        self.validates_parameters = validates_parameters(client)
        self._error_parser = create_parser("json")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FastSwfTransport:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.pool_size),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.connect_timeout, sock_read=self.read_timeout
            ),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _credentials(self) -> FrozenCredentials:
        # Refreshable credentials refresh themselves inside get_frozen_credentials when due.
        credentials = self._client_credentials()
        if credentials is None:
            raise NoCredentialsError()
        frozen = await credentials.get_frozen_credentials()
        return FrozenCredentials(frozen.access_key, frozen.secret_key, frozen.token)

    async def call(self, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send one operation (its SWF name) with botocore-style parameters.

        What fails is raised in SWF's terms (:func:`errors.translate`), the original error
        as ``__cause__``: a fault is an ``SwfServiceError``, which is also the
        ``ClientError`` aiobotocore would raise (same code, message and operation).
        """
        try:
            return await self._send(operation_name, params)
        except Exception as error:
            translated = errors.translate(
                error, operation=operation_name, endpoint=self.endpoint_url, params=params
            )
            if translated is error:
                raise
            raise translated from error

    async def _send(self, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        session = self._session
        if session is None:
            raise RuntimeError("FastSwfTransport is not open: use it with 'async with'")
        operation = self._operations[operation_name]
        if self.validates_parameters:
            operation.params.check(params)
        body = _encoder.encode(params)
        attempt = 0
        while True:
            credentials = await self._credentials()
            headers = self._signer.headers(
                credentials, operation.target, body, sigv4_timestamp(time.time())
            )
            last_attempt = attempt + 1 >= self.attempts
            try:
                async with session.post(self._url, data=body, headers=headers) as response:
                    status = response.status
                    data = await response.read()
                    response_headers = response.headers
            except aiohttp.ClientConnectionError:
                if last_attempt:
                    raise
            else:
                if status < 300:
                    parsed = operation.decode(data)
                    parsed["ResponseMetadata"] = {
                        "RequestId": response_headers.get("x-amzn-RequestId", ""),
                        "HTTPStatusCode": status,
                        "RetryAttempts": attempt,
                    }
                    return parsed
                error = self._error_response(operation, status, response_headers, data)
                code = error.get("Error", {}).get("Code")
                retried = status in RETRIED_STATUSES or code in THROTTLING_CODES
                if last_attempt or not retried:
                    metadata = error.setdefault("ResponseMetadata", {})
                    metadata["RetryAttempts"] = attempt
                    if retried:
                        metadata["MaxAttemptsReached"] = True
                    raise self._client.exceptions.from_code(code)(error, operation.name)
            await anyio.sleep(backoff_delay(attempt, base=1.0, cap=20.0))
            attempt += 1

    def _error_response(
        self, operation: _Operation, status: int, headers: Any, body: bytes
    ) -> dict[str, Any]:
        # botocore's own JSON error parsing: SWF's ``__type`` becomes the code, a body that
        # is not SWF's (an HTML 5xx page from a proxy) becomes the status code.
        parsed: dict[str, Any] = self._error_parser.parse(
            {"status_code": status, "headers": dict(headers.items()), "body": body},
            operation.output_shape,
        )
        return parsed

    async def poll_for_decision_task(self, **params: Any) -> dict[str, Any]:
        return await self.call("PollForDecisionTask", params)

    async def respond_decision_task_completed(self, **params: Any) -> dict[str, Any]:
        return await self.call("RespondDecisionTaskCompleted", params)

    async def poll_for_activity_task(self, **params: Any) -> dict[str, Any]:
        return await self.call("PollForActivityTask", params)

    async def respond_activity_task_completed(self, **params: Any) -> dict[str, Any]:
        return await self.call("RespondActivityTaskCompleted", params)

    async def respond_activity_task_failed(self, **params: Any) -> dict[str, Any]:
        return await self.call("RespondActivityTaskFailed", params)

    async def respond_activity_task_canceled(self, **params: Any) -> dict[str, Any]:
        return await self.call("RespondActivityTaskCanceled", params)

    async def record_activity_task_heartbeat(self, **params: Any) -> dict[str, Any]:
        return await self.call("RecordActivityTaskHeartbeat", params)

    async def get_workflow_execution_history(self, **params: Any) -> dict[str, Any]:
        return await self.call("GetWorkflowExecutionHistory", params)


class IncompatibleBotocoreError(RuntimeError):
    """The installed botocore lacks what :class:`FastSwfTransport` relies on."""


def client_credentials_reader(client: Any) -> Callable[[], Any]:
    """The function returning an aiobotocore client's current credentials object.

    botocore keeps a client's credentials behind its request signer and offers no public
    accessor; ``BaseClient._get_credentials`` is the one botocore's own code uses, private
    and documented as subject to removal. Without it the transport cannot sign as the
    client does, so the transport refuses to be built instead of failing on its first
    request.
    """
    reader: Callable[[], Any] | None = getattr(client, "_get_credentials", None)
    if not callable(reader):
        raise IncompatibleBotocoreError(
            "FastSwfTransport reads the client's credentials through botocore's private "
            f"BaseClient._get_credentials, which botocore {botocore.__version__} (aiobotocore "
            f"{version('aiobotocore')}) does not have; run the Worker with "
            "fast_transport=False to send every call through the aiobotocore client"
        )
    return reader


def validates_parameters(client: Any) -> bool:
    """Whether an aiobotocore client checks parameters before sending them.

    botocore records ``parameter_validation`` nowhere public: it wraps the client's private
    serializer in ``ParamValidationDecorator`` when the setting is on. A client without that
    attribute is taken to check (the safe side: a refused call is never sent).
    """
    serializer = getattr(client, "_serializer", None)
    return serializer is None or isinstance(serializer, ParamValidationDecorator)


def _total_attempts(retries: dict[str, Any] | None) -> int:
    """Attempts in all (the first included), as botocore's retry config counts them."""
    retries = retries or {}
    if "total_max_attempts" in retries:
        return max(1, int(retries["total_max_attempts"]))
    if "max_attempts" in retries:
        return max(1, int(retries["max_attempts"]) + 1)
    return DEFAULT_ATTEMPTS
