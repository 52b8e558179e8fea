"""Payload codecs: bytes in, bytes out, applied to every payload after the converter.

A codec's ``name`` is written into each payload it encoded, so a payload names the codecs
to undo, in order, and a converter refuses, with that name, a payload it cannot decode.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from ..exceptions import ConfigurationError, PayloadError

_NAME = re.compile(r"[a-z0-9][a-z0-9.\-]{0,63}")


@runtime_checkable
class PayloadCodec(Protocol):
    """Transforms an encoded payload's bytes (compression, encryption, ...).

    ``encode`` runs when a payload is sent (by the client, the activity worker, or the
    decision worker once an activation's decisions are known, never during replay, so a
    codec may be non-deterministic, such as a random nonce); ``decode`` runs on every
    payload read back, including replays, and must give back the bytes ``encode`` took.
    Both are coroutines, so a codec may call a key service.
    """

    @property
    def name(self) -> str:
        """Recorded in each payload it encoded: lowercase letters, digits, ``.`` and ``-``."""
        ...

    async def encode(self, data: bytes) -> bytes: ...

    async def decode(self, data: bytes) -> bytes: ...


def check_codec_name(codec: PayloadCodec) -> str:
    name = codec.name
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"codec name {name!r}: use 1 to 64 lowercase letters, digits, '.' or '-'"
        )
    return name


class ZlibCodec:
    """Compression with zlib (standard library).

    Args:
        level: zlib's compression level, 1 (fast) to 9 (small).
    """

    name = "zlib"

    def __init__(self, level: int = 6) -> None:
        if not 0 <= level <= 9:
            raise ConfigurationError(f"zlib level {level}: use 0 to 9")
        self.level = level

    async def encode(self, data: bytes) -> bytes:
        return zlib.compress(data, self.level)

    async def decode(self, data: bytes) -> bytes:
        try:
            return zlib.decompress(data)
        except zlib.error as error:
            raise PayloadError(f"payload is not zlib data: {error}") from error


class AesGcmCodec:
    """Authenticated encryption with AES-GCM, keyed by the application.

    Each payload gets a fresh random 96-bit nonce. Encoding runs only when a payload is
    sent, never on replay (replays read the history, and decode it), so the nonce never
    has to be reproduced. The key id travels with the ciphertext: to rotate, encrypt with a
    new ``key_id`` and keep the old keys in ``previous_keys`` for what history still holds.
    Needs ``pip install 'swfasync[encryption]'`` (the ``cryptography`` package).

    Args:
        key: 16, 24 or 32 bytes (AES-128/192/256). Keep it out of the code.
        key_id: names ``key`` in each payload (1 to 255 ASCII characters).
        previous_keys: key id -> key, for decoding payloads encrypted before a rotation.

    Example::

        codec = AesGcmCodec(key=bytes.fromhex(os.environ["PAYLOAD_KEY"]), key_id="2026-12")
    """

    name = "aes-gcm"

    def __init__(
        self, key: bytes, *, key_id: str = "default", previous_keys: Mapping[str, bytes] = {}
    ) -> None:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError as error:
            raise ConfigurationError(
                "AesGcmCodec needs the cryptography package: pip install 'swfasync[encryption]'"
            ) from error

        raw_id = key_id.encode("ascii", "replace")
        if not (1 <= len(raw_id) <= 255 and key_id.isascii()):
            raise ConfigurationError(f"key_id {key_id!r}: use 1 to 255 ASCII characters")
        self._key_id = raw_id
        self._ciphers: dict[bytes, Any] = {}
        for kid, value in {**previous_keys, key_id: key}.items():
            if len(value) not in (16, 24, 32):
                raise ConfigurationError(
                    f"key {kid!r} is {len(value)} bytes: AES takes 16, 24 or 32"
                )
            self._ciphers[kid.encode("ascii", "replace")] = AESGCM(value)
        self._cipher = self._ciphers[raw_id]

    async def encode(self, data: bytes) -> bytes:
        nonce = os.urandom(12)
        header = bytes([len(self._key_id)]) + self._key_id
        # The key id is authenticated with the ciphertext (associated data).
        sealed: bytes = self._cipher.encrypt(nonce, data, header)
        return header + nonce + sealed

    async def decode(self, data: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        size = data[0] if data else 0
        header, rest = data[: 1 + size], data[1 + size :]
        cipher = self._ciphers.get(header[1:])
        if cipher is None:
            raise PayloadError(
                f"payload was encrypted with key id {header[1:].decode('ascii', 'replace')!r},"
                " which this AesGcmCodec does not hold (add it to previous_keys)"
            )
        try:
            return bytes(cipher.decrypt(rest[:12], rest[12:], header))
        except InvalidTag as error:
            raise PayloadError(
                "payload failed AES-GCM authentication (wrong key, or altered)"
            ) from error
