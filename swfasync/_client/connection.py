"""The aiobotocore SWF client: one place that decides timeouts, retries and endpoints.

Everything comes from the standard AWS configuration (environment, profiles, instance
roles) unless given explicitly, so Amazon SWF and the dev server differ only in
``endpoint_url`` and credentials.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import aiobotocore.session  # type: ignore[import-untyped]
import anyio
import anyio.to_thread
from botocore.config import Config
from botocore.exceptions import ClientError, DataNotFoundError

from .._log import get_logger
from .._wire.common import Request
from ..exceptions import SwfConnectionError
from . import errors, history_parser

log = get_logger("swfasync.client")

# SWF holds a long poll for 60 s; the read timeout must outlast it or every idle poll
# would end in a client-side timeout error instead of an empty answer.
LONG_POLL_READ_TIMEOUT: Final = 70.0

# Throttling is normal under load and must never be fatal (SWF's words for it).
THROTTLING_CODES: Final = errors.THROTTLING_CODES

T = TypeVar("T")


def error_code(error: BaseException) -> str | None:
    """SWF's fault name of a botocore ``ClientError`` or an ``SwfServiceError`` (which is
    one): ``UnknownResourceFault`` ..."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def is_throttling(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES


def backoff_delay(attempt: int, base: float = 0.1, cap: float = 10.0) -> float:
    """Full-jitter exponential backoff: spread retries so pollers do not stampede."""
    return float(random.uniform(0, min(cap, base * 2**attempt)))


async def call_with_backoff(
    call: Callable[[], Awaitable[T]], *, attempts: int = 8, base: float = 0.1
) -> T:
    """Run ``call``; retry throttling faults with jittered backoff, re-raise anything else."""
    for attempt in range(attempts - 1):
        try:
            return await call()
        except ClientError as error:
            if not is_throttling(error):
                raise
            await anyio.sleep(backoff_delay(attempt, base))
    return await call()


async def call_swf(
    attempt_call: Callable[[], Awaitable[T]],
    request: Request[Any],
    *,
    endpoint: str | None,
    retry_for: float | None,
    base: float = 0.05,
    cap: float = 2.0,
) -> T:
    """``attempt_call()``, retried while it fails for a passing reason, in SWF's terms.

    ``request`` is what ``attempt_call`` sends, for the error's wording.

    Connection failures, throttling and 5xx answers are tried again with full-jitter
    backoff for up to ``retry_for`` seconds (None: until cancelled), counted for this call
    alone: other calls' failures never shorten it, as botocore's shared retry quota would.
    What still fails is raised as the SDK's error (:func:`errors.translate`) with the
    original as ``__cause__``; a warning naming the endpoint is logged once per call that
    keeps failing.
    """
    deadline = None if retry_for is None else anyio.current_time() + retry_for
    attempt = 0
    warned = False
    last_answer: Exception | None = None  # what SWF said last, if it said anything
    last_error: Exception | None = None  # what the last attempt met, whatever it was
    while True:
        # An attempt that would outlast the deadline (a server that takes the connection
        # and never answers) is cut there; with no time given, the one attempt still runs.
        remaining = None if deadline is None else deadline - anyio.current_time()
        bound = None if remaining is None or (remaining <= 0 and attempt == 0) else remaining
        try:
            with anyio.move_on_after(bound):
                return await attempt_call()
        except Exception as error:
            delay = backoff_delay(attempt, base, cap)
            left = None if deadline is None else deadline - anyio.current_time()
            give_up = not errors.is_transient(error) or (left is not None and left <= 0)
            if left is not None:
                # The last wait ends at the deadline, where one more attempt is cut short:
                # the call takes the time it was given, not less.
                delay = min(delay, left)
            last_error = error
            if not isinstance(error, SwfConnectionError | OSError):
                last_answer = error
            if give_up:
                source: Exception = error
                if isinstance(error, SwfConnectionError) and isinstance(error.__cause__, Exception):
                    # Translated by a transport that counted its own attempt: this call
                    # made more.
                    source = error.__cause__
                translated = errors.translate(
                    source,
                    operation=request.operation,
                    endpoint=endpoint,
                    request=request,
                    attempts=attempt + 1,
                )
                if translated is error:
                    raise
                raise translated from source
            if attempt >= 3 and not warned:
                warned = True
                log.warning(
                    "swf_call_retrying",
                    operation=request.operation,
                    endpoint=endpoint,
                    attempts=attempt + 1,
                    error=type(error).__name__,
                )
        else:  # the attempt was cut at the deadline
            earlier = last_answer or last_error
            if earlier is not None:
                # What the earlier attempts met (SWF's throttling or 5xx answer first, else
                # the connection failure) says more than the cut attempt does.
                if isinstance(earlier, SwfConnectionError) and isinstance(
                    earlier.__cause__, Exception
                ):
                    earlier = earlier.__cause__
                translated = errors.translate(
                    earlier,
                    operation=request.operation,
                    endpoint=endpoint,
                    request=request,
                    attempts=attempt + 1,
                )
                if translated is earlier:
                    raise earlier
                raise translated from earlier
            raise SwfConnectionError(
                endpoint or "SWF",
                request.operation,
                attempt + 1,
                f"no answer within the call's retry deadline ({retry_for:g} s)",
            )
        await anyio.sleep(delay)
        attempt += 1


def make_config(read_timeout: float = LONG_POLL_READ_TIMEOUT, **extra: Any) -> Config:
    return Config(
        read_timeout=read_timeout,
        connect_timeout=10,
        # botocore's standard mode already retries throttling with backoff on ordinary calls.
        retries={"mode": "standard", "max_attempts": 5},
        max_pool_connections=100,
        **extra,
    )


@dataclass(frozen=True)
class ClientOrigin:
    """What the SDK made an aiobotocore SWF client from.

    A client tells its endpoint, region and final ``Config`` publicly (``client.meta``),
    but not the ``verify`` it was given, its credentials or whether it validates
    parameters: the fast transport reads those from here (:func:`origin_of`), through the
    session's public API, instead of from the client's private attributes.
    """

    session: Any
    verify: bool | str | None
    access_key: str | None
    secret_key: str | None
    token: str | None
    config: Config


# Keyed by the client object itself, so an origin lives exactly as long as its client.
_origins: weakref.WeakKeyDictionary[Any, ClientOrigin] = weakref.WeakKeyDictionary()


def origin_of(client: Any) -> ClientOrigin | None:
    """How ``client`` was made, if :func:`create_swf_client` made it."""
    try:
        return _origins.get(client)
    except TypeError:  # not an object a weak reference can name
        return None


# The data files botocore reads to make an SWF client: SWF's model and endpoint rules, and
# the endpoints, partitions, defaults and retry rules of every service.
CLIENT_DATA: Final = (
    ("swf", "service-2"),
    ("swf", "endpoint-rule-set-1"),
    ("endpoints", None),
    ("partitions", None),
    ("sdk-default-configuration", None),
    ("_retry", None),
)


def load_client_data(session: Any) -> None:
    """Parse, into the session's loader cache, the data files that making an SWF client
    reads (about 80 ms of JSON the first time, for each session): called in a thread, so
    that making the client does not stall the event loop for that long. A file that a
    botocore version does not have is skipped (the client then reads what it needs)."""
    loader = session.get_component("data_loader")
    for name, kind in CLIENT_DATA:
        try:
            if kind is None:
                loader.load_data(name)
            else:
                loader.load_service_model(name, kind)
        except DataNotFoundError:
            continue


@asynccontextmanager
async def create_swf_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    profile: str | None = None,
    config: Config | None = None,
    verify: bool | str | None = None,
    sdk_parser: bool = True,
    session: Any = None,
) -> AsyncIterator[Any]:
    """An open aiobotocore SWF client, closed when the block ends.

    With ``sdk_parser`` (the default) its PollForDecisionTask and
    GetWorkflowExecutionHistory responses carry ``events`` as decoded wire Structs (see
    :mod:`swfasync._client.history_parser`), not dicts. ``verify`` is botocore's: None
    for the session's CA bundle (``AWS_CA_BUNDLE``, a profile's ``ca_bundle``), False
    to skip certificate checks, or the path of a CA bundle. ``session``: an aiobotocore
    session of the caller's (its credential chain, its profile) instead of a new one.
    """
    if session is None:
        session = aiobotocore.session.AioSession(profile=profile)
    if sdk_parser:
        history_parser.install(session)
    config = config or make_config()
    await anyio.to_thread.run_sync(load_client_data, session)
    async with session.create_client(
        "swf",
        region_name=region_name,
        endpoint_url=endpoint_url,
        verify=verify,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        config=config,
    ) as client:
        _origins[client] = ClientOrigin(
            session,
            verify,
            aws_access_key_id,
            aws_secret_access_key,
            aws_session_token,
            config,
        )
        yield client
