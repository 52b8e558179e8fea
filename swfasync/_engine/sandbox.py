"""Guards that turn non-replayable operations inside workflow code into clear errors.

Workflow code runs on a thread flagged for the duration of an activation. While the flag is
set, a process-wide audit hook rejects sockets, subprocesses and file opens (imports are
let through), and ``threading.Thread.start``, ``time.time`` and ``time.time_ns`` refuse to
run. Outside activations every guard is a single thread-local attribute read.

Known gap: the C implementation of ``datetime.now()`` reads the clock without any hook, so
it cannot be intercepted; ``workflow.now()`` is the replay-safe clock.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from ..exceptions import RestrictedOperationError

_state = threading.local()
_installed = False
_install_lock = threading.Lock()

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


def restricted() -> bool:
    """True while workflow code of an activation runs on this thread."""
    return bool(getattr(_state, "active", False))


def _refuse(what: str, instead: str) -> RestrictedOperationError:
    return RestrictedOperationError(
        f"{what} inside workflow code cannot be replayed deterministically; {instead}"
    )


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
    if not getattr(_state, "active", False):
        return
    if event.startswith(_BLOCKED_AUDIT_PREFIXES):
        raise _refuse(f"I/O ({event})", "do it in an activity")
    if event == "open" and not _reading_python_source(args) and not _importing():
        raise _refuse(f"opening a file ({args[0]!r})", "read it in an activity")


def _guard(original: Callable[..., Any], what: str, instead: str) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if getattr(_state, "active", False):
            raise _refuse(what, instead)
        return original(*args, **kwargs)

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    guarded.__name__ = getattr(original, "__name__", "guarded")
    guarded.__doc__ = getattr(original, "__doc__", None)
    return guarded


def install() -> None:
    """Install the guards once per process (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        sys.addaudithook(_audit)
        clock = "use workflow.now()"
        time.time = _guard(time.time, "reading the wall clock (time.time)", clock)
        time.time_ns = _guard(time.time_ns, "reading the wall clock (time.time_ns)", clock)
        threading.Thread.start = _guard(  # type: ignore[method-assign]
            threading.Thread.start,
            "starting a thread",
            "use asyncio tasks in workflows and threads in activities",
        )
        _installed = True


@contextlib.contextmanager
def restrictions() -> Iterator[None]:
    """Flag this thread as running workflow code."""
    previous = getattr(_state, "active", False)
    _state.active = True
    try:
        yield
    finally:
        _state.active = previous


@contextlib.contextmanager
def unrestricted() -> Iterator[None]:
    """Lift the guards for SDK code called from workflow code (e.g. the logger)."""
    previous = getattr(_state, "active", False)
    _state.active = False
    try:
        yield
    finally:
        _state.active = previous
