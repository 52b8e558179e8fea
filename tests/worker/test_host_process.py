"""swfasync is a guest in the host's process: importing it, or running a worker, leaves the
host's standard library as it found it; the guards exist only while workflow code runs."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from swfasync._engine import sandbox

# Run in a fresh interpreter: this test process has imported swfasync long ago.
_PROBE = textwrap.dedent(
    """
    import gc, json, os, random, sys, threading, time, uuid

    NAMES = {
        "time": ["time", "time_ns", "monotonic", "monotonic_ns", "perf_counter",
                 "perf_counter_ns", "process_time", "thread_time", "localtime", "gmtime",
                 "ctime", "asctime", "strftime"],
        "random": ["random", "randint", "choice", "shuffle", "getrandbits", "seed",
                   "_urandom"],
        "os": ["urandom"] + (["getrandom"] if hasattr(os, "getrandom") else []),
        "uuid": ["uuid1", "uuid4"],
    }
    MODULES = {"time": time, "random": random, "os": os, "uuid": uuid}

    def snapshot():
        found = {f"{m}.{n}": getattr(MODULES[m], n) for m, names in NAMES.items() for n in names}
        found["threading.Thread.start"] = vars(threading.Thread)["start"]
        found["random.Random.seed"] = vars(random.Random)["seed"]
        return found

    hooks = []
    real_addaudithook = sys.addaudithook
    def recording_addaudithook(hook):
        hooks.append(getattr(hook, "__qualname__", repr(hook)))
        real_addaudithook(hook)
    sys.addaudithook = recording_addaudithook

    before = snapshot()
    callbacks_before = list(gc.callbacks)
    report = {}

    import logging, structlog

    def configuration():
        return {
            "root_handlers": len(logging.root.handlers),
            "root_level": logging.root.level,
            "swfasync_handlers": len(logging.getLogger("swfasync").handlers),
            "structlog_configured": structlog.is_configured(),
        }

    configured_before = configuration()

    def differences():
        after = snapshot()
        changed = sorted(name for name in before if after[name] is not before[name])
        if configuration() != configured_before:
            changed.append(f"logging configuration: {configuration()}")
        return changed

    import swfasync, swfasync.workflow, swfasync.activity, swfasync.testing, swfasync.worker
    import swfasync.client
    report["after_import"] = {
        "changed": differences(),
        "audit_hooks": list(hooks),
        "gc_callbacks": len(gc.callbacks) - len(callbacks_before),
    }

    if sys.argv[1] == "run-worker":
        import asyncio
        from swfasync import workflow, activity
        from swfasync.testing import WorkflowEnvironment

        @activity.defn(start_to_close_timeout=30)
        async def double(x: int) -> int:
            return 2 * x

        @workflow.defn
        async def doubles(x: int) -> int:
            return await workflow.execute_activity(double, x)

        async def main():
            async with WorkflowEnvironment(workflows=[doubles], activities=[double]) as env:
                handle = await env.client.start_workflow(doubles, 21, id="guest-1")
                return await handle.result()

        report["result"] = asyncio.run(main())
        report["after_worker"] = {
            "changed": differences(),
            "gc_callbacks": len(gc.callbacks) - len(callbacks_before),
        }
    print(json.dumps(report))
    """
)


def _probe(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_importing_swfasync_changes_nothing_in_the_standard_library() -> None:
    report = _probe("import")
    assert report["after_import"] == {"changed": [], "audit_hooks": [], "gc_callbacks": 0}


def test_after_a_worker_ran_the_standard_library_is_the_original_again() -> None:
    report = _probe("run-worker")
    assert report["after_import"] == {"changed": [], "audit_hooks": [], "gc_callbacks": 0}
    assert report["result"] == 42
    assert report["after_worker"] == {"changed": [], "gc_callbacks": 0}


def test_the_host_gets_originals_while_workflow_code_runs_elsewhere() -> None:
    """While the guards are in place (an activation on another thread), the host's own
    threads call the same functions and get their ordinary results."""
    originals = (time.monotonic, random.random, uuid.uuid4, os.urandom)
    sandbox.hold()
    try:
        assert sandbox.installed()
        assert time.monotonic is not originals[0]  # a guard, in place for workflow code
        assert not sandbox.restricted()
        assert isinstance(time.monotonic(), float)
        assert 0 <= random.random() < 1
        assert uuid.uuid4().version == 4
        assert len(os.urandom(4)) == 4
        thread = threading.Thread(target=time.perf_counter)
        thread.start()
        thread.join()
    finally:
        sandbox.release()
    assert not sandbox.installed()
    assert (time.monotonic, random.random, uuid.uuid4, os.urandom) == originals


def test_a_value_someone_else_put_in_place_is_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def frozen() -> float:
        return 1.0

    monkeypatch.setattr(time, "time", frozen)
    sandbox.hold()
    try:
        assert time.time is frozen
    finally:
        sandbox.release()
    assert time.time is frozen


def test_a_release_without_a_hold_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="without a hold"):
        sandbox.release()
