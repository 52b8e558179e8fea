"""Clocks, randomness and UUIDs in workflow code: refused at run time, or at definition.

The runtime guards refuse what calls through a Python-level function; ``datetime.now()``
and names bound to the unguarded originals are refused by reading the workflow's bytecode
when ``@workflow.defn`` runs. Everything stays usable outside workflow code.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib.util
import os
import random
import secrets
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from swfasync import activity, workflow
from swfasync._engine.definitions import workflow_definition
from swfasync._engine.instance import WorkflowTaskError
from swfasync.exceptions import RestrictedOperationError, WorkflowDefinitionError
from swfasync.testing import WorkflowEnvironment, WorkflowSimulation

from .helpers import assert_replays, summary

Call = Callable[[], object]

# (what workflow code calls, what the error must name, the replacement it must suggest)
REFUSED: list[tuple[str, Call, str, str]] = [
    ("random.random", lambda: random.random(), "random.random", "workflow.random()"),
    ("random.randint", lambda: random.randint(1, 6), "random.randint", "workflow.random()"),
    ("random.choice", lambda: random.choice("ab"), "random.choice", "workflow.random()"),
    ("random.shuffle", lambda: random.shuffle([1, 2]), "random.shuffle", "workflow.random()"),
    ("random.uniform", lambda: random.uniform(0, 1), "random.uniform", "workflow.random()"),
    ("random.getrandbits", lambda: random.getrandbits(8), "random.getrandbits", "random()"),
    ("random.sample", lambda: random.sample(range(9), 2), "random.sample", "random()"),
    ("random.getstate", lambda: random.getstate(), "random.getstate", "random_generator()"),
    ("Random()", lambda: random.Random(), "no seed given", "workflow.random_generator()"),
    ("SystemRandom", lambda: random.SystemRandom().random(), "SystemRandom", "uuid4()"),
    ("secrets", lambda: secrets.token_hex(4), "secrets", "workflow.random_generator()"),
    ("os.urandom", lambda: os.urandom(4), "os.urandom", "workflow.random_generator()"),
    ("uuid.uuid1", lambda: uuid.uuid1(), "uuid.uuid1", "workflow.uuid4()"),
    ("uuid.uuid4", lambda: uuid.uuid4(), "uuid.uuid4", "workflow.uuid4()"),
    ("time.monotonic", lambda: time.monotonic(), "time.monotonic", "workflow.now()"),
    ("time.monotonic_ns", lambda: time.monotonic_ns(), "time.monotonic_ns", "workflow.now()"),
    ("perf_counter", lambda: time.perf_counter(), "time.perf_counter", "workflow.now()"),
    ("perf_counter_ns", lambda: time.perf_counter_ns(), "time.perf_counter_ns", "now()"),
    ("process_time", lambda: time.process_time(), "time.process_time", "workflow.now()"),
    ("process_time_ns", lambda: time.process_time_ns(), "time.process_time_ns", "now()"),
    ("thread_time", lambda: time.thread_time(), "time.thread_time", "workflow.now()"),
    ("thread_time_ns", lambda: time.thread_time_ns(), "time.thread_time_ns", "now()"),
    ("time.localtime", lambda: time.localtime(), "time.localtime", "workflow.now()"),
    ("time.strftime", lambda: time.strftime("%Y"), "time.strftime", "workflow.now()"),
    ("date.today", lambda: dt.date.today(), "wall clock", "workflow.now()"),
]
if hasattr(os, "getrandom"):
    REFUSED.append(("os.getrandom", lambda: os.getrandom(4), "os.getrandom", "uuid4()"))
if hasattr(time, "clock_gettime"):
    REFUSED.append(
        (
            "clock_gettime",
            lambda: time.clock_gettime(time.CLOCK_REALTIME),
            "time.clock_gettime",
            "workflow.now()",
        )
    )


def _workflow_calling(action: Call) -> object:
    # `action` reaches the body through a closure, which the definition-time check does
    # not follow: what is refused here is refused at run time.
    @workflow.defn(name=f"calls-{id(action)}")
    async def body() -> None:
        action()

    return body


@pytest.mark.parametrize(
    ("action", "called", "instead"),
    [pytest.param(action, called, instead, id=name) for name, action, called, instead in REFUSED],
)
def test_clocks_and_randomness_fail_the_decision_task_naming_the_replacement(
    action: Call, called: str, instead: str
) -> None:
    sim = WorkflowSimulation(_workflow_calling(action))
    with pytest.raises(WorkflowTaskError) as caught:
        sim.decide()
    refusal = caught.value.__cause__
    assert isinstance(refusal, RestrictedOperationError)
    assert called in str(refusal)
    assert instead in str(refusal)
    assert "workflow code cannot be replayed" in str(refusal)
    action()  # outside workflow code the same call works


@workflow.defn
async def uses_replay_safe_randomness() -> list[str]:
    seeded = random.Random(7)
    seeded.seed(a=7)  # reseeding with an explicit seed is as deterministic
    return [
        str(seeded.random()),
        str(workflow.random()),
        str(workflow.uuid4()),
        str(workflow.random_generator().randint(0, 10**9)),
        time.strftime("%Y", time.gmtime(0)),  # formatting a given time reads no clock
        dt.datetime.fromtimestamp(0, dt.UTC).isoformat(),
    ]


def test_seeded_random_and_the_workflow_api_still_work_inside_workflows() -> None:
    sim = WorkflowSimulation(uses_replay_safe_randomness)
    [(kind, result)] = summary(sim.decide())
    assert kind == "CompleteWorkflowExecution"
    assert str(random.Random(7).random()) in result
    assert "1970" in result
    assert_replays(sim)


@pytest.mark.parametrize("first", [False, True], ids=["callback-appended", "callback-first"])
def test_a_garbage_collection_during_workflow_code_may_read_the_clock(first: bool) -> None:
    """Finalizers and the collector's callbacks (e.g. one that times collections) do not
    run as workflow code, even when the collection happens during it."""
    outcomes: list[tuple[str, object]] = []

    def record(source: str) -> None:
        try:
            outcomes.append((source, time.perf_counter()))
        except RestrictedOperationError as error:
            outcomes.append((source, error))

    class Finalized:
        def __init__(self) -> None:
            self.cycle = self  # only the cycle collector frees it

        def __del__(self) -> None:
            record("finalizer")

    def timing_collections(phase: str, info: dict[str, int]) -> None:
        record(phase)

    def collect_then_read_the_clock() -> None:
        Finalized()
        gc.collect()
        time.perf_counter()  # workflow code itself is restricted again after the collection

    sim = WorkflowSimulation(_workflow_calling(collect_then_read_the_clock))
    # Added after the guards were installed, at either end, as libraries do.
    gc.callbacks.insert(0 if first else len(gc.callbacks), timing_collections)
    try:
        with pytest.raises(WorkflowTaskError) as caught:
            sim.decide()
    finally:
        gc.callbacks.remove(timing_collections)
    assert isinstance(caught.value.__cause__, RestrictedOperationError)
    # Collections the allocations themselves trigger may add more starts and stops.
    assert {source for source, _ in outcomes} == {"start", "finalizer", "stop"}
    assert all(isinstance(value, float) for _, value in outcomes), outcomes


def _call_everything() -> int:
    for _, action, _, _ in REFUSED:
        action()
    return len(REFUSED)


@activity.defn(start_to_close_timeout=30)
def reads_clocks_in_a_thread() -> int:
    return _call_everything()


@activity.defn(start_to_close_timeout=30)
async def reads_clocks_on_the_loop() -> int:
    return _call_everything()


@workflow.defn(task_list="sandbox")
async def delegates_to_activities() -> list[int]:
    return [
        await workflow.execute_activity(reads_clocks_in_a_thread),
        await workflow.execute_activity(reads_clocks_on_the_loop),
    ]


async def test_activities_read_clocks_and_randomness_freely() -> None:
    async with WorkflowEnvironment(
        workflows=[delegates_to_activities],
        activities=[reads_clocks_in_a_thread, reads_clocks_on_the_loop],
        task_list="sandbox",
    ) as env:
        handle = await env.client.start_workflow(delegates_to_activities, id="delegates")
        assert await handle.result() == [len(REFUSED), len(REFUSED)]


# -- the definition-time check --------------------------------------------------------------

PREAMBLE = """\
from __future__ import annotations
import asyncio
from swfasync import workflow
"""


def _module_from(tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``source`` as a real module file, as a user's workflow module is imported."""
    name = f"clock_spelling_{abs(hash(source))}"
    path = tmp_path / f"{name}.py"
    path.write_text(PREAMBLE + textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def _line_of(tmp_path: Path, marker: str) -> str:
    """``file:line`` of the line of the written module that holds ``marker``."""
    [path] = tmp_path.glob("clock_spelling_*.py")
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if marker in text:
            return f"{path}:{number}"
    raise AssertionError(f"{marker!r} is not in {path}")


FLAGGED = {
    "from-datetime-import-datetime": (
        """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return datetime.now().isoformat()  # HERE
        """,
        "Stamp",
        "Stamp.run",
        "datetime.datetime.now",
    ),
    "import-datetime": (
        """
        import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return str(datetime.datetime.now())  # HERE
        """,
        "Stamp",
        "Stamp.run",
        "datetime.datetime.now",
    ),
    "utcnow": (
        """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return str(datetime.utcnow())  # HERE
        """,
        "Stamp",
        "Stamp.run",
        "datetime.datetime.utcnow",
    ),
    "date-today": (
        """
        from datetime import date

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return str(date.today())  # HERE
        """,
        "Stamp",
        "Stamp.run",
        "datetime.date.today",
    ),
    "import-datetime-as-dt": (
        """
        import datetime as dt

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return str(dt.datetime.now(dt.UTC))  # HERE
        """,
        "Stamp",
        "Stamp.run",
        "datetime.datetime.now",
    ),
    "lambda": (
        """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                later = lambda: datetime.now()  # HERE
                return str(later())
        """,
        "Stamp",
        "Stamp.run.<locals>.<lambda>",
        "datetime.datetime.now",
    ),
    "nested-helper": (
        """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                def stamp() -> str:
                    return str(datetime.now())  # HERE
                return stamp()
        """,
        "Stamp",
        "Stamp.run.<locals>.stamp",
        "datetime.datetime.now",
    ),
    "comprehension": (
        """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> list[str]:
                return [str(datetime.now()) for _ in range(2)]  # HERE
        """,
        "Stamp",
        "Stamp.run.<locals>.<listcomp>",
        "datetime.datetime.now",
    ),
    "module-helper-called-by-the-workflow": (
        """
        from datetime import datetime

        def stamp() -> str:
            return str(datetime.now())  # HERE

        def describe() -> str:
            return "at " + stamp()

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return describe()
        """,
        "Stamp",
        "stamp",
        "datetime.datetime.now",
    ),
    "signal-handler": (
        """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            def __init__(self) -> None:
                self.seen: list[str] = []

            @workflow.run
            async def run(self) -> list[str]:
                await workflow.wait_condition(lambda: bool(self.seen))
                return self.seen

            @workflow.signal
            def poke(self) -> None:
                self.seen.append(str(datetime.now()))  # HERE
        """,
        "Stamp",
        "Stamp.poke",
        "datetime.datetime.now",
    ),
    "inherited-method": (
        """
        from datetime import datetime

        class Stamping:
            def stamp(self) -> str:
                return str(datetime.now())  # HERE

        @workflow.defn
        class Stamp(Stamping):
            @workflow.run
            async def run(self) -> str:
                return self.stamp()
        """,
        "Stamp",
        "Stamping.stamp",
        "datetime.datetime.now",
    ),
    "import-inside-the-method": (
        """
        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                from datetime import datetime
                return str(datetime.now())  # HERE
        """,
        "Stamp",
        "Stamp.run",
        "datetime.datetime.now",
    ),
    "workflow-function": (
        """
        from datetime import datetime

        @workflow.defn
        async def stamp() -> str:
            return str(datetime.now())  # HERE
        """,
        "stamp",
        "stamp",
        "datetime.datetime.now",
    ),
    "datetime-subclass": (
        """
        from datetime import datetime

        class Moment(datetime):
            pass

        @workflow.defn
        async def stamp() -> str:
            return str(Moment.now())  # HERE
        """,
        "stamp",
        "stamp",
        ".Moment.now",
    ),
    # Bound outside workflow code, where the guards are never in place: the name holds
    # the unguarded function, which only the definition-time check can see.
    "monotonic-bound-by-name": (
        """
        import time
        monotonic = time.monotonic

        @workflow.defn
        async def stamp() -> float:
            return monotonic()  # HERE
        """,
        "stamp",
        "stamp",
        "time.monotonic",
    ),
    "randint-bound-by-name": (
        """
        import random
        randint = random.randint

        @workflow.defn
        async def roll() -> int:
            return randint(1, 6)  # HERE
        """,
        "roll",
        "roll",
        "random.randint",
    ),
}


@pytest.mark.parametrize(
    ("source", "workflow_name", "where", "called"), FLAGGED.values(), ids=FLAGGED.keys()
)
def test_reading_the_clock_is_refused_when_the_workflow_is_defined(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    workflow_name: str,
    where: str,
    called: str,
) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        _module_from(tmp_path, source, monkeypatch)
    message = str(caught.value)
    assert message.startswith(f"workflow {workflow_name} ")
    assert f"{where} ({_line_of(tmp_path, '# HERE')})" in message
    assert called in message
    assert ("workflow.random()" if "random" in called else "workflow.now()") in message


def test_a_helper_defined_below_the_workflow_is_checked_at_its_first_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = """
        from datetime import datetime

        @workflow.defn
        class Stamp:
            @workflow.run
            async def run(self) -> str:
                return stamp()

        def stamp() -> str:
            return str(datetime.now())  # HERE
        """
    module = _module_from(tmp_path, source, monkeypatch)  # `stamp` did not exist yet
    expected = f"stamp ({_line_of(tmp_path, '# HERE')}): reading the wall clock"
    for _ in range(2):  # failing once does not spend the check
        with pytest.raises(WorkflowDefinitionError) as caught:
            workflow_definition(module.Stamp)
        assert expected in str(caught.value)
    with pytest.raises(WorkflowDefinitionError, match=r"datetime\.datetime\.now"):
        WorkflowSimulation(module.Stamp)


NOT_FLAGGED = {
    "workflow-now-and-safe-constructors": """
        from datetime import UTC, datetime

        @workflow.defn
        class Fine:
            @workflow.run
            async def run(self) -> list[str]:
                return [
                    workflow.now().isoformat(),
                    datetime.fromisoformat("2026-01-01T00:00:00").isoformat(),
                    datetime.fromtimestamp(0, UTC).isoformat(),
                ]
        """,
    "methods-and-locals-named-like-the-clock": """
        from datetime import datetime

        class Clock:
            def now(self) -> str:
                return "clock"

        @workflow.defn
        class Fine:
            def now(self) -> str:
                return "mine"

            @workflow.run
            async def run(self) -> list[str]:
                datetime = Clock()
                return [self.now(), datetime.now()]
        """,
    "parameter-and-comprehension-variable-named-datetime": """
        from datetime import datetime

        class Clock:
            def now(self) -> str:
                return "clock"

        def label(datetime: Clock) -> str:
            return datetime.now()

        @workflow.defn
        class Fine:
            @workflow.run
            async def run(self) -> list[str]:
                return [label(Clock()), *(datetime.now() for datetime in [Clock()])]
        """,
    "a-subclass-that-replaces-the-clock": """
        from datetime import datetime

        class WorkflowTime(datetime):
            @classmethod
            def now(cls, tz: object = None) -> WorkflowTime:
                return cls.fromtimestamp(workflow.now().timestamp(), workflow.now().tzinfo)

        @workflow.defn
        class Fine:
            @workflow.run
            async def run(self) -> str:
                return WorkflowTime.now().isoformat()
        """,
    "functions-handed-to-side-effect": """
        from datetime import UTC, datetime
        from swfasync.workflow import side_effect

        def read_clock() -> str:
            return datetime.now(UTC).isoformat()

        @workflow.defn
        class Fine:
            def clock_reading(self) -> str:
                return datetime.now(UTC).isoformat()

            @workflow.run
            async def run(self) -> list[str]:
                def nested() -> str:
                    return datetime.now(UTC).isoformat()

                prefix = "at "
                return [
                    workflow.side_effect(lambda: datetime.now(UTC).isoformat()),
                    workflow.side_effect(lambda: prefix + datetime.now(UTC).isoformat()),
                    side_effect(lambda: datetime.now(UTC).isoformat()),
                    workflow.side_effect(read_clock),
                    workflow.side_effect(self.clock_reading),
                    workflow.side_effect(nested),
                ]
        """,
    "an-activity-in-the-same-module": """
        from datetime import UTC, datetime
        from swfasync import activity

        @activity.defn
        async def stamp() -> str:
            return datetime.now(UTC).isoformat()

        @workflow.defn
        class Fine:
            @workflow.run
            async def run(self) -> str:
                return await workflow.execute_activity(stamp, start_to_close_timeout=5)
        """,
}


@pytest.mark.parametrize("source", NOT_FLAGGED.values(), ids=NOT_FLAGGED.keys())
def test_code_that_only_looks_alike_is_not_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    module = _module_from(tmp_path, source, monkeypatch)
    sim = WorkflowSimulation(module.Fine)
    decisions = summary(sim.decide())
    if decisions[0][0] == "CompleteWorkflowExecution":
        assert_replays(sim)
