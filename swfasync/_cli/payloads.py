"""``--codec MODULE:ATTR`` for the commands that show payloads (``history``, ``describe``).

Without it, a payload that codecs encoded is shown as SWF holds it (a codec envelope, or
an ``s3://`` reference); with it, as the converter's JSON text.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from .._payloads.data_converter import DataConverter, is_encoded
from .._wire.codec import AnyEvent
from ..exceptions import ConfigurationError

_FIELDS = ("input", "result", "details", "executionContext", "latestExecutionContext")


def add_codec_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--codec",
        metavar="MODULE:ATTR",
        help="a swfasync.converter.DataConverter (or a function returning one) to decode "
        "payloads with; without it encoded payloads are shown as stored",
    )


def load_converter(spec: str | None) -> DataConverter | None:
    """The DataConverter at ``module:attr`` (called first if it is a function)."""
    if not spec:
        return None
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise ConfigurationError(f"--codec {spec!r}: use MODULE:ATTR")
    found: Any = getattr(importlib.import_module(module_name), attr)
    if not isinstance(found, DataConverter) and callable(found):
        found = found()
    if not isinstance(found, DataConverter):
        raise ConfigurationError(
            f"--codec {spec!r} is a {type(found).__name__}, not a DataConverter"
        )
    return found


async def decode_body(value: Any, converter: DataConverter | None) -> Any:
    """``value`` (an SWF answer's JSON) with its encoded payloads decoded, wherever they
    are (events' attributes, an execution's latest context)."""
    if converter is None:
        return value
    if isinstance(value, list):
        return [await decode_body(item, converter) for item in value]
    if not isinstance(value, dict):
        return value
    decoded: dict[str, Any] = {}
    for key, item in value.items():
        if key in _FIELDS and isinstance(item, str) and is_encoded(item):
            decoded[key] = await converter.decode_text(item, key)
        else:
            decoded[key] = await decode_body(item, converter)
    return decoded


async def decode_events(events: list[AnyEvent], converter: DataConverter | None) -> list[AnyEvent]:
    return events if converter is None else await converter.decode_events(events)
