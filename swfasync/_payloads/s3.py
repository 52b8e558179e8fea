"""Large payloads kept in S3, with a reference of a few dozen characters in SWF."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from ..exceptions import PayloadError


class S3Offload:
    """Stores payloads larger than SWF takes in an S3 bucket; SWF keeps a reference.

    A payload (after the codecs: an encrypted payload is stored encrypted) whose text is
    longer than ``threshold`` characters, or than its SWF field's limit, is written to
    ``s3://<bucket>/<prefix><sha256>`` and replaced by
    ``{"swfasync-s3":"s3://...","size":...}``. Keys are content addresses: sending the same
    payload again (a retried answer) writes the same object. Objects are never deleted by
    swfasync: give the prefix a lifecycle rule longer than your executions' retention.

    Credentials, region and endpoint come from the standard AWS configuration unless
    given; against moto's server or another S3-compatible store pass ``endpoint_url``.

    Args:
        bucket: an existing bucket.
        prefix: key prefix for the stored payloads.
        threshold: offload payloads longer than this (default: only what does not fit).
        endpoint_url, region_name, aws_access_key_id, aws_secret_access_key,
        aws_session_token: for the S3 client (default: the standard AWS configuration).
        cache_bytes: payloads read back are kept in memory up to about this many bytes, so
            a replay does not fetch them again.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "swfasync/payloads/",
        threshold: int | None = None,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        cache_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.threshold = threshold
        self._options = {
            "endpoint_url": endpoint_url,
            "region_name": region_name,
            "aws_access_key_id": aws_access_key_id,
            "aws_secret_access_key": aws_secret_access_key,
            "aws_session_token": aws_session_token,
        }
        self._session: Any = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_limit = cache_bytes
        self._cached = 0

    def _client(self) -> Any:
        if self._session is None:
            from aiobotocore.session import get_session  # type: ignore[import-untyped]

            self._session = get_session()
        return self._session.create_client("s3", **self._options)

    def url(self, data: bytes) -> str:
        """Where ``data`` is (or would be) stored."""
        return f"s3://{self.bucket}/{self.prefix}{hashlib.sha256(data).hexdigest()}"

    async def put(self, data: bytes) -> str:
        """Store ``data``; its ``s3://`` URL."""
        url = self.url(data)
        key = url.split("/", 3)[3]
        try:
            async with self._client() as s3:
                await s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        except Exception as error:
            raise PayloadError(
                f"storing a {len(data)}-byte payload at {url} failed: {error!r}"
            ) from error
        self._remember(url, data)
        return url

    async def get(self, url: str) -> bytes:
        """The payload stored at ``url``, checked against its content address."""
        found = self._cache.get(url)
        if found is not None:
            self._cache.move_to_end(url)
            return found
        bucket, _, key = url.removeprefix("s3://").partition("/")
        try:
            async with self._client() as s3:
                response = await s3.get_object(Bucket=bucket, Key=key)
                async with response["Body"] as body:
                    data: bytes = await body.read()
        except Exception as error:
            raise PayloadError(f"reading the payload at {url} failed: {error!r}") from error
        if hashlib.sha256(data).hexdigest() != key.rpartition("/")[2]:
            raise PayloadError(f"the payload at {url} does not match its content address")
        self._remember(url, data)
        return data

    def _remember(self, url: str, data: bytes) -> None:
        if len(data) > self._cache_limit or url in self._cache:
            return
        self._cache[url] = data
        self._cached += len(data)
        while self._cached > self._cache_limit:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= len(dropped)
