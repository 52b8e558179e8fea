"""What ``swfasync history --codec tests.payloads.codec_app:converter`` loads."""

from swfasync.converter import AesGcmCodec, DataConverter, ZlibCodec

KEY = bytes(range(32))


def converter() -> DataConverter:
    return DataConverter(codecs=[ZlibCodec(), AesGcmCodec(KEY, key_id="k1")])
