"""Workflows over messaging: SQS submissions in, SNS status notifications out.

- :class:`SqsSubmissions` turns strictly validated messages on an SQS queue into
  idempotent workflow starts; a message that can never start goes, unchanged and with its
  reason, to a dead-letter queue.
- :class:`StatusNotifier` follows the domain's histories and publishes every status change
  to an SNS topic, with the message attributes ``app_id``, ``workflow_slug`` and ``status``
  that subscription filter policies match.
- :class:`LocalMessaging` creates the queue, dead-letter queue and topic on moto's server
  (started by :class:`MotoServer`) for local runs and tests.

Import this package explicitly (``import swfasync.messaging``); ``import swfasync`` does
not load it.
"""

from __future__ import annotations

from ._consumer import ConsumerStats as ConsumerStats
from ._consumer import SqsSubmissions as SqsSubmissions
from ._errors import REASONS as REASONS
from ._errors import MessagingError as MessagingError
from ._errors import Reason as Reason
from ._errors import Rejected as Rejected
from ._ledger import Ledger as Ledger
from ._ledger import RunCursor as RunCursor
from ._ledger import SqliteLedger as SqliteLedger
from ._local import LocalMessaging as LocalMessaging
from ._local import MotoServer as MotoServer
from ._mapping import StartRequest as StartRequest
from ._mapping import SubmissionMapping as SubmissionMapping
from ._mapping import bind_by_name as bind_by_name
from ._mapping import workflow_id_for as workflow_id_for
from ._notification import Failure as Failure
from ._notification import StatusNotification as StatusNotification
from ._notification import decode_notification as decode_notification
from ._notifier import StatusNotifier as StatusNotifier
from ._schema import BooleanArgument as BooleanArgument
from ._schema import File as File
from ._schema import FileArgument as FileArgument
from ._schema import FileProperties as FileProperties
from ._schema import IntegerArgument as IntegerArgument
from ._schema import NumberArgument as NumberArgument
from ._schema import StringArgument as StringArgument
from ._schema import Submission as Submission
from ._schema import WorkflowArgument as WorkflowArgument
from ._schema import decode_message as decode_message
from ._sqs import DETAIL_ATTRIBUTE as DETAIL_ATTRIBUTE
from ._sqs import FIELD_ATTRIBUTE as FIELD_ATTRIBUTE
from ._sqs import REASON_ATTRIBUTE as REASON_ATTRIBUTE
from ._sqs import SOURCE_ATTRIBUTE as SOURCE_ATTRIBUTE
from ._status import DEFAULT_CODES as DEFAULT_CODES
from ._status import DEFAULT_EVENTS as DEFAULT_EVENTS
from ._status import STATUSES as STATUSES
from ._status import StatusMapping as StatusMapping

__all__ = (
    "DEFAULT_CODES",
    "DEFAULT_EVENTS",
    "DETAIL_ATTRIBUTE",
    "FIELD_ATTRIBUTE",
    "REASONS",
    "REASON_ATTRIBUTE",
    "SOURCE_ATTRIBUTE",
    "STATUSES",
    "BooleanArgument",
    "ConsumerStats",
    "Failure",
    "File",
    "FileArgument",
    "FileProperties",
    "IntegerArgument",
    "Ledger",
    "LocalMessaging",
    "MessagingError",
    "MotoServer",
    "NumberArgument",
    "Reason",
    "Rejected",
    "RunCursor",
    "SqliteLedger",
    "SqsSubmissions",
    "StartRequest",
    "StatusMapping",
    "StatusNotification",
    "StatusNotifier",
    "StringArgument",
    "Submission",
    "SubmissionMapping",
    "WorkflowArgument",
    "bind_by_name",
    "decode_message",
    "decode_notification",
    "workflow_id_for",
)
