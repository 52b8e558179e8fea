"""Who may call the gateway: a hook called with the request and the operation.

The hook returns True to let the request through; False answers 401 (with
``WWW-Authenticate: Bearer``); it may raise :class:`Forbidden` for a caller it recognises
but does not allow (403). :class:`BearerTokens` is the built-in hook. ``/healthz`` and the
signed callback URLs (which carry their own proof) do not call the hook.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

from aiohttp import web

from ._problems import HttpProblem

AuthHook = Callable[[web.Request, str], Awaitable[bool]]
"""``async def hook(request, operation) -> bool``; ``operation`` is the OpenAPI
operationId (``startWorkflow``, ``getWorkflow``, ``completeTask`` ...)."""

ALL: Final = "*"


class Forbidden(HttpProblem):
    """Raise from an auth hook: the caller is known but may not do this (403)."""

    def __init__(self, detail: str = "these credentials do not allow this operation") -> None:
        super().__init__(403, "forbidden", detail)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class BearerTokens:
    """``Authorization: Bearer <token>`` against a fixed set of tokens.

    Each token may be limited to some operations (operationIds); ``"*"`` allows all.
    Tokens are kept as SHA-256 digests and compared in constant time.

    Example::

        Gateway(client, workflows=[Order], auth=BearerTokens({"s3cr3t-token": "*"}))

    Args:
        tokens: token -> allowed operations (an iterable of operationIds, or ``"*"``);
            a plain iterable of tokens allows each every operation.
    """

    def __init__(self, tokens: Mapping[str, Iterable[str] | str] | Iterable[str]) -> None:
        items = tokens.items() if isinstance(tokens, Mapping) else ((t, ALL) for t in tokens)
        self._scopes: list[tuple[bytes, frozenset[str]]] = []
        for token, scope in items:
            if not token:
                raise ValueError("a bearer token cannot be empty")
            ops = frozenset([scope] if isinstance(scope, str) else scope)
            self._scopes.append((_digest(token), ops))
        if not self._scopes:
            raise ValueError("BearerTokens needs at least one token")

    @classmethod
    def from_file(cls, path: str | Path) -> BearerTokens:
        """One token per line, optionally followed by the operations it allows
        (space-separated; none means all). Blank lines and ``#`` comments are skipped."""
        tokens: dict[str, Iterable[str] | str] = {}
        for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] in tokens:
                raise ValueError(f"{path}:{number}: token listed twice")
            tokens[words[0]] = words[1:] or ALL
        return cls(tokens)

    async def __call__(self, request: web.Request, operation: str) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        digest = _digest(token.strip())
        allowed: frozenset[str] | None = None
        for known, ops in self._scopes:
            if hmac.compare_digest(known, digest):
                allowed = ops
        if allowed is None:
            return False
        if ALL not in allowed and operation not in allowed:
            raise Forbidden(f"this token does not allow {operation}")
        return True


def is_loopback(host: str) -> bool:
    """True for an address (or ``localhost``) that only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
