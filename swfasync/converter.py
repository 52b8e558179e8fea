"""Payloads: how values become what SWF stores, and back.

Example::

    from swfasync import Client
    from swfasync.converter import AesGcmCodec, DataConverter, S3Offload, ZlibCodec

    converter = DataConverter(
        codecs=[ZlibCodec(), AesGcmCodec(key, key_id="2026-12")],
        offload=S3Offload("my-payload-bucket"),
    )
    client = Client(domain="orders", data_converter=converter)

The default (no ``data_converter=``) is msgspec JSON with type-directed decoding, nothing
on top.
"""

from ._engine.converter import JsonPayloadConverter as JsonPayloadConverter
from ._payloads.codecs import AesGcmCodec as AesGcmCodec
from ._payloads.codecs import PayloadCodec as PayloadCodec
from ._payloads.codecs import ZlibCodec as ZlibCodec
from ._payloads.data_converter import DataConverter as DataConverter
from ._payloads.s3 import S3Offload as S3Offload
from .exceptions import PayloadError as PayloadError
from .exceptions import PayloadTooLargeError as PayloadTooLargeError

__all__ = (
    "AesGcmCodec",
    "DataConverter",
    "JsonPayloadConverter",
    "PayloadCodec",
    "PayloadError",
    "PayloadTooLargeError",
    "S3Offload",
    "ZlibCodec",
)
