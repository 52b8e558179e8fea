"""A live workflow run: history events in, decisions out.

``WorkflowInstance.process(events)`` consumes history in event order. Each
``DecisionTaskStarted`` that SWF completed (a ``DecisionTaskCompleted`` names it) or that
is the task being answered now is an *activation*: the loop runs the workflow code until
nothing is ready, and the commands it issued are kept as unrecorded. The command events
that follow that task's ``DecisionTaskCompleted`` are matched against them one by one
(the non-determinism check). Events recorded between a ``DecisionTaskStarted`` and its
``DecisionTaskCompleted`` were never seen by that decision, so they are simply delivered
with the next activation: delivery only resolves futures, code runs only at activations.
A decision task answered with a failure record (see :mod:`.task_failures`) counts as never
completed, like one that timed out: its marker and retry timer are matched against
nothing, and its events go to the next activation.

The same path serves a full replay and an incremental one (a cached instance fed only the
events after its last activation), which is what keeps both producing identical decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import random as _random
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._log import get_logger
from .._wire import decisions as d
from .._wire import events as e
from .._wire.codec import AnyEvent, UnknownEvent, timestamp_to_datetime
from ..exceptions import (
    ApplicationError,
    FailureError,
    HistoryError,
    NondeterminismError,
    SwfAsyncError,
    SwfValidationError,
    TimerError,
)
from . import converter, results, sandbox, task_failures
from .commands import (
    COMMAND_KEYS,
    CancelTimerCommand,
    CloseCommand,
    Command,
    CommandKey,
    TimerCommand,
    describe_key,
    keys_match,
)
from .definitions import WorkflowDefinition, swf_duration
from .failures import encode_failure
from .loop import WorkflowEventLoop
from .task_failures import FAILURE_MARKER, DecisionFailure

log = get_logger("swfasync.engine")


class ContinueAsNewError(BaseException):
    """Raised by ``workflow.continue_as_new``; a BaseException so user code cannot catch it."""

    def __init__(self, attributes: d.ContinueAsNewWorkflowExecutionDecisionAttributes) -> None:
        super().__init__("continue as new")
        self.attributes = attributes


class WorkflowTaskError(SwfAsyncError):
    """The activation failed (a bug or a non-determinism): fail the decision task only."""


@dataclass(frozen=True)
class WorkflowInfo:
    """What a workflow knows about its own execution (``workflow.info()``)."""

    domain: str
    workflow_id: str
    run_id: str
    workflow_type: str
    workflow_version: str
    task_list: str
    start_time: datetime
    execution_start_to_close_timeout: str | None
    task_start_to_close_timeout: str | None
    child_policy: str
    tag_list: tuple[str, ...]
    task_priority: str | None
    lambda_role: str | None
    parent_workflow_id: str | None
    parent_run_id: str | None
    continued_execution_run_id: str | None


@dataclass(frozen=True)
class ActivationResult:
    """The answer to one decision task.

    ``failure`` is set when the answer records a failed activation (a failure marker and
    its retry timer, see :mod:`.task_failures`) rather than the workflow's decisions.
    """

    decisions: list[d.Decision]
    execution_context: str | None
    failure: DecisionFailure | None = None


class _ThisThread(threading.local):
    """The instance whose workflow code runs on this thread, if any.

    Workflow APIs find their instance here rather than through asyncio's running loop:
    asyncio's lookup makes a ``getpid()`` system call every time, and a replay looks its
    instance up for every activity it runs again.
    """

    instance: WorkflowInstance | None = None


_this_thread = _ThisThread()


def running_instance() -> WorkflowInstance | None:
    """The instance whose workflow code this thread is running, or None."""
    return _this_thread.instance


@contextlib.contextmanager
def _running(instance: WorkflowInstance) -> Iterator[None]:
    """Run workflow code of ``instance`` in the block: its loop is asyncio's running loop."""
    previous_loop = asyncio._get_running_loop()
    previous_instance = _this_thread.instance
    # The guards stay in place from one activation of the block to the next.
    sandbox.hold()
    asyncio._set_running_loop(instance.loop)
    _this_thread.instance = instance
    try:
        yield
    finally:
        _this_thread.instance = previous_instance
        asyncio._set_running_loop(previous_loop)
        sandbox.release()


class WorkflowInstance:
    """One run of one workflow, advanced by history events."""

    def __init__(
        self,
        definition: WorkflowDefinition,
        *,
        workflow_id: str,
        run_id: str,
        domain: str = "",
        failure_exception_types: tuple[type[BaseException], ...] = (),
        payload_converter: converter.JsonPayloadConverter = converter.DEFAULT,
    ) -> None:
        self.definition = definition
        # Values to JSON text and back for this run's workflow code (codecs, if any, are
        # applied by the worker around each activation).
        self.converter = payload_converter
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.domain = domain
        # Raised by workflow code, these fail the execution like an ApplicationError
        # instead of only the decision task (the worker's workflow_failure_exception_types).
        self._fails_execution: tuple[type[BaseException], ...] = (
            ApplicationError,
            FailureError,
            SwfValidationError,
            *failure_exception_types,
        )
        # The I/O methods mypy calls abstract are attached to the class as refusals.
        self.loop = WorkflowEventLoop(self)  # type: ignore[abstract]
        self.info: WorkflowInfo | None = None
        self.replaying = False
        self.closed = False
        self._now = 0.0
        self._object: Any = None
        self._args: list[Any] = []
        self._main: asyncio.Task[Any] | None = None
        self._main_scheduled = False
        self._cancel_requested = False
        self._handler_tasks: list[asyncio.Task[Any]] = []
        self._buffered_signals: dict[str, list[str | None]] = {}
        self._signal_handlers: dict[str, Callable[..., Any]] = {}
        self._handler_types: dict[Callable[..., Any], list[Any]] = {}
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[bool]]] = []
        self._sequences: dict[str, int] = {}
        self._pending: list[Command] = []  # issued in the current activation
        self._unrecorded: deque[Command] = deque()  # sent, not yet seen in history
        self._after_completed_task = False  # between a DecisionTaskCompleted and its events
        self._close: CloseCommand | None = None
        self._timers_by_handle: dict[asyncio.TimerHandle, TimerCommand] = {}
        self._timers_by_id: dict[str, TimerCommand] = {}
        self._by_event_id: dict[int, Command] = {}
        self._batch: tuple[Sequence[AnyEvent], int] | None = None
        self._recorded_markers: dict[str, deque[e.MarkerRecorded]] | None = None
        self._patches: dict[str, bool] = {}
        self.last_started_event_id = 0

    # Both made on first use: most runs never draw a random number nor log, and a worker
    # creates an instance for every run it decides.

    @functools.cached_property
    def random(self) -> _random.Random:
        """The run's generator, seeded from its run id: the same on every replay."""
        seed = int.from_bytes(hashlib.sha256(self.run_id.encode()).digest()[:8])
        return _random.Random(seed)

    @functools.cached_property
    def log(self) -> Any:
        return log.bind(
            workflow_id=self.workflow_id, run_id=self.run_id, workflow_type=self.definition.name
        )

    # -- the loop's owner protocol -------------------------------------------------------

    def workflow_time(self) -> float:
        return self._now

    def schedule_timer(self, handle: asyncio.TimerHandle, delay: float) -> None:
        # Checked before the timer takes a sequence number: a refused timer is not issued.
        timeout = swf_duration(delay, "timer start_to_fire_timeout") or "0"
        command = TimerCommand(
            self.next_seq("timer"),
            timer_id=f"t{self._sequences['timer']}",
            timeout=timeout,
            handle=handle,
        )
        self._timers_by_handle[handle] = command
        self._timers_by_id[command.timer_id] = command
        self.issue(command)

    def cancel_timer(self, handle: asyncio.TimerHandle) -> None:
        command = self._timers_by_handle.pop(handle, None)
        if command is None:
            return
        self._timers_by_id.pop(command.timer_id, None)
        if not self.withdraw(command):
            self.issue(CancelTimerCommand(self.next_seq("cancel-timer"), timer_id=command.timer_id))

    def report_loop_error(self, context: dict[str, Any]) -> None:
        # Reached from garbage collection too ("exception was never retrieved"), whose
        # timing differs between runs: it may be logged, never allowed to change decisions.
        if context.get("message") == "Task was destroyed but it is pending!":
            return  # an evicted or finished instance with tasks still waiting: expected
        if not self.replaying:
            # May run at any garbage collection, even at interpreter shutdown.
            with contextlib.suppress(Exception), sandbox.unrestricted():
                self.log.warning("workflow_loop_error", message=context.get("message"))

    # -- used by the workflow API ---------------------------------------------------------

    def next_seq(self, kind: str) -> int:
        value = self._sequences.get(kind, 0) + 1
        self._sequences[kind] = value
        return value

    def issue(self, command: Command) -> None:
        if self.closed:
            raise WorkflowTaskError(f"the workflow is closed; cannot {command.describe()}")
        self._pending.append(command)

    def withdraw(self, command: Command) -> bool:
        """Drop a command not sent yet (it never reaches SWF); False if already sent."""
        if command in self._pending:
            self._pending.remove(command)
            command.cancelled_before_sent = True
            return True
        return False

    def now(self) -> datetime:
        return timestamp_to_datetime(self._now)

    def wait_condition(self, predicate: Callable[[], bool]) -> asyncio.Future[bool]:
        future: asyncio.Future[bool] = self.loop.create_future()
        self._conditions.append((predicate, future))
        return future

    def set_signal_handler(self, name: str, handler: Callable[..., Any] | None) -> None:
        if handler is None:
            self._signal_handlers.pop(name, None)
            return
        self._signal_handlers[name] = handler
        for payload in self._buffered_signals.pop(name, []):
            self._dispatch_signal(name, handler, payload, now=True)

    def next_recorded_marker(self, name: str) -> e.MarkerRecorded | None:
        """During replay, the next marker named ``name`` that this activation recorded."""
        queue = self._markers_of_batch().get(name)
        return queue.popleft() if queue else None

    def recorded_marker_ahead(self, name: str, details: str) -> bool:
        """True if this activation's recorded commands hold a marker ``name``/``details``."""
        return any(m.attributes.details == details for m in self._markers_of_batch().get(name, ()))

    def _markers_of_batch(self) -> dict[str, deque[e.MarkerRecorded]]:
        # Collected on first use: few workflows record markers, every replay activates.
        if self._recorded_markers is None:
            self._recorded_markers = {}
            if self._batch is not None:
                events, completed_at = self._batch
                for marker in _recorded_markers(events, completed_at):
                    name = marker.attributes.marker_name
                    self._recorded_markers.setdefault(name, deque()).append(marker)
        return self._recorded_markers

    def patched(self, patch_id: str) -> bool:
        return self._patches.get(patch_id, False)

    def remember_patch(self, patch_id: str, value: bool) -> None:
        self._patches[patch_id] = value

    def command_for_event(self, event_id: int) -> Command | None:
        return self._by_event_id.get(event_id)

    # -- processing history ---------------------------------------------------------------

    def process(self, events: Sequence[AnyEvent]) -> ActivationResult | None:
        """Apply events in order; return the decisions of the live activation, if any."""
        # The loop is made the running one once for all the activations of the events, not
        # for each: asyncio's setter makes a getpid() system call every time.
        with _running(self):
            try:
                return self._apply(events)
            except Exception as error:
                stacks = self.task_stacks()
                if stacks:
                    error.add_note(stacks)
                raise

    def task_stacks(self) -> str:
        """Where each unfinished task of the workflow waits (its own frames), as text.

        Noted on an error that escapes ``process`` (a non-determinism is found between
        activations, while the workflow's code waits): the note says where the code was.
        """
        lines: list[str] = []
        tasks = [self._main, *self._handler_tasks] if self._main is not None else []
        for task in tasks:
            if task is None or task.done():
                continue
            frames = task_failures.workflow_frames(
                [(frame, frame.f_lineno) for frame in task.get_stack()]
            )
            if frames:
                lines.append(f"{task_failures.STACK_NOTE} {task.get_name()} waits at:")
                lines.extend(line.rstrip("\n") for line in frames.format())
        return "\n".join(lines)

    def _apply(self, events: Sequence[AnyEvent]) -> ActivationResult | None:
        # Events are routed by their exact type below, which mypy cannot narrow on; each
        # handler they reach is typed for its own event class.
        history: Sequence[Any] = events
        completed_tasks: dict[int, int] = {}
        timed_out_tasks: set[int] = set()
        failed_completions: set[int] = set()
        for index, event in enumerate(history):
            kind = type(event)
            if kind is e.DecisionTaskCompleted:
                completed_tasks[event.attributes.started_event_id] = index
            elif kind is e.DecisionTaskTimedOut:
                timed_out_tasks.add(event.attributes.started_event_id)
            elif kind is e.MarkerRecorded and event.attributes.marker_name == FAILURE_MARKER:
                failed_completions.add(event.attributes.decision_task_completed_event_id)
        if failed_completions:
            # A decision task answered with a failure marker was never decided: like a
            # timed-out one, its events go to the next activation (see task_failures).
            for started_id, index in list(completed_tasks.items()):
                if history[index].event_id in failed_completions:
                    del completed_tasks[started_id]
                    timed_out_tasks.add(started_id)
        result: ActivationResult | None = None
        last: Any = history[-1] if history else None
        # One dictionary lookup routes each event: replays pass every event through here.
        key_of_command = COMMAND_KEYS.get
        command_effect_of = results.COMMAND_EVENT_EFFECTS.get
        delivery_of = _DELIVERIES.get
        for event in history:
            kind = type(event)
            key_of = key_of_command(kind)
            if key_of is not None and (key := key_of(event.attributes)) is not None:
                self._match(event, key)
                effect = command_effect_of(kind)
                if effect is not None:
                    effect(self, event)
                continue
            if kind is e.DecisionTaskStarted:
                event_id = event.event_id
                if event_id in completed_tasks:
                    self._end_of_command_events(event_id)
                    self._activate(event, batch=(events, completed_tasks[event_id]))
                elif event_id not in timed_out_tasks and event is last:
                    self._end_of_command_events(event_id)
                    result = self._activate(event, batch=None)
                continue
            if kind is e.DecisionTaskCompleted:
                if failed_completions and event.event_id in failed_completions:
                    continue
                self._end_of_command_events(event.event_id)
                self._after_completed_task = True
                continue
            deliver = delivery_of(kind)
            if deliver is not None:
                deliver(self, event)
            elif kind is UnknownEvent:
                self.log.warning("unknown_event_ignored", event_type=event.event_type)
        self._end_of_command_events(None)
        return result

    def _match(self, event: AnyEvent, recorded: CommandKey) -> None:
        if not self._unrecorded:
            raise NondeterminismError(event.event_id, describe_key(recorded), "nothing")
        command = self._unrecorded.popleft()
        if not keys_match(command.key(), recorded):
            raise NondeterminismError(event.event_id, describe_key(recorded), command.describe())
        command.event_id = event.event_id
        self._by_event_id[event.event_id] = command

    def _end_of_command_events(self, event_id: int | None) -> None:
        """Every command of a completed batch must have been recorded by now."""
        if self._after_completed_task and self._unrecorded:
            extra = self._unrecorded[0]
            raise NondeterminismError(event_id, "no further command", extra.describe())
        self._after_completed_task = False

    def _on_signal(self, event: e.WorkflowExecutionSignaled) -> None:
        attrs = event.attributes
        handler = self._signal_handlers.get(attrs.signal_name)
        if handler is None:
            self._buffered_signals.setdefault(attrs.signal_name, []).append(attrs.input)
        else:
            self._dispatch_signal(attrs.signal_name, handler, attrs.input)

    def _on_cancel_requested(self, event: e.WorkflowExecutionCancelRequested) -> None:
        self._cancel_requested = True
        if self._main is not None and not self._main.done():
            self._main.cancel()

    def _on_timer_fired(self, event: e.TimerFired) -> None:
        command = self._timers_by_id.pop(event.attributes.timer_id, None)
        if command is not None:
            self._timers_by_handle.pop(command.handle, None)
            self.loop.fire_timer(command.handle)

    def timer_refused(self, timer_id: str, cause: str, event_id: int) -> None:
        command = self._timers_by_id.pop(timer_id, None)
        if command is None:
            return
        self._timers_by_handle.pop(command.handle, None)
        error = TimerError(
            f"SWF refused to start timer {timer_id}: {cause}", cause=cause, event_id=event_id
        )
        target = command.handle._args[0] if command.handle._args else None
        if isinstance(target, asyncio.Future) and not target.done():
            target.set_exception(error)
        else:
            raise WorkflowTaskError(str(error)) from error

    def close_refused(self) -> None:
        """A close decision failed (e.g. UNHANDLED_DECISION): decide it again next time."""
        self._close = None

    def mark_closed(self) -> None:
        self.closed = True

    def _start(self, event: e.WorkflowExecutionStarted) -> None:
        timestamp, attrs = event.event_timestamp, event.attributes
        parent = attrs.parent_workflow_execution
        self.info = WorkflowInfo(
            domain=self.domain,
            workflow_id=self.workflow_id,
            run_id=self.run_id,
            workflow_type=attrs.workflow_type.name,
            workflow_version=attrs.workflow_type.version,
            task_list=attrs.task_list.name,
            start_time=timestamp_to_datetime(timestamp),
            execution_start_to_close_timeout=attrs.execution_start_to_close_timeout,
            task_start_to_close_timeout=attrs.task_start_to_close_timeout,
            child_policy=attrs.child_policy,
            tag_list=tuple(attrs.tag_list or ()),
            task_priority=attrs.task_priority,
            lambda_role=attrs.lambda_role,
            parent_workflow_id=parent.workflow_id if parent else None,
            parent_run_id=parent.run_id if parent else None,
            continued_execution_run_id=attrs.continued_execution_run_id,
        )
        self._now = timestamp
        self._args = self.converter.decode_args(attrs.input, self.definition.param_types)
        with sandbox.restrictions():  # inside process(): the loop is the running one
            self._object = self.definition.cls()
        for name, method in self.definition.signals.items():
            self.set_signal_handler(name, getattr(self._object, method))

    def _dispatch_signal(
        self, name: str, handler: Callable[..., Any], payload: str | None, now: bool = False
    ) -> None:
        types = self._handler_types.get(handler)
        if types is None:  # inspecting annotations costs more than running most handlers
            types = self._handler_types[handler] = converter.parameter_types(handler)
        args = self.converter.decode_args(payload, types, field=f"signal {name} input")

        async def run_handler() -> None:
            outcome = handler(*args)
            if asyncio.iscoroutine(outcome):
                await outcome

        def start_handler() -> None:
            # Created only when the loop runs, so a signal that arrives after the run closed
            # leaves no never-awaited coroutine behind.
            self._handler_tasks.append(self.loop.create_task(run_handler(), name=f"signal:{name}"))

        if now:  # called from running workflow code: the loop will run the task
            start_handler()
        else:
            self.loop.call_soon(start_handler)

    # -- activations ----------------------------------------------------------------------

    def _activate(
        self, started: e.DecisionTaskStarted, batch: tuple[Sequence[AnyEvent], int] | None
    ) -> ActivationResult | None:
        """Run the code for one decision task; its answer, unless it is a replayed one.

        ``batch`` is the history and the index of this task's ``DecisionTaskCompleted``
        when history already holds the answer (a replayed activation), None for the live
        task.
        """
        if self.info is None:
            raise HistoryError("a decision task started before WorkflowExecutionStarted")
        self._now = started.event_timestamp
        self.last_started_event_id = started.event_id
        self.replaying = batch is not None
        self._batch = batch
        self._recorded_markers = None
        if self._main is None and not self.closed and not self._main_scheduled:
            # Queued behind the signals delivered with the first batch, so their handlers
            # run before the workflow's body.
            self._main_scheduled = True
            self.loop.call_soon(self._start_main)
        # sandbox.restrictions(), spelled out: this runs once per decision task of every
        # replay. process() has made the loop the running one.
        restricted_before = sandbox.enter_restricted()
        try:
            self._run_until_stable()
        finally:
            sandbox.leave_restricted(restricted_before)
        self._decide_close()
        pending = self._pending
        self._pending = []
        commands = [c for c in pending if not c.cancelled_before_sent]
        self._unrecorded.extend(commands)
        if batch is not None:
            return None  # history holds this activation's answer already
        return ActivationResult(
            decisions=[c.decision() for c in commands],
            execution_context=self._published_state(),
        )

    def _start_main(self) -> None:
        run = getattr(self._object, self.definition.run_method)
        self._main = self.loop.create_task(run(*self._args), name="workflow-main")
        if self._cancel_requested:
            self._main.cancel()

    def _run_until_stable(self) -> None:
        while True:
            self.loop.run_until_idle()
            if not self._conditions:
                return
            progressed = False
            for predicate, future in list(self._conditions):
                if future.done():
                    self._conditions.remove((predicate, future))
                elif predicate():
                    future.set_result(True)
                    self._conditions.remove((predicate, future))
                    progressed = True
            if not progressed and not self.loop.has_ready:
                return

    def _decide_close(self) -> None:
        if self.closed or self._close is not None:
            return
        # A handler that finished without an error can never close the run: forgetting it
        # keeps this check from growing with every signal the run ever received.
        self._handler_tasks = [
            task
            for task in self._handler_tasks
            if not task.done() or (not task.cancelled() and task.exception() is not None)
        ]
        for task in self._handler_tasks:
            if task.done():
                self._close_with_failure(task.exception())  # type: ignore[arg-type]
                return
        main = self._main
        if main is None or not main.done():
            return
        if main.cancelled():
            if not self._cancel_requested:
                raise WorkflowTaskError("the workflow's main task was cancelled without a request")
            self._set_close(
                d.CancelWorkflowExecution(attributes=d.CancelWorkflowExecutionDecisionAttributes())
            )
            return
        error = main.exception()
        if error is None:
            result = main.result()
            try:
                text = None if result is None else self.converter.encode(result, "result")
            except SwfValidationError as refused:
                self._close_with_failure(refused)  # a result SWF refuses fails the run
                return
            self._set_close(
                d.CompleteWorkflowExecution(
                    attributes=d.CompleteWorkflowExecutionDecisionAttributes(result=text)
                )
            )
            return
        self._close_with_failure(error)

    def _close_with_failure(self, error: BaseException) -> None:
        if isinstance(error, ContinueAsNewError):
            self._set_close(d.ContinueAsNewWorkflowExecution(attributes=error.attributes))
        elif isinstance(error, asyncio.CancelledError) and self._cancel_requested:
            self._set_close(
                d.CancelWorkflowExecution(attributes=d.CancelWorkflowExecutionDecisionAttributes())
            )
        elif isinstance(error, self._fails_execution):
            reason, details = encode_failure(error, self.converter.enc_hook)
            self._set_close(
                d.FailWorkflowExecution(
                    attributes=d.FailWorkflowExecutionDecisionAttributes(
                        reason=reason, details=details
                    )
                )
            )
        else:
            # The worker records and logs the failure (see task_failures).
            raise WorkflowTaskError(
                f"workflow {self.workflow_id} raised {error!r}; only its decision task fails"
            ) from error

    def _set_close(self, decision: d.Decision) -> None:
        self._close = CloseCommand(self.next_seq("close"), close=decision)
        self._pending.append(self._close)

    def _published_state(self) -> str | None:
        method = self.definition.state_method
        if method is None or self._object is None:
            return None
        with sandbox.restrictions():  # inside process(): the loop is the running one
            value = getattr(self._object, method)()
        return self.converter.encode(value, "execution_context")


def _recorded_markers(events: Sequence[AnyEvent], completed_at: int) -> list[e.MarkerRecorded]:
    """The markers a completed decision task recorded: the batch's command events follow
    its ``DecisionTaskCompleted``, and the next decision task starts after all of them."""
    completed_id = events[completed_at].event_id
    found: list[e.MarkerRecorded] = []
    for index in range(completed_at + 1, len(events)):
        event = events[index]
        if isinstance(event, e.DecisionTaskStarted):
            break
        if (
            isinstance(event, e.MarkerRecorded)
            and event.attributes.decision_task_completed_event_id == completed_id
        ):
            found.append(event)
    return found


# What delivering each kind of non-command event does; absent kinds change nothing.
_DELIVERIES: dict[type, Callable[[WorkflowInstance, Any], None]] = {
    e.WorkflowExecutionStarted: WorkflowInstance._start,
    e.WorkflowExecutionSignaled: WorkflowInstance._on_signal,
    e.WorkflowExecutionCancelRequested: WorkflowInstance._on_cancel_requested,
    e.TimerFired: WorkflowInstance._on_timer_fired,
    **results.RESULT_EFFECTS,
}
