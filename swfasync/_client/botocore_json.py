"""An answer Struct back in the shape aiobotocore returns, for the public fields that
promise that shape (``WorkflowDescription.raw``).

The client reads every answer as a wire Struct; a few public values were documented as
"the response as botocore returned it" before that, and scripts print them or index
them by SWF's names. They keep SWF's camelCase keys and botocore's ``datetime``
timestamps, where the Structs hold epoch seconds.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .._wire.codec import timestamp_to_datetime


def _is_timestamp(name: str) -> bool:
    # SWF's model names every timestamp member ...Timestamp or ...Date.
    return name.endswith(("timestamp", "_date"))


def _plain(value: Any, name: str) -> Any:
    if isinstance(value, msgspec.Struct):
        return botocore_json(value)
    if isinstance(value, list):
        return [_plain(item, name) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool) and _is_timestamp(name):
        return timestamp_to_datetime(value)
    return value


def botocore_json(answer: msgspec.Struct) -> dict[str, Any]:
    """``answer`` as camelCase builtins, absent members left out, timestamps as aware
    ``datetime``s."""
    return {
        field.encode_name: _plain(value, field.name)
        for field in msgspec.structs.fields(answer)
        if (value := getattr(answer, field.name)) is not None
    }
