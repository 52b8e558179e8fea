"""Guards that turn non-replayable operations inside workflow code into clear errors.

Nothing is put in place when swfasync is imported. While workflow code runs (an activation
on one of the worker's threads, a replay, a simulated decision), the functions below are
replaced by guards in their modules, and put back as soon as no workflow code runs
anywhere in the process; a thread running workflow code is flagged for that time. Only a
flagged thread is refused anything: the host application's threads, and its event loop,
calling the same functions while a guard is in place get the original's result.

While the flag is set, a process-wide audit hook rejects sockets, subprocesses and file
opens (imports are let through), and these refuse to run:

- every clock of ``time``: ``time``, ``monotonic``, ``perf_counter``, ``process_time``,
  ``thread_time``, ``clock_gettime`` (each also as ``*_ns``), and ``localtime``,
  ``gmtime``, ``ctime``, ``asctime`` and ``strftime`` when they are given no time to
  format (they read the clock then); ``datetime.date.today`` reaches ``time.time``;
- the functions of ``random`` (``random.random``, ``randint``, ``choice`` ...), which use a
  hidden generator seeded differently in every process, and ``random.Random()`` without a
  seed; ``random.Random(seed)`` is left alone, so the run's own seeded generator works;
- the operating system's entropy source: ``os.urandom``, ``os.getrandom`` and what draws
  from it, ``random.SystemRandom`` and ``secrets``;
- ``uuid.uuid1`` (the clock) and ``uuid.uuid4`` (the entropy source);
- ``threading.Thread.start``.

The audit hook is added the first time workflow code runs and stays (Python cannot remove
one); outside workflow code it returns after one thread-local read. A garbage collection
lifts the flag while it runs: the finalizers it calls belong to whatever objects died,
often the host's or the worker's own, and they and the collector's other callbacks may
read the clock. The collector's callbacks that do this are in ``gc.callbacks`` only while
the guards are.

Not covered here: names bound to these functions outside workflow code (``from time
import monotonic`` in any module) and ``datetime.now()`` / ``utcnow()``, whose C
implementation reads the clock without any hook. The definition-time check
(:mod:`.static_guards`) rejects both where the workflow's own code names them; in
functions of other modules that the workflow calls, neither is caught. Nothing catches C
extensions that read the clock or the entropy source themselves, nor inputs that differ
between processes without being a clock (environment variables, ``os.getpid()``, the
iteration order of sets of strings under hash randomization).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from types import FrameType, ModuleType
from typing import Any

from ..exceptions import RestrictedOperationError


class _ThreadState(threading.local):
    # Class attributes are every thread's defaults: one read, no getattr.
    active = False  # workflow code runs on this thread
    holds = 0  # this thread's holds on the guards being in place (see hold())
    collecting = False  # a garbage collection lifted `active` on this thread
    before_collection = False  # `active` when that collection began


_state = _ThreadState()
# Guards the installation: how many threads hold it, and putting it in place or back.
_install_lock = threading.Lock()
_holders = 0
_audit_hook_added = False
_callbacks_lock = threading.Lock()


class _Patch:
    """One attribute of one module or class, its original value and its guard."""

    __slots__ = ("guard", "name", "namespace", "original", "owner")

    def __init__(self, owner: object, name: str, original: object, guard: object) -> None:
        self.owner = owner
        self.name = name
        self.original = original
        self.guard = guard
        # A module's attributes are its dict: writing it directly costs half a setattr,
        # and the guards are put in place and back around every batch of activations.
        # A class's must go through setattr, which keeps its method cache true.
        self.namespace: dict[str, Any] | None = (
            vars(owner) if isinstance(owner, ModuleType) else None
        )

    def swap(self, current: object, replacement: object) -> None:
        """Put ``replacement`` in place if ``current`` is there (else leave it alone)."""
        namespace = self.namespace
        if namespace is not None:
            if namespace.get(self.name) is current:
                namespace[self.name] = replacement
        elif getattr(self.owner, self.name, None) is current:
            setattr(self.owner, self.name, replacement)


# Built once, on first need; nothing of it is put in place until hold().
_patches: list[_Patch] | None = None
# id(original) -> (original, what calling it does, what to use instead), for the functions
# refused unconditionally: names bound to the original are only found by static_guards.
_refused_originals: dict[int, tuple[object, str, str]] = {}

_BLOCKED_AUDIT_PREFIXES = (
    "socket.",
    "subprocess.",
    "os.system",
    "os.exec",
    "os.spawn",
    "os.posix_spawn",
    "os.fork",
    "os.kill",
)

_CLOCK = "use workflow.now()"
_RANDOM = "use workflow.random() or workflow.random_generator(), seeded per run"
_ENTROPY = "use workflow.random_generator() or workflow.uuid4(), seeded per run"


def restricted() -> bool:
    """True while workflow code of an activation runs on this thread."""
    return _state.active


def installed() -> bool:
    """True while the guards are in place (workflow code runs somewhere in the process)."""
    return _holders > 0


def refusal_message(what: str, instead: str) -> str:
    """The sentence every guard uses: what was done, why it is refused, what to do."""
    return f"{what} inside workflow code cannot be replayed deterministically; {instead}"


def refused_original(target: object) -> tuple[str, str] | None:
    """(what, instead) if ``target`` is the original of a function refused in workflows."""
    if _patches is None:
        _build()
    entry = _refused_originals.get(id(target))
    if entry is None or entry[0] is not target:
        return None
    return entry[1], entry[2]


def _reading_python_source(args: tuple[Any, ...]) -> bool:
    """Tracebacks and warnings read source files (linecache): harmless, and may happen
    while workflow code runs, e.g. when garbage collection reports an orphaned task."""
    path, mode = args[0], args[1] if len(args) > 1 else "r"
    return (
        isinstance(path, str)
        and path.endswith((".py", ".pyc", ".pyi"))
        and (mode is None or ("w" not in str(mode) and "a" not in str(mode)))
    )


def _importing() -> bool:
    frame: FrameType | None = sys._getframe(2)
    for _ in range(40):
        if frame is None:
            return False
        if "importlib" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _state.active:
        return
    if event.startswith(_BLOCKED_AUDIT_PREFIXES):
        raise RestrictedOperationError(refusal_message(f"I/O ({event})", "do it in an activity"))
    if event == "open" and not _reading_python_source(args) and not _importing():
        raise RestrictedOperationError(
            refusal_message(f"opening a file ({args[0]!r})", "read it in an activity")
        )


def _lift_for_collection(phase: str, info: dict[str, int]) -> None:
    """First of the garbage collector's callbacks: lift the flag as a collection starts.

    The finalizers a collection runs belong to whatever objects died, often the worker's
    own (sessions, event loops, transports), and other callbacks time the collection with
    a clock: none of it is the workflow code this thread happens to be running. Written
    to be called twice, or its partner not at all, without harm: the callbacks may be
    added or removed by another thread while a collection walks them.
    """
    if phase == "start" and not _state.collecting:
        _state.before_collection = _state.active
        _state.collecting = True
        _state.active = False


def _restore_after_collection(phase: str, info: dict[str, int]) -> None:
    """Last of the garbage collector's callbacks: put the flag back as a collection ends."""
    if phase == "stop" and _state.collecting:
        _state.collecting = False
        _state.active = _state.before_collection


def _keep_collection_callbacks_outermost() -> None:
    """Libraries add callbacks of their own at either end of ``gc.callbacks`` (hypothesis
    inserts one that reads ``time.perf_counter`` at the front); ours must enclose them."""
    callbacks = gc.callbacks
    if (
        callbacks
        and callbacks[0] is _lift_for_collection
        and callbacks[-1] is _restore_after_collection
    ):
        return
    with _callbacks_lock:
        _remove_collection_callbacks()
        callbacks.insert(0, _lift_for_collection)
        callbacks.append(_restore_after_collection)


def _remove_collection_callbacks() -> None:
    callbacks = gc.callbacks
    for ours in (_lift_for_collection, _restore_after_collection):
        while ours in callbacks:
            callbacks.remove(ours)


def _guard(
    original: Callable[..., Any], what: str, instead: str, *, takes_arguments: bool = True
) -> Callable[..., Any]:
    """``original``, refusing to run inside workflow code."""
    message = refusal_message(what, instead)

    def guarded_call(*args: Any, **kwargs: Any) -> Any:
        if _state.active:
            raise RestrictedOperationError(message)
        return original(*args, **kwargs)

    def guarded_clock() -> Any:
        # Event loops read time.monotonic on every turn, and the host's loop may do so
        # while a guard is in place: not packing arguments halves the guard's cost.
        if _state.active:
            raise RestrictedOperationError(message)
        return original()

    _refused_originals[id(original)] = (original, what, instead)
    return functools.wraps(original)(guarded_call if takes_arguments else guarded_clock)


def _guard_unless_given(
    original: Callable[..., Any],
    argument: tuple[int, str | None],
    what: str,
    instead: str,
) -> Callable[..., Any]:
    """``original``, refusing to run inside workflow code unless ``argument`` (its position,
    and its keyword if it has one) is given and not None: without it, ``original`` reads
    the clock or the operating system."""
    message = refusal_message(what, instead)
    position, keyword = argument

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _state.active:
            given = args[position] if len(args) > position else kwargs.get(keyword or "")
            if given is None:
                raise RestrictedOperationError(message)
        return original(*args, **kwargs)

    return guarded


def _clock_patches() -> Iterator[_Patch]:
    for name, reading in (
        ("time", "the wall clock"),
        ("time_ns", "the wall clock"),
        ("monotonic", "the monotonic clock"),
        ("monotonic_ns", "the monotonic clock"),
        ("perf_counter", "the performance counter"),
        ("perf_counter_ns", "the performance counter"),
        ("process_time", "the process's CPU time"),
        ("process_time_ns", "the process's CPU time"),
        ("thread_time", "the thread's CPU time"),
        ("thread_time_ns", "the thread's CPU time"),
        ("clock_gettime", "a system clock"),
        ("clock_gettime_ns", "a system clock"),
    ):
        original = getattr(time, name, None)  # some clocks exist only on some platforms
        if original is not None:
            what = f"reading {reading} (time.{name})"
            takes_arguments = name.startswith("clock_gettime")  # the clock's id
            guard = _guard(original, what, _CLOCK, takes_arguments=takes_arguments)
            yield _Patch(time, name, original, guard)
    for name, position in (
        ("localtime", 0),
        ("gmtime", 0),
        ("ctime", 0),
        ("asctime", 0),
        ("strftime", 1),
    ):
        what = f"reading the wall clock (time.{name} without a time)"
        original = getattr(time, name)
        yield _Patch(
            time, name, original, _guard_unless_given(original, (position, None), what, _CLOCK)
        )


def _randomness_patches() -> Iterator[_Patch]:
    for name, value in list(vars(random).items()):
        # The module's functions are bound methods of one hidden, process-seeded instance.
        if isinstance(getattr(value, "__self__", None), random.Random):
            what = f"calling random.{name} (a generator seeded differently in every process)"
            yield _Patch(random, name, value, _guard(value, what, _RANDOM))
    # Random.__init__ calls seed(); only a missing seed reaches for the OS entropy source.
    seed = vars(random.Random)["seed"]
    yield _Patch(
        random.Random,
        "seed",
        seed,
        _guard_unless_given(
            seed,
            (1, "a"),
            "seeding random.Random from the operating system (no seed given)",
            "use workflow.random_generator(), or give random.Random an explicit seed",
        ),
    )
    entropy = "reading the operating system's entropy source"
    if hasattr(random, "_urandom"):  # SystemRandom, and so secrets, draw through it
        what = f"{entropy} (random.SystemRandom or secrets)"
        yield _Patch(random, "_urandom", random._urandom, _guard(random._urandom, what, _ENTROPY))
    yield _Patch(os, "urandom", os.urandom, _guard(os.urandom, f"{entropy} (os.urandom)", _ENTROPY))
    if hasattr(os, "getrandom"):
        what = f"{entropy} (os.getrandom)"
        yield _Patch(os, "getrandom", os.getrandom, _guard(os.getrandom, what, _ENTROPY))
    for name, what in (
        ("uuid1", "making a time-based UUID (uuid.uuid1)"),
        ("uuid4", "making a random UUID (uuid.uuid4)"),
    ):
        original = getattr(uuid, name)
        yield _Patch(uuid, name, original, _guard(original, what, "use workflow.uuid4()"))


def _build() -> list[_Patch]:
    global _patches
    with _install_lock:
        if _patches is None:
            start = vars(threading.Thread)["start"]
            thread_start = _guard(
                start,
                "starting a thread",
                "use asyncio tasks in workflows and threads in activities",
            )
            _patches = [
                *_clock_patches(),
                *_randomness_patches(),
                _Patch(threading.Thread, "start", start, thread_start),
            ]
        return _patches


def prepare() -> None:
    """Build the guards once (idempotent); nothing is put in place until :func:`hold`."""
    if _patches is None:
        _build()


def _put_in_place(patches: list[_Patch]) -> None:
    global _audit_hook_added
    if not _audit_hook_added:
        sys.addaudithook(_audit)
        _audit_hook_added = True
    for patch in patches:
        # Only over the original: a value someone else put there (a test's monkeypatch,
        # a frozen clock) is theirs, and left alone.
        patch.swap(patch.original, patch.guard)
    _keep_collection_callbacks_outermost()


def _put_back(patches: list[_Patch]) -> None:
    for patch in patches:
        patch.swap(patch.guard, patch.original)
    with _callbacks_lock:
        _remove_collection_callbacks()


def hold() -> None:
    """Keep the guards in place until the matching :func:`release` on this thread.

    Holds nest and are counted per thread; the guards go back out when the last thread
    releases its last hold. The engine holds them around its processing of history, the
    worker's activation threads around each batch of activations, so that activations
    that follow one another put nothing in place between them.
    """
    global _holders
    state = _state
    if state.holds:
        state.holds += 1
        return
    patches = _patches if _patches is not None else _build()
    with _install_lock:
        if _holders == 0:
            _put_in_place(patches)
        _holders += 1
    state.holds = 1


def release() -> None:
    """Undo one :func:`hold` of this thread."""
    global _holders
    state = _state
    if state.holds <= 0:
        raise RuntimeError("sandbox.release() without a hold on this thread")
    state.holds -= 1
    if state.holds:
        return
    with _install_lock:
        _holders -= 1
        if _holders == 0 and _patches is not None:
            _put_back(_patches)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """:func:`hold` for the block."""
    hold()
    try:
        yield
    finally:
        release()


def enter_restricted() -> bool:
    """Flag this thread as running workflow code; returns the flag to restore.

    The plain-call form of :func:`restrictions`, for the engine's activation, which runs
    once per decision task of every replay: ``previous = enter_restricted()``, then
    ``leave_restricted(previous)`` in a ``finally``. Puts the guards in place unless this
    thread holds them already.
    """
    hold()
    _keep_collection_callbacks_outermost()
    previous: bool = _state.active
    _state.collecting = False
    _state.active = True
    return previous


def leave_restricted(previous: bool) -> None:
    _state.active = previous
    release()


@contextlib.contextmanager
def restrictions() -> Iterator[None]:
    """Flag this thread as running workflow code."""
    previous = enter_restricted()
    try:
        yield
    finally:
        leave_restricted(previous)


@contextlib.contextmanager
def unrestricted() -> Iterator[None]:
    """Lift the guards for SDK code called from workflow code (e.g. the logger)."""
    previous = _state.active
    _state.active = False
    try:
        yield
    finally:
        _state.active = previous


# Kept for callers that prepared the guards by this name; it puts nothing in place.
install = prepare
