"""A lean request path for the worker's hot SWF operations.

A worker spends most of its CPU inside botocore's generic request pipeline: serializing
by shape, a dozen event hooks, building a user agent, signing through ``HTTPHeaders``,
parsing by shape. For the few operations a worker repeats thousands of times (polling and
answering tasks, heartbeats, reading history) :class:`FastSwfTransport` sends the same SWF
JSON 1.0 requests directly, over kept-alive connections of its own
(:class:`~swfasync._client.http11.Http11Pool`, a fraction of a general HTTP client's CPU
per request):

- it sends as the open aiobotocore client would, from the client's public configuration
  (``client.meta``) and the :class:`~swfasync._client.connection.ClientOrigin` recorded
  when the SDK made the client, resolved once as botocore's endpoint resolves them
  (:func:`http_settings`): endpoint and region; ``Config(proxies=...)``, else the
  environment's ``HTTPS_PROXY``/``HTTP_PROXY`` with ``NO_PROXY``; ``verify``, else the
  session's CA bundle (``AWS_CA_BUNDLE``, a profile's ``ca_bundle``), else
  ``REQUESTS_CA_BUNDLE``, into a TLS context built as aiobotocore builds it, with
  ``Config(client_cert=...)``; connect and read timeouts, pool size, the connector
  arguments ``keepalive_timeout`` and ``force_close``, user agent additions and the retry
  budget. A setting it cannot honour (an ``https://`` proxy, ``proxies_config``, adaptive
  retries, another HTTP session class, another connector argument, a client the SDK did
  not make) raises :class:`FastTransportUnavailable` naming
  it, and :func:`~swfasync._client.transport.fast_transport` then says so once and
  leaves the calls to aiobotocore;
- credentials are the session's (``get_credentials()``, the very object the client signs
  with) or the explicit keys the client was given; refreshable ones are asked for frozen
  ones on every request, so a refresh is used from the next request on. No private
  botocore attribute is read;
- requests are signed with Signature Version 4 for service ``swf`` by :class:`SigV4Signer`,
  which produces byte for byte the ``Authorization`` header of botocore's ``SigV4Auth``
  (the tests prove it) while deriving the signing key once a day instead of per request;
- requests are generated wire Structs (``api.PollForDecisionTaskInput(...)``), encoded
  with msgspec; answers are decoded by msgspec straight into the Struct the request's
  type names (:class:`~swfasync._client.answers.AnswerDecoder`), history pages through
  the codec, so an event type added to SWF later is kept as an ``UnknownEvent``; a body
  that is not SWF's JSON is a ``ResponseParserError``, as botocore's parser would raise;
- error responses go through botocore's own JSON error parser into the client's modeled
  ``ClientError`` classes, so codes, messages and operation names are exactly what
  aiobotocore gives; like every SWF error the SDK raises, they are then raised in SWF's
  terms (``swfasync.exceptions.SwfServiceError`` and its subclasses, which are
  ``ClientError`` too, so ``connection.error_code`` and ``call_with_backoff`` work
  unchanged), as are connection failures (``SwfConnectionError``), each with the
  original error as ``__cause__``;
- connection errors, 5xx answers and throttling faults are retried with full-jitter
  backoff within the client's retry budget, as botocore's standard retry mode does.

Requests are checked before anything is sent, as the aiobotocore path checks them
(:func:`~swfasync._wire.validation.check_request`): against botocore's model and SWF's
rules, generated into the request Structs, compiled once per request type, so a request
that passes costs a few comparisons per member. A refused one raises
``SwfValidationError`` naming the member's path on the wire, such as
``decisions[2].scheduleActivityTaskDecisionAttributes.activityId``, the rule, the size
and the limit; nothing is sent. A client made with ``parameter_validation=False`` (from
a ``Config`` or a profile) sends its requests unchecked, and so does the transport: see
:func:`validates_parameters`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import ssl
import sys
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, NamedTuple
from urllib.parse import quote, urlsplit

import anyio
import anyio.to_thread
import msgspec
from aiobotocore.httpsession import AIOHTTPSession  # type: ignore[import-untyped]
from botocore.exceptions import NoCredentialsError, ProxyConnectionError
from botocore.httpsession import (
    ProxyConfiguration,
    create_urllib3_context,
    get_cert_path,
    mask_proxy_url,
)
from botocore.parsers import create_parser
from botocore.utils import ensure_boolean, get_environ_proxies, normalize_url_path

from .._wire.common import Answer, Request
from .._wire.validation import check_request
from ..exceptions import ConfigurationError
from . import errors
from .answers import AnswerDecoder
from .connection import THROTTLING_CODES, ClientOrigin, backoff_delay, origin_of
from .http11 import Http11Pool, ProxyRefusedError

JSON_CONTENT_TYPE: Final = "application/x-amz-json-1.0"
TARGET_PREFIX: Final = "SimpleWorkflowService."
SERVICE: Final = "swf"
USER_AGENT: Final = f"swfasync python/{sys.version_info.major}.{sys.version_info.minor}"

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

# botocore's standard retry mode retries these statuses as transient.
RETRIED_STATUSES: Final = frozenset({500, 502, 503, 504})
# The aiobotocore connector arguments the fast transport's connections follow; any other
# leaves the calls to aiobotocore.
CONNECTOR_ARGS: Final = frozenset({"keepalive_timeout", "force_close"})
# aiohttp's default, which aiobotocore's connections keep.
KEEPALIVE_TIMEOUT: Final = 15.0

# botocore's standard mode default when the client's config names no budget.
DEFAULT_ATTEMPTS: Final = 3

_encoder = msgspec.json.Encoder()


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
        self._answers: AnswerDecoder | None = None

    def answers(self, request_type: type[Request[Any]]) -> AnswerDecoder:
        """The decoder of this operation's answers, made on first use."""
        if self._answers is None:
            self._answers = AnswerDecoder(request_type)
        return self._answers


class FastTransportUnavailable(Exception):
    """The client is configured with something :class:`FastSwfTransport` cannot do as
    aiobotocore does; ``setting`` names it. Its calls then go through aiobotocore."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


@dataclass(frozen=True)
class HttpSettings:
    """How aiobotocore would reach the endpoint, worked out from the client's public
    configuration and its :class:`~swfasync._client.connection.ClientOrigin` as
    aiobotocore's endpoint does it, once per transport."""

    proxy_url: str | None
    verify: bool | str
    client_cert: str | tuple[str, str] | None
    connect_timeout: float | None
    read_timeout: float | None
    pool_size: int
    connector_args: dict[str, Any]
    user_agent: str

    def ssl_context(self) -> ssl.SSLContext:
        """The endpoint's TLS context as aiobotocore builds it (blocking file reads)."""
        context: ssl.SSLContext = create_urllib3_context()
        if self.verify:
            # urllib3 checks the host name itself; here the context does.
            context.check_hostname = True
            context.load_verify_locations(
                self.verify if isinstance(self.verify, str) else get_cert_path(True)
            )
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if isinstance(self.client_cert, tuple):
            context.load_cert_chain(*self.client_cert)
        elif self.client_cert:
            context.load_cert_chain(self.client_cert)
        return context


def http_settings(client: Any, origin: ClientOrigin) -> HttpSettings:
    """What the fast transport must do to send as ``client`` (made from ``origin``) sends.

    Raises :class:`FastTransportUnavailable` naming the first setting it cannot honour.
    """
    config = client.meta.config
    if config.signature_version != "v4":
        raise FastTransportUnavailable(
            "signature_version", f"{config.signature_version!r}: only SigV4 is signed"
        )
    retries = config.retries or {}
    if retries.get("mode") == "adaptive":
        raise FastTransportUnavailable(
            "retries", "mode 'adaptive': its client-side rate limiting is botocore's own"
        )
    session_class = getattr(config, "http_session_cls", AIOHTTPSession)
    if session_class is not AIOHTTPSession:
        raise FastTransportUnavailable(
            "http_session_cls",
            f"{session_class.__name__}: an HTTP client of its own, left to aiobotocore",
        )
    connector_args = dict(getattr(config, "connector_args", None) or {})
    if other_args := sorted(set(connector_args) - CONNECTOR_ARGS):
        raise FastTransportUnavailable(
            "connector_args", f"{', '.join(other_args)}: left to aiobotocore's aiohttp"
        )
    if any(config.proxies_config or {}):
        names = ", ".join(sorted(config.proxies_config))
        raise FastTransportUnavailable("proxies_config", f"{names}: left to aiobotocore")
    endpoint_url: str = client.meta.endpoint_url
    # botocore's endpoint: the configured proxies, or the environment's (with NO_PROXY).
    proxies = config.proxies if config.proxies is not None else get_environ_proxies(endpoint_url)
    proxy_url = ProxyConfiguration(proxies).proxy_url_for(endpoint_url)
    if proxy_url is not None and not proxy_url.startswith("http:"):
        raise FastTransportUnavailable(
            "proxies", f"{mask_proxy_url(proxy_url)}: only http:// proxies are tunnelled"
        )
    if proxy_url is not None and ensure_boolean(
        os.environ.get("BOTO_EXPERIMENTAL__ADD_PROXY_HOST_HEADER", "")
    ):
        raise FastTransportUnavailable(
            "BOTO_EXPERIMENTAL__ADD_PROXY_HOST_HEADER", "botocore's experiment, not followed"
        )
    # botocore's session, then its endpoint: the client's verify, else the session's
    # ca_bundle (AWS_CA_BUNDLE, a profile's ca_bundle), else REQUESTS_CA_BUNDLE.
    verify = origin.verify
    if verify is None:
        verify = origin.session.get_config_variable("ca_bundle")
    if verify is None:
        verify = os.environ.get("REQUESTS_CA_BUNDLE", True)
    user_agent = USER_AGENT
    if config.user_agent_extra:
        user_agent += f" {config.user_agent_extra}"
    if config.user_agent_appid:
        user_agent += f" app/{config.user_agent_appid}"
    return HttpSettings(
        proxy_url=proxy_url,
        verify=verify,
        client_cert=config.client_cert,
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        pool_size=int(config.max_pool_connections or 10),
        connector_args=connector_args,
        user_agent=user_agent,
    )


def validates_parameters(origin: ClientOrigin) -> bool:
    """Whether the client checks parameters before sending them, as botocore decides it:
    ``Config(parameter_validation=False)`` (the session's default config merged with the
    client's), else the profile's ``parameter_validation``, else yes."""
    session = origin.session
    default = session.get_default_client_config()
    config = default.merge(origin.config) if default is not None else origin.config
    if not getattr(config, "parameter_validation", True):
        return False
    raw = session.get_scoped_config().get("parameter_validation")
    return True if raw is None else bool(ensure_boolean(raw))


class FastSwfTransport:
    """The worker's hot SWF calls: an :class:`~swfasync._client.transport.SwfTransport`.

    ``async with FastSwfTransport(client) as swf: task = await
    swf.send(api.PollForActivityTaskInput(...))`` where ``client`` is an open aiobotocore
    SWF client that :func:`~swfasync._client.connection.create_swf_client` made
    (``Client.raw``). Answers are the Structs the requests name, as the aiobotocore path
    answers them; faults raise the client's own ``ClientError`` classes, in SWF's terms.

    Raises :class:`FastTransportUnavailable` when built over a client configured with
    something it cannot do as aiobotocore would (:func:`http_settings`).
    """

    def __init__(self, client: Any, origin: ClientOrigin | None = None) -> None:
        self._client = client
        origin = origin or origin_of(client)
        if origin is None:
            raise FastTransportUnavailable(
                "client",
                "the aiobotocore client was not made by swfasync (Client(swf=...)), so its "
                "verify setting and credentials cannot be read through public APIs",
            )
        self.settings = http_settings(client, origin)
        self._origin = origin
        meta = client.meta
        self.endpoint_url: str = meta.endpoint_url
        self.region: str = meta.region_name
        self.read_timeout = self.settings.read_timeout
        self.connect_timeout = self.settings.connect_timeout
        self.pool_size = self.settings.pool_size
        self.attempts = _total_attempts(meta.config.retries)
        self._signer = SigV4Signer(self.endpoint_url, self.region)
        parts = urlsplit(self.endpoint_url)
        self._url = parts._replace(path=parts.path or "/").geturl()
        self._operations = {
            name: _Operation(meta.service_model.operation_model(name)) for name in HOT_OPERATIONS
        }
        self.validates_parameters = validates_parameters(origin)
        self._error_parser = create_parser("json")
        self._pool: Http11Pool | None = None
        self._credentials_source: Any = None
        self._static: FrozenCredentials | None = None

    async def __aenter__(self) -> FastSwfTransport:
        settings = self.settings
        context: ssl.SSLContext | None = None
        if urlsplit(self.endpoint_url).scheme == "https":
            try:
                context = await anyio.to_thread.run_sync(settings.ssl_context)
            except (OSError, ssl.SSLError) as error:
                raise ConfigurationError(
                    f"cannot set up TLS to {self.endpoint_url} (verify={settings.verify!r}, "
                    f"client_cert={settings.client_cert!r}): {error}"
                ) from error
        origin = self._origin
        if origin.access_key is not None and origin.secret_key is not None:
            self._static = FrozenCredentials(origin.access_key, origin.secret_key, origin.token)
        else:
            # The session's credentials, the very object its client signs with: a
            # refreshable one refreshes for both.
            self._credentials_source = await origin.session.get_credentials()
        connector_args = settings.connector_args
        self._pool = Http11Pool(
            self._url,
            ssl_context=context,
            proxy_url=settings.proxy_url,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            limit=settings.pool_size,
            keepalive_timeout=float(connector_args.get("keepalive_timeout", KEEPALIVE_TIMEOUT)),
            force_close=bool(connector_args.get("force_close", False)),
            fixed_headers={"User-Agent": settings.user_agent, "Accept-Encoding": "identity"},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def _credentials(self) -> FrozenCredentials:
        if self._static is not None:
            return self._static
        # Refreshable credentials refresh themselves inside get_frozen_credentials when due.
        credentials = self._credentials_source
        if credentials is None:
            raise NoCredentialsError()
        frozen = await credentials.get_frozen_credentials()
        return FrozenCredentials(frozen.access_key, frozen.secret_key, frozen.token)

    async def send(self, request: Request[Answer]) -> Answer:
        """Send one request; its answer, the Struct its type names (None for none, and
        for a long poll that ended with no task).

        What fails is raised in SWF's terms (:func:`errors.translate`), the original error
        as ``__cause__``: a refused request is an ``SwfValidationError`` (nothing sent), a
        fault an ``SwfServiceError``, which is also the ``ClientError`` aiobotocore would
        raise (same code, message and operation).
        """
        try:
            if self.validates_parameters:
                check_request(request)
            operation = self._operation(request.operation)
            data = await self._post(operation, _encoder.encode(request))
            answer: Answer = operation.answers(type(request)).decode(data)
            return answer
        except Exception as error:
            translated = errors.translate(
                error, operation=request.operation, endpoint=self.endpoint_url, request=request
            )
            if translated is error:
                raise
            raise translated from error

    def _operation(self, name: str) -> _Operation:
        operation = self._operations.get(name)
        if operation is None:
            model = self._client.meta.service_model.operation_model(name)
            operation = self._operations[name] = _Operation(model)
        return operation

    async def _post(self, operation: _Operation, body: bytes) -> bytes:
        """POST one signed request, retried as botocore's standard mode retries; the
        successful answer's body."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("FastSwfTransport is not open: use it with 'async with'")
        attempt = 0
        while True:
            credentials = await self._credentials()
            headers = self._signer.headers(
                credentials, operation.target, body, sigv4_timestamp(time.time())
            )
            last_attempt = attempt + 1 >= self.attempts
            try:
                answer = await pool.post(body, headers)
            except ProxyRefusedError as refused:
                # The proxy refused the tunnel: aiobotocore's ProxyConnectionError.
                if last_attempt:
                    raise ProxyConnectionError(
                        proxy_url=mask_proxy_url(self.settings.proxy_url or ""), error=refused
                    ) from refused
            except OSError:
                # Refused, reset or timed out (TimeoutError), or a TLS failure.
                if last_attempt:
                    raise
            else:
                status = answer.status
                if status < 300:
                    return answer.body
                error = self._error_response(operation, status, answer.headers, answer.body)
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
        self, operation: _Operation, status: int, headers: dict[str, str], body: bytes
    ) -> dict[str, Any]:
        # botocore's own JSON error parsing: SWF's ``__type`` becomes the code, a body that
        # is not SWF's (an HTML 5xx page from a proxy) becomes the status code.
        parsed: dict[str, Any] = self._error_parser.parse(
            {"status_code": status, "headers": headers, "body": body},
            operation.output_shape,
        )
        return parsed


def _total_attempts(retries: dict[str, Any] | None) -> int:
    """Attempts in all (the first included), as botocore's retry config counts them."""
    retries = retries or {}
    if "total_max_attempts" in retries:
        return max(1, int(retries["total_max_attempts"]))
    if "max_attempts" in retries:
        return max(1, int(retries["max_attempts"]) + 1)
    return DEFAULT_ATTEMPTS
