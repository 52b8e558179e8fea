"""Commands: what workflow code asks SWF to do, and how history records each of them.

Every command becomes one decision. When SWF applies a decision it records a *command
event* (``TimerStarted`` for ``StartTimer``, ``ScheduleActivityTaskFailed`` if it refused ...),
written right after the ``DecisionTaskCompleted`` of that batch, in decision order. Matching
the code's commands against those events by ``(kind, id, type)`` is the non-determinism
check; it also binds each command to the event id that later result events refer to.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .._wire import decisions as d
from .._wire import events as e
from .._wire.codec import AnyEvent
from .._wire.common import ActivityType, TaskList, WorkflowType

CommandKey = tuple[str, ...]


@dataclass(eq=False)
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


@dataclass(eq=False)
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


@dataclass(eq=False)
class CancelActivityCommand(Command):
    activity_id: str = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.RequestCancelActivityTask(
            attributes=d.RequestCancelActivityTaskDecisionAttributes(activity_id=self.activity_id)
        )

    def key(self) -> CommandKey:
        return ("RequestCancelActivityTask", self.activity_id)


@dataclass(eq=False)
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


@dataclass(eq=False)
class CancelTimerCommand(Command):
    timer_id: str = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.CancelTimer(attributes=d.CancelTimerDecisionAttributes(timer_id=self.timer_id))

    def key(self) -> CommandKey:
        return ("CancelTimer", self.timer_id)


@dataclass(eq=False)
class MarkerCommand(Command):
    name: str = field(kw_only=True)
    details: str | None = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.RecordMarker(
            attributes=d.RecordMarkerDecisionAttributes(marker_name=self.name, details=self.details)
        )

    def key(self) -> CommandKey:
        return ("RecordMarker", self.name)


@dataclass(eq=False)
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


@dataclass(eq=False)
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


@dataclass(eq=False)
class CancelExternalCommand(Command):
    attributes: d.RequestCancelExternalWorkflowExecutionDecisionAttributes = field(kw_only=True)
    future: asyncio.Future[None] = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.RequestCancelExternalWorkflowExecution(attributes=self.attributes)

    def key(self) -> CommandKey:
        return ("RequestCancelExternalWorkflowExecution", self.attributes.workflow_id)


@dataclass(eq=False)
class LambdaCommand(Command):
    attributes: d.ScheduleLambdaFunctionDecisionAttributes = field(kw_only=True)
    future: asyncio.Future[str | None] = field(kw_only=True)

    def decision(self) -> d.Decision:
        return d.ScheduleLambdaFunction(attributes=self.attributes)

    def key(self) -> CommandKey:
        return ("ScheduleLambdaFunction", self.attributes.id, self.attributes.name)


@dataclass(eq=False)
class CloseCommand(Command):
    """One of the four decisions that close the run; always last in its batch."""

    close: d.Decision = field(kw_only=True)

    def decision(self) -> d.Decision:
        return self.close

    def key(self) -> CommandKey:
        return (type(self.close).__name__,)


def command_event_key(event: AnyEvent) -> CommandKey | None:
    """The key of the command that a command event records, or None for other events."""
    match event:
        case e.ActivityTaskScheduled(attributes=a) | e.ScheduleActivityTaskFailed(attributes=a):
            kind: ActivityType = a.activity_type
            return ("ScheduleActivityTask", a.activity_id, _type_label(kind.name, kind.version))
        case (
            e.ActivityTaskCancelRequested(attributes=a)
            | e.RequestCancelActivityTaskFailed(attributes=a)
        ):
            return ("RequestCancelActivityTask", a.activity_id)
        case e.TimerStarted(attributes=a) | e.StartTimerFailed(attributes=a):
            return ("StartTimer", a.timer_id)
        case e.TimerCanceled(attributes=a) | e.CancelTimerFailed(attributes=a):
            return ("CancelTimer", a.timer_id)
        case e.MarkerRecorded(attributes=a) | e.RecordMarkerFailed(attributes=a):
            return ("RecordMarker", a.marker_name)
        case e.StartChildWorkflowExecutionInitiated(attributes=a):
            wf: WorkflowType = a.workflow_type
            return ("StartChildWorkflowExecution", a.workflow_id, _type_label(wf.name, wf.version))
        case e.StartChildWorkflowExecutionFailed(attributes=a) if not a.initiated_event_id:
            wf = a.workflow_type
            return ("StartChildWorkflowExecution", a.workflow_id, _type_label(wf.name, wf.version))
        case e.SignalExternalWorkflowExecutionInitiated(attributes=a):
            return ("SignalExternalWorkflowExecution", a.workflow_id, a.signal_name)
        case e.SignalExternalWorkflowExecutionFailed(attributes=a) if not a.initiated_event_id:
            return ("SignalExternalWorkflowExecution", a.workflow_id, "?")
        case e.RequestCancelExternalWorkflowExecutionInitiated(attributes=a):
            return ("RequestCancelExternalWorkflowExecution", a.workflow_id)
        case e.RequestCancelExternalWorkflowExecutionFailed(attributes=a) if (
            not a.initiated_event_id
        ):
            return ("RequestCancelExternalWorkflowExecution", a.workflow_id)
        case e.LambdaFunctionScheduled(attributes=a) | e.ScheduleLambdaFunctionFailed(attributes=a):
            return ("ScheduleLambdaFunction", a.id, a.name)
        case e.WorkflowExecutionCompleted() | e.CompleteWorkflowExecutionFailed():
            return ("CompleteWorkflowExecution",)
        case e.WorkflowExecutionFailed() | e.FailWorkflowExecutionFailed():
            return ("FailWorkflowExecution",)
        case e.WorkflowExecutionCanceled() | e.CancelWorkflowExecutionFailed():
            return ("CancelWorkflowExecution",)
        case e.WorkflowExecutionContinuedAsNew() | e.ContinueAsNewWorkflowExecutionFailed():
            return ("ContinueAsNewWorkflowExecution",)
    return None


def keys_match(command: CommandKey, recorded: CommandKey) -> bool:
    """Kinds, ids and types agree ("?" stands for what an event does not record)."""
    if len(command) != len(recorded):
        return False
    return all(c == r or r == "?" for c, r in zip(command, recorded, strict=True))


def activity_type(name: str, version: str) -> ActivityType:
    return ActivityType(name=name, version=version)


def task_list(name: str | None) -> TaskList | None:
    return TaskList(name=name) if name else None
