"""Guards that turn non-replayable operations inside workflow code into clear errors.

Workflow code runs on a thread flagged for the duration of an activation. While the flag is
set, a process-wide audit hook rejects sockets, subprocesses and file opens (imports are
let through), and these refuse to run:

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

Outside activations every guard is a single thread-local attribute read. A garbage
collection lifts the flag while it runs: the finalizers it calls belong to whatever objects
died, often the worker's own, and they and the collector's other callbacks may read the
clock.

Not covered here: names bound to these functions before the guards were installed
(``from time import monotonic`` ahead of importing swfasync) and ``datetime.now()`` /
``utcnow()``, whose C implementation reads the clock without any hook. The definition-time
check (:mod:`.static_guards`) rejects both where the workflow's own code names them; in
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
from types import FrameType
from typing import Any

from ..exceptions import RestrictedOperationError


class _ActivationFlag(threading.local):
    # Class attributes are every thread's defaults: one read, no getattr.
    active = False
    before_collection = False  # `active` when a garbage collection began on this thread


_state = _ActivationFlag()
_installed = False
_install_lock = threading.Lock()
_callbacks_lock = threading.Lock()
# id(original) -> (original, what calling it does, what to use instead), for the functions
# refused unconditionally: code that bound the original before install() still holds it.
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


def refusal_message(what: str, instead: str) -> str:
    """The sentence every guard uses: what was done, why it is refused, what to do."""
    return f"{what} inside workflow code cannot be replayed deterministically; {instead}"


def refused_original(target: object) -> tuple[str, str] | None:
    """(what, instead) if ``target`` is the unguarded original of a refused function."""
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
    a clock: none of it is the workflow code this thread happens to be running.
    """
    if phase == "start":
        _state.before_collection = _state.active
        _state.active = False


def _restore_after_collection(phase: str, info: dict[str, int]) -> None:
    """Last of the garbage collector's callbacks: put the flag back as a collection ends."""
    if phase == "stop":
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
    # Never reordered from inside a callback: the collector walks this list by index.
    with _callbacks_lock:
        for ours in (_lift_for_collection, _restore_after_collection):
            while ours in callbacks:
                callbacks.remove(ours)
        callbacks.insert(0, _lift_for_collection)
        callbacks.append(_restore_after_collection)


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
        # Event loops read time.monotonic on every turn: not packing arguments makes the
        # guard cost about half as much.
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


def _install_clock_guards() -> None:
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
            guarded = _guard(original, what, _CLOCK, takes_arguments=takes_arguments)
            setattr(time, name, guarded)
    for name, position in (
        ("localtime", 0),
        ("gmtime", 0),
        ("ctime", 0),
        ("asctime", 0),
        ("strftime", 1),
    ):
        what = f"reading the wall clock (time.{name} without a time)"
        guarded = _guard_unless_given(getattr(time, name), (position, None), what, _CLOCK)
        setattr(time, name, guarded)


def _install_randomness_guards() -> None:
    for name, value in list(vars(random).items()):
        # The module's functions are bound methods of one hidden, process-seeded instance.
        if isinstance(getattr(value, "__self__", None), random.Random):
            what = f"calling random.{name} (a generator seeded differently in every process)"
            setattr(random, name, _guard(value, what, _RANDOM))
    # Random.__init__ calls seed(); only a missing seed reaches for the OS entropy source.
    random.Random.seed = _guard_unless_given(  # type: ignore[method-assign]
        random.Random.seed,
        (1, "a"),
        "seeding random.Random from the operating system (no seed given)",
        "use workflow.random_generator(), or give random.Random an explicit seed",
    )
    entropy = "reading the operating system's entropy source"
    if hasattr(random, "_urandom"):  # SystemRandom, and so secrets, draw through it
        random._urandom = _guard(
            random._urandom, f"{entropy} (random.SystemRandom or secrets)", _ENTROPY
        )
    os.urandom = _guard(os.urandom, f"{entropy} (os.urandom)", _ENTROPY)
    if hasattr(os, "getrandom"):
        os.getrandom = _guard(os.getrandom, f"{entropy} (os.getrandom)", _ENTROPY)
    uuid.uuid1 = _guard(uuid.uuid1, "making a time-based UUID (uuid.uuid1)", "use workflow.uuid4()")
    uuid.uuid4 = _guard(uuid.uuid4, "making a random UUID (uuid.uuid4)", "use workflow.uuid4()")


def install() -> None:
    """Install the guards once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        sys.addaudithook(_audit)
        _keep_collection_callbacks_outermost()
        _install_clock_guards()
        _install_randomness_guards()
        threading.Thread.start = _guard(  # type: ignore[method-assign]
            threading.Thread.start,
            "starting a thread",
            "use asyncio tasks in workflows and threads in activities",
        )
        _installed = True


def enter_restricted() -> bool:
    """Flag this thread as running workflow code; returns the flag to restore.

    The plain-call form of :func:`restrictions`, for the engine's activation, which runs
    once per decision task of every replay: ``previous = enter_restricted()``, then
    ``leave_restricted(previous)`` in a ``finally``.
    """
    _keep_collection_callbacks_outermost()
    previous: bool = _state.active
    _state.active = True
    return previous


def leave_restricted(previous: bool) -> None:
    _state.active = previous


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
