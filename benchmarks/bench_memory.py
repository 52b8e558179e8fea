"""Memory: per live workflow in the worker's cache, and per open execution in the dev server.

Cached workflows: ``tracemalloc`` measures what N live ``WorkflowInstance`` objects keep
after each replayed a decision task's pages (decoded afresh per instance, as a worker
does), at several history sizes. The same-run reference is the worker cache's own
estimate for those instances (``INSTANCE_BASE_BYTES`` + ``estimate_bytes``), which is what
``max_cached_bytes`` counts: the ratio shows how honest that bound is.

Dev server: ``swfasync dev-server`` runs in a subprocess (SQLite in memory); its resident
set is read from ``/proc`` before and after N executions are started and given a first
decision (an activity scheduled), so each has six events. The reference is the size of one
execution's history as GetWorkflowExecutionHistory returns it (JSON bytes).
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path
from typing import Any

import msgspec

from swfasync._engine.definitions import workflow_definition
from swfasync._engine.instance import WorkflowInstance
from swfasync._worker.decisions import INSTANCE_BASE_BYTES, estimate_bytes
from swfasync.client import Client

from ._harness import Section
from .bench_end_to_end import dev_server_process
from .bench_replay import Shipments, build_history, new_path, poll_pages

HISTORY_SIZES = (50, 500, 5_000)
QUICK_HISTORY_SIZES = (50,)
INSTANCES = 200
EXECUTIONS = 2_000
QUICK_EXECUTIONS = 100


def cached_workflow_bytes(size: int, count: int) -> tuple[int, float, int]:
    """(events, measured bytes per live instance, the cache's estimate per instance)."""
    events = build_history(size)
    pages = poll_pages(events)
    definition = workflow_definition(Shipments)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        live = []
        for index in range(count):
            instance = WorkflowInstance(
                definition, workflow_id=f"shipments-{index}", run_id=f"run-{index}"
            )
            instance.process(new_path(pages))
            live.append(instance)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    estimate = INSTANCE_BASE_BYTES + estimate_bytes(events)
    return len(events), (after - before) / count, estimate


def resident_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc status")


async def register(swf: Any) -> None:
    await swf.register_workflow_type(
        domain="memory",
        name="Order",
        version="1",
        defaultTaskList={"name": "orders"},
        defaultExecutionStartToCloseTimeout="86400",
        defaultTaskStartToCloseTimeout="60",
        defaultChildPolicy="TERMINATE",
    )
    await swf.register_activity_type(domain="memory", name="charge", version="1")


async def open_executions(swf: Any, first: int, count: int) -> int:
    """Start ``count`` executions, each given one decision; return one history's bytes."""
    order = msgspec.json.encode({"order": "o-1", "items": ["book", "lamp"], "total": 42}).decode()
    execution: dict[str, str] = {}
    for index in range(first, first + count):
        started = await swf.start_workflow_execution(
            domain="memory",
            workflowId=f"order-{index}",
            workflowType={"name": "Order", "version": "1"},
            input=order,
        )
        execution = {"workflowId": f"order-{index}", "runId": started["runId"]}
        task = await swf.poll_for_decision_task(
            domain="memory", taskList={"name": "orders"}, identity="bench"
        )
        await swf.respond_decision_task_completed(
            taskToken=task["taskToken"],
            decisions=[
                {
                    "decisionType": "ScheduleActivityTask",
                    "scheduleActivityTaskDecisionAttributes": {
                        "activityType": {"name": "charge", "version": "1"},
                        "activityId": "a1",
                        "taskList": {"name": "payments"},
                        "input": order,
                        "scheduleToCloseTimeout": "3600",
                        "scheduleToStartTimeout": "3600",
                        "startToCloseTimeout": "600",
                        "heartbeatTimeout": "NONE",
                    },
                }
            ],
        )
    history: dict[str, Any] = await swf.get_workflow_execution_history(
        domain="memory", execution=execution
    )
    return len(msgspec.json.encode(history["events"]))


async def dev_server_bytes(count: int) -> tuple[float, int]:
    """(resident bytes per open execution, one execution's history bytes)."""
    async with (
        dev_server_process() as server,
        Client.local(server.endpoint_url, "memory") as client,
    ):
        await client.register_domain()
        await register(client.raw)
        # Some executions first, so the baseline holds the server's warmed-up paths.
        await open_executions(client.raw, 0, 50)
        before = resident_bytes(server.pid)
        history_bytes = await open_executions(client.raw, 50, count)
        after = resident_bytes(server.pid)
    return (after - before) / count, history_bytes


async def run(quick: bool) -> Section:
    section = Section(
        title="Memory per cached workflow and per open dev-server execution",
        command=".venv/bin/python -m benchmarks memory",
        columns=["what", "events", "measured KiB each", "reference KiB", "measured / reference"],
    )
    for size in QUICK_HISTORY_SIZES if quick else HISTORY_SIZES:
        count = 20 if quick else max(5, INSTANCES * 50 // size)
        events, measured, estimate = cached_workflow_bytes(size, count)
        section.add_row(
            f"cached workflow ({count} instances; ref: cache estimate)",
            events,
            f"{measured / 1024:.1f}",
            f"{estimate / 1024:.1f}",
            f"{measured / estimate:.2f}x",
        )
    executions = QUICK_EXECUTIONS if quick else EXECUTIONS
    per_execution, history_bytes = await dev_server_bytes(executions)
    section.add_row(
        f"dev-server open execution ({executions:,}; ref: its history JSON)",
        6,
        f"{per_execution / 1024:.1f}",
        f"{history_bytes / 1024:.2f}",
        f"{per_execution / history_bytes:.1f}x",
    )
    section.notes.append(
        "Cached workflows: tracemalloc (Python heap) after each instance replayed its "
        "pages; the cache evicts by the estimate, so measured/estimate above 1 means "
        "max_cached_bytes undercounts by that factor. Dev server: growth of the "
        "subprocess's resident set, so allocator slack and SQLite's page cache count."
    )
    return section
