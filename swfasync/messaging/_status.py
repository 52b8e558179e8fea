"""The document's nine run statuses, and how SWF history maps onto them.

Default mapping (each status is published at most once per run, at the first event that
maps to it):

=================================== ===================================== ====
status                              SWF history event                     code
=================================== ===================================== ====
Workflow Created                    WorkflowExecutionStarted              1
Workflow Submitted                  DecisionTaskScheduled (first)         2
Workflow Assigned                   DecisionTaskStarted (first)           3
Workflow Started                    DecisionTaskCompleted (first)         4
Workflow Completed Successfully     WorkflowExecutionCompleted            5
Workflow Completed With Errors      WorkflowExecutionFailed               6
Workflow Stop Requested             WorkflowExecutionCancelRequested      7
Workflow Canceled                   WorkflowExecutionCanceled             8
Workflow Terminated With Exception  WorkflowExecutionTerminated,          9
                                    WorkflowExecutionTimedOut
=================================== ===================================== ====

Created: SWF has the execution. Submitted: its first decision task is queued for a worker.
Assigned: a worker has taken it. Started: the workflow code has run its first step.
A run started by continue-as-new does not announce Created, Submitted, Assigned and
Started again (the job is the same); its predecessor's ContinuedAsNew maps to nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

CREATED: Final = "Workflow Created"
SUBMITTED: Final = "Workflow Submitted"
ASSIGNED: Final = "Workflow Assigned"
STARTED: Final = "Workflow Started"
COMPLETED: Final = "Workflow Completed Successfully"
COMPLETED_WITH_ERRORS: Final = "Workflow Completed With Errors"
STOP_REQUESTED: Final = "Workflow Stop Requested"
CANCELED: Final = "Workflow Canceled"
TERMINATED: Final = "Workflow Terminated With Exception"

STATUSES: Final = (
    CREATED,
    SUBMITTED,
    ASSIGNED,
    STARTED,
    COMPLETED,
    COMPLETED_WITH_ERRORS,
    STOP_REQUESTED,
    CANCELED,
    TERMINATED,
)
"""The nine statuses, in the order of their codes (1 to 9)."""

DEFAULT_EVENTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "WorkflowExecutionStarted": CREATED,
        "DecisionTaskScheduled": SUBMITTED,
        "DecisionTaskStarted": ASSIGNED,
        "DecisionTaskCompleted": STARTED,
        "WorkflowExecutionCompleted": COMPLETED,
        "WorkflowExecutionFailed": COMPLETED_WITH_ERRORS,
        "WorkflowExecutionCancelRequested": STOP_REQUESTED,
        "WorkflowExecutionCanceled": CANCELED,
        "WorkflowExecutionTerminated": TERMINATED,
        "WorkflowExecutionTimedOut": TERMINATED,
    }
)

DEFAULT_CODES: Final[Mapping[str, int]] = MappingProxyType(
    {status: code for code, status in enumerate(STATUSES, start=1)}
)

_OPENING: Final = frozenset({CREATED, SUBMITTED, ASSIGNED, STARTED})


@dataclass(frozen=True)
class StatusMapping:
    """Which SWF history events announce which status, and each status's numeric code.

    Args:
        events: SWF event type -> status. Event types left out announce nothing.
        codes: status -> the numeric ``status_code`` of its notifications (0 if absent).
        repeat_on_continue: whether a run started by continue-as-new announces the
            statuses it shares with its predecessor's opening (Created ... Started).

    Example::

        # also announce every signal, under a status of your own
        mapping = StatusMapping(
            events={**DEFAULT_EVENTS, "WorkflowExecutionSignaled": "Workflow Signaled"},
            codes={**DEFAULT_CODES, "Workflow Signaled": 10},
        )
    """

    events: Mapping[str, str] = field(default_factory=lambda: DEFAULT_EVENTS)
    codes: Mapping[str, int] = field(default_factory=lambda: DEFAULT_CODES)
    repeat_on_continue: bool = False

    def status_of(self, event_type: str, *, continued: bool) -> str | None:
        """The status an event announces (None for most events)."""
        status = self.events.get(event_type)
        if status is None:
            return None
        if continued and not self.repeat_on_continue and status in _OPENING:
            return None
        return status

    def code_of(self, status: str) -> int:
        return self.codes.get(status, 0)
