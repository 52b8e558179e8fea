"""The messaging part's errors and the reasons a message is refused.

A refused message is a *poison* message: processing it again cannot succeed, so it goes
to the dead-letter queue, unchanged, with its reason in message attributes. Everything
else that goes wrong (SWF throttled or unreachable, a bug) leaves the message in its queue
for redelivery, which the queue's RedrivePolicy caps.
"""

from __future__ import annotations

from typing import Final, Literal

from ..exceptions import SwfAsyncError

Reason = Literal[
    "malformed_json",
    "schema_violation",
    "unknown_workflow",
    "invalid_arguments",
    "id_conflict",
    "payload_too_large",
    "invalid_request",
    "mapping_error",
]

REASONS: Final[tuple[Reason, ...]] = (
    "malformed_json",
    "schema_violation",
    "unknown_workflow",
    "invalid_arguments",
    "id_conflict",
    "payload_too_large",
    "invalid_request",
    "mapping_error",
)
"""Every dead-letter reason, in the order the README documents them."""


class MessagingError(SwfAsyncError):
    """Root of the errors of ``swfasync.messaging``."""


class Rejected(MessagingError):
    """A message that can never start a workflow (it goes to the dead-letter queue).

    Attributes:
        reason: one of :data:`REASONS`.
        field: where in the message, as a JSON path, when one field is to blame.
    """

    def __init__(self, reason: Reason, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.field = field
