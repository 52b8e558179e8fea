"""Commands: what workflow code asks SWF to do, and how history records each of them.

Every command becomes one decision. When SWF applies a decision it records a *command
event* (``TimerStarted`` for ``StartTimer``, ``ScheduleActivityTaskFailed`` if it refused ...),
written right after the ``DecisionTaskCompleted`` of that batch, in decision order. Matching
the code's commands against those events by ``(kind, id, type)`` is the non-determinism
check; it also binds each command to the event id that later result events refer to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._wire import decisions as d
from .._wire import events as e
from .._wire.common import ActivityType, WorkflowType
from .task_failures import FAILURE_MARKER, RETRY_TIMER_PREFIX

CommandKey = tuple[str, ...]


@dataclass(eq=False, slots=True)
class Command:
    """Base of every command; ``key`` is what the non-determinism check compares."""

    seq: int
    cancelled_before_sent: bool = field(default=False, init=False)
    event_id: int | None = field(default=None, init=False)  # bound when recorded

    def decision(self) -> d.Decision:
        raise NotImplementedError

    def key(self) -> CommandKey:
        raise NotImplementedError

    def describe(self) -> str:
        return describe_key(self.key())


def describe_key(key: CommandKey) -> str:
    kind, *rest = key
    labels = ("id", "type")
    return " ".join(
        [kind, *(f"{label}={value}" for label, value in zip(labels, rest, strict=False))]
    )


def _type_label(name: str, version: str) -> str:
    return f"{name}/{version}"


@dataclass(eq=False, slots=True)
class ActivityCommand(Command):
    attributes: d.ScheduleActivityTaskDecisionAttributes = field(kw_only=True)
    future: asyncio.Future[str | None] = field(kw_only=True)
    started: bool = field(default=False, init=False)
    cancel_requested: bool = field(default=False, init=False)

    def decision(self) -> d.Decision:
        return d.ScheduleActivityTask(attributes=self.attributes)

    def key(self) -> CommandKey:
        kind = self.attributes.activity_type
        return (
            "ScheduleActivityTask",
            self.attributes.activity_id,
            _type_label(kind.name, kind.version),
        )


@dataclass(eq=False, slots=True)
class CancelActivityCommand(Command):
    activity_id: str = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.RequestCancelActivityTask(
            attributes=d.RequestCancelActivityTaskDecisionAttributes(activity_id=self.activity_id)
        )

    def key(self) -> CommandKey:
        return ("RequestCancelActivityTask", self.activity_id)


@dataclass(eq=False, slots=True)
class TimerCommand(Command):
    timer_id: str = field(kw_only=True)
    timeout: str = field(kw_only=True)
    handle: asyncio.TimerHandle = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.StartTimer(
            attributes=d.StartTimerDecisionAttributes(
                timer_id=self.timer_id, start_to_fire_timeout=self.timeout
            )
        )

    def key(self) -> CommandKey:
        return ("StartTimer", self.timer_id)


@dataclass(eq=False, slots=True)
class CancelTimerCommand(Command):
    timer_id: str = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.CancelTimer(attributes=d.CancelTimerDecisionAttributes(timer_id=self.timer_id))

    def key(self) -> CommandKey:
        return ("CancelTimer", self.timer_id)


@dataclass(eq=False, slots=True)
class MarkerCommand(Command):
    name: str = field(kw_only=True)
    details: str | None = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.RecordMarker(
            attributes=d.RecordMarkerDecisionAttributes(marker_name=self.name, details=self.details)
        )

    def key(self) -> CommandKey:
        return ("RecordMarker", self.name)


@dataclass(eq=False, slots=True)
class ChildWorkflowCommand(Command):
    attributes: d.StartChildWorkflowExecutionDecisionAttributes = field(kw_only=True)
    started: asyncio.Future[str] = field(kw_only=True)
    result: asyncio.Future[str | None] = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.StartChildWorkflowExecution(attributes=self.attributes)

    def key(self) -> CommandKey:
        kind = self.attributes.workflow_type
        return (
            "StartChildWorkflowExecution",
            self.attributes.workflow_id,
            _type_label(kind.name, kind.version),
        )


@dataclass(eq=False, slots=True)
class SignalExternalCommand(Command):
    attributes: d.SignalExternalWorkflowExecutionDecisionAttributes = field(kw_only=True)
    future: asyncio.Future[None] = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.SignalExternalWorkflowExecution(attributes=self.attributes)

    def key(self) -> CommandKey:
        return (
            "SignalExternalWorkflowExecution",
            self.attributes.workflow_id,
            self.attributes.signal_name,
        )


@dataclass(eq=False, slots=True)
class CancelExternalCommand(Command):
    attributes: d.RequestCancelExternalWorkflowExecutionDecisionAttributes = field(kw_only=True)
    future: asyncio.Future[None] = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.RequestCancelExternalWorkflowExecution(attributes=self.attributes)

    def key(self) -> CommandKey:
        return ("RequestCancelExternalWorkflowExecution", self.attributes.workflow_id)


@dataclass(eq=False, slots=True)
class LambdaCommand(Command):
    attributes: d.ScheduleLambdaFunctionDecisionAttributes = field(kw_only=True)
    future: asyncio.Future[str | None] = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.ScheduleLambdaFunction(attributes=self.attributes)

    def key(self) -> CommandKey:
        return ("ScheduleLambdaFunction", self.attributes.id, self.attributes.name)


@dataclass(eq=False, slots=True)
class CloseCommand(Command):
    """One of the four decisions that close the run; always last in its batch."""

    close: d.Decision = field(kw_only=True)

    def decision(self) -> d.Decision:
        return self.close

    def key(self) -> CommandKey:
        return (type(self.close).__name__,)


def _activity_key(a: Any) -> CommandKey:
    kind: ActivityType = a.activity_type
    return ("ScheduleActivityTask", a.activity_id, _type_label(kind.name, kind.version))


def _cancel_activity_key(a: Any) -> CommandKey:
    return ("RequestCancelActivityTask", a.activity_id)


def _timer_key(a: Any) -> CommandKey | None:
    # A failed decision task's retry timer is the worker's, not the workflow's.
    if a.timer_id.startswith(RETRY_TIMER_PREFIX):
        return None
    return ("StartTimer", a.timer_id)


def _cancel_timer_key(a: Any) -> CommandKey:
    return ("CancelTimer", a.timer_id)


def _marker_key(a: Any) -> CommandKey | None:
    # A failed decision task's record is the worker's, not the workflow's.
    if a.marker_name == FAILURE_MARKER:
        return None
    return ("RecordMarker", a.marker_name)


def _child_key(a: Any) -> CommandKey:
    kind: WorkflowType = a.workflow_type
    return ("StartChildWorkflowExecution", a.workflow_id, _type_label(kind.name, kind.version))


def _signal_key(a: Any) -> CommandKey:
    return ("SignalExternalWorkflowExecution", a.workflow_id, a.signal_name)


def _cancel_external_key(a: Any) -> CommandKey:
    return ("RequestCancelExternalWorkflowExecution", a.workflow_id)


def _lambda_key(a: Any) -> CommandKey:
    return ("ScheduleLambdaFunction", a.id, a.name)


def _unless_initiated(key: Callable[[Any], CommandKey]) -> Callable[[Any], CommandKey | None]:
    """A ``*Failed`` event that names an initiated event reports on a command recorded
    earlier (a result); only one without it records the refusal of the command itself."""

    def key_if_refused(a: Any) -> CommandKey | None:
        return None if a.initiated_event_id else key(a)

    return key_if_refused


def _close_key(kind: str) -> Callable[[Any], CommandKey]:
    key: CommandKey = (kind,)
    return lambda _: key


# Each command event type and how its attributes give the key of the command it records;
# a dict rather than a chain of patterns because every event of a replay is looked up.
COMMAND_KEYS: dict[type, Callable[[Any], CommandKey | None]] = {
    e.ActivityTaskScheduled: _activity_key,
    e.ScheduleActivityTaskFailed: _activity_key,
    e.ActivityTaskCancelRequested: _cancel_activity_key,
    e.RequestCancelActivityTaskFailed: _cancel_activity_key,
    e.TimerStarted: _timer_key,
    e.StartTimerFailed: _timer_key,
    e.TimerCanceled: _cancel_timer_key,
    e.CancelTimerFailed: _cancel_timer_key,
    e.MarkerRecorded: _marker_key,
    e.RecordMarkerFailed: _marker_key,
    e.StartChildWorkflowExecutionInitiated: _child_key,
    e.StartChildWorkflowExecutionFailed: _unless_initiated(_child_key),
    e.SignalExternalWorkflowExecutionInitiated: _signal_key,
    # The failure does not record the signal's name: "?" matches any.
    e.SignalExternalWorkflowExecutionFailed: _unless_initiated(
        lambda a: ("SignalExternalWorkflowExecution", a.workflow_id, "?")
    ),
    e.RequestCancelExternalWorkflowExecutionInitiated: _cancel_external_key,
    e.RequestCancelExternalWorkflowExecutionFailed: _unless_initiated(_cancel_external_key),
    e.LambdaFunctionScheduled: _lambda_key,
    e.ScheduleLambdaFunctionFailed: _lambda_key,
    e.WorkflowExecutionCompleted: _close_key("CompleteWorkflowExecution"),
    e.CompleteWorkflowExecutionFailed: _close_key("CompleteWorkflowExecution"),
    e.WorkflowExecutionFailed: _close_key("FailWorkflowExecution"),
    e.FailWorkflowExecutionFailed: _close_key("FailWorkflowExecution"),
    e.WorkflowExecutionCanceled: _close_key("CancelWorkflowExecution"),
    e.CancelWorkflowExecutionFailed: _close_key("CancelWorkflowExecution"),
    e.WorkflowExecutionContinuedAsNew: _close_key("ContinueAsNewWorkflowExecution"),
    e.ContinueAsNewWorkflowExecutionFailed: _close_key("ContinueAsNewWorkflowExecution"),
}


def keys_match(command: CommandKey, recorded: CommandKey) -> bool:
    """Kinds, ids and types agree ("?" stands for what an event does not record)."""
    if command == recorded:
        return True
    if len(command) != len(recorded):
        return False
    return all(c == r or r == "?" for c, r in zip(command, recorded, strict=True))


def activity_type(name: str, version: str) -> ActivityType:
    return ActivityType(name=name, version=version)
