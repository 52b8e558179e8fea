"""The submission message: the default schema, strict, as msgspec Structs.

The default preset is the message the asynchronous-workflow document asks applications to
send: who submits (``user_name``), which job (``app_id``, ``job_number``), which workflow
(``AWF_workflow_slug``) and its arguments by name. Unknown fields are refused anywhere in
the message, so a typo is a dead letter naming the field, not an argument silently lost.

An argument's ``type`` selects its shape: ``string``, ``integer``, ``number``, ``boolean``
carry a JSON value of that kind; ``file`` carries a name in ``value`` and needs
``properties`` with an ``https`` ``url`` and a ``mime_type``. A workflow parameter receives a
file argument as a :class:`File`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

import msgspec

from ._errors import Rejected

# Strings the schema accepts: non-empty and bounded, so a message cannot carry a megabyte
# where an identifier belongs.
Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
HttpsUrl = Annotated[str, msgspec.Meta(pattern=r"^https://[^\s]+$", max_length=8192)]
MimeType = Annotated[str, msgspec.Meta(pattern=r"^[\w.+-]+/[\w.+-]+(;.*)?$", max_length=256)]


class _Strict(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every submission Struct: unknown fields are an error."""


class FileProperties(_Strict, frozen=True):
    """Where a file argument's content is and what it is."""

    url: HttpsUrl
    mime_type: MimeType


class StringArgument(_Strict, frozen=True, tag_field="type", tag="string"):
    """A text argument."""

    name: Identifier
    value: str


class IntegerArgument(_Strict, frozen=True, tag_field="type", tag="integer"):
    """A whole-number argument."""

    name: Identifier
    value: int


class NumberArgument(_Strict, frozen=True, tag_field="type", tag="number"):
    """A numeric argument."""

    name: Identifier
    value: float


class BooleanArgument(_Strict, frozen=True, tag_field="type", tag="boolean"):
    """A true/false argument."""

    name: Identifier
    value: bool


class FileArgument(_Strict, frozen=True, tag_field="type", tag="file"):
    """A file argument: a name in ``value``, its location and type in ``properties``."""

    name: Identifier
    value: str
    properties: FileProperties


WorkflowArgument = (
    StringArgument | IntegerArgument | NumberArgument | BooleanArgument | FileArgument
)


class Submission(_Strict, frozen=True):
    """The default submission message (the document's schema).

    Example::

        {"user_name": "john.doe@example.com", "job_number": "00000000",
         "app_id": "my_awesome_app", "AWF_workflow_slug": "tutorial",
         "AWF_workflow_arguments": [
             {"name": "object_id", "type": "string", "value": "my test workflow run"},
             {"name": "file", "type": "file", "value": "input.txt",
              "properties": {"url": "https://example.com/input.txt",
                             "mime_type": "text/plain"}}]}
    """

    user_name: Identifier
    job_number: Identifier
    app_id: Identifier
    workflow_slug: Identifier = msgspec.field(name="AWF_workflow_slug")
    workflow_arguments: list[WorkflowArgument] = msgspec.field(name="AWF_workflow_arguments")


class File(msgspec.Struct, frozen=True, kw_only=True):
    """What a workflow parameter annotated ``File`` receives for a file argument.

    Attributes:
        value: the file's name as the submitter gave it.
        url: where its content can be fetched (``https``).
        mime_type: its media type.
    """

    value: str
    url: str
    mime_type: str


_PATH: Final = re.compile(r" - at `(\$[^`]*)`$")
_UNKNOWN: Final = re.compile(r"unknown field `([^`]*)`")


def decode_message(body: str | bytes, schema: type[Any]) -> Any:
    """Decode a message body strictly into ``schema``.

    Raises:
        Rejected: ``malformed_json`` (not JSON at all) or ``schema_violation``, with the
            JSON path of the offending field (``$.AWF_workflow_arguments[1].value``; ``$``
            for the message as a whole).
    """
    try:
        return msgspec.json.decode(body, type=schema)
    except msgspec.ValidationError as error:
        try:  # a typed decode may stop at a wrong type before the text stops being JSON
            msgspec.json.decode(body)
        except msgspec.DecodeError as invalid:
            raise Rejected(
                "malformed_json", f"the message is not JSON: {invalid}", field="$"
            ) from invalid
        text = str(error)
        found = _PATH.search(text)
        path = found.group(1) if found else "$"
        unknown = _UNKNOWN.search(text)
        if unknown:
            path = f"{path}.{unknown.group(1)}"
        raise Rejected("schema_violation", text, field=path) from error
    except msgspec.DecodeError as error:
        raise Rejected("malformed_json", f"the message is not JSON: {error}", field="$") from error
