"""Signed callback tokens: an activity's task token, bound to a domain, under an HMAC.

A callback URL is ``{base}/v1/callbacks/{token}`` where the token is::

    v1.<task token, base64url>.<HMAC-SHA256(secret, "v1" NUL domain NUL task token), base64url>

The gateway that receives it recomputes the MAC with each secret it knows (the first signs,
the others are accepted so a secret can be rotated without breaking URLs already handed
out), so a token that was forged, cut or altered in any byte, or signed for another domain,
is refused before SWF hears of it. Nothing is stored: any gateway process holding the secret
can verify any URL.

A second use is detected by SWF itself, not by the gateway: the first
``RespondActivityTask{Completed,Failed}`` closes the activity task, and SWF answers any
later answer with the same task token ``UnknownResourceFault`` (the task is gone), which the
gateway turns into 410. This is why several stateless gateway processes behind a load
balancer refuse a replayed URL just as one would.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from typing import Final

from ..exceptions import SwfAsyncError

VERSION: Final = "v1"
SECRET_ENV: Final = "SWFASYNC_CALLBACK_SECRET"
URL_ENV: Final = "SWFASYNC_GATEWAY_URL"
# SWF's taskToken is 1 to 1024 characters.
MAX_TASK_TOKEN: Final = 1024
MIN_SECRET_BYTES: Final = 16


class GatewayConfigError(SwfAsyncError, ValueError):
    """The gateway cannot run as configured: no auth on a non-loopback address, a callback
    secret missing or too short, no base URL for callback URLs."""


class InvalidCallbackToken(SwfAsyncError):
    """A callback token that no secret of this gateway signed for this domain."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)


def secret_bytes(secret: str | bytes) -> bytes:
    """A secret as bytes, refused if shorter than 16 bytes (an HMAC key worth having)."""
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(raw) < MIN_SECRET_BYTES:
        raise GatewayConfigError(
            f"a callback secret must be at least {MIN_SECRET_BYTES} bytes, got {len(raw)}"
        )
    return raw


def secrets_from(value: str | bytes | Sequence[str | bytes] | None) -> list[bytes]:
    """Secrets from an argument, or from ``SWFASYNC_CALLBACK_SECRET`` (comma-separated,
    first signs) when the argument is None; empty when neither gives any."""
    if value is None:
        env = os.environ.get(SECRET_ENV, "")
        return [secret_bytes(part) for part in env.split(",") if part]
    if isinstance(value, str | bytes):
        return [secret_bytes(value)]
    return [secret_bytes(item) for item in value]


def _mac(secret: bytes, domain: str, task_token: str) -> bytes:
    message = b"\0".join((VERSION.encode(), domain.encode(), task_token.encode()))
    return hmac.new(secret, message, hashlib.sha256).digest()


def sign(task_token: str, domain: str, secret: bytes) -> str:
    """The callback token for ``task_token`` of an activity in ``domain``."""
    if not 1 <= len(task_token) <= MAX_TASK_TOKEN:
        raise GatewayConfigError(
            f"a task token is 1 to {MAX_TASK_TOKEN} characters, got {len(task_token)}"
        )
    body = _b64(task_token.encode())
    return f"{VERSION}.{body}.{_b64(_mac(secret, domain, task_token))}"


def verify(token: str, domain: str, secrets: Sequence[bytes]) -> str:
    """The task token inside ``token`` if one of ``secrets`` signed it for ``domain``.

    Raises:
        InvalidCallbackToken: malformed, altered, or signed with another secret or domain.
    """
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise InvalidCallbackToken("not a callback token of this gateway")
    try:
        task_token = _unb64(parts[1]).decode()
        mac = _unb64(parts[2])
    except (binascii.Error, ValueError):
        raise InvalidCallbackToken("not a callback token of this gateway") from None
    # Every secret is tried, so the time taken does not say which one nearly matched.
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(mac, _mac(secret, domain, task_token))
    if not matched or not task_token:
        raise InvalidCallbackToken("the callback token's signature does not match")
    return task_token


def callback_url(base_url: str, task_token: str, domain: str, secret: bytes) -> str:
    """``{base_url}/v1/callbacks/{signed token}``."""
    return f"{base_url.rstrip('/')}/v1/callbacks/{sign(task_token, domain, secret)}"
