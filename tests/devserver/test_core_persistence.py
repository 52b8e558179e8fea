"""Persistence: a ``swfasync dev-server --db FILE`` process killed with SIGKILL and
restarted on the same file still has every execution, history, task and timer."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from swfasync.devserver import DevServer

from .conftest import (
    DOMAIN,
    Client,
    Helper,
    make_client,
    register_types,
    schedule,
    start_timer,
    types_of,
)


@asynccontextmanager
async def dev_server_process(db: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "swfasync.cli",
        "dev-server",
        "--db",
        str(db),
        "--port",
        "0",
        "--long-poll-timeout",
        "5",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield proc, url
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        await proc.wait()


async def register(swf: Client) -> None:
    # Long activity timeouts: the restart must not race them.
    await register_types(
        swf,
        {
            "defaultTaskScheduleToStartTimeout": "600",
            "defaultTaskScheduleToCloseTimeout": "600",
            "defaultTaskStartToCloseTimeout": "600",
        },
    )


async def test_sigkill_and_restart(tmp_path: Path) -> None:
    db = tmp_path / "swf.db"
    async with dev_server_process(db) as (proc, url), AsyncExitStack() as stack:
        swf = await stack.enter_async_context(make_client(url))
        h = Helper(swf, DOMAIN)
        await register(swf)
        run1 = await h.start("wf-1")
        await h.respond(await h.decide(), schedule("a1", input="payload"), start_timer("t", 3000))
        # wf-2's decision task is started when the server dies: it must time out later
        run2 = await h.start("wf-2", taskStartToCloseTimeout="1")
        await h.decide()
        before = await h.history("wf-1", run1)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    async with dev_server_process(db) as (proc, url), AsyncExitStack() as stack:
        swf = await stack.enter_async_context(make_client(url))
        h = Helper(swf, DOMAIN)
        assert await h.history("wf-1", run1) == before
        desc = await swf.describe_workflow_execution(
            domain=DOMAIN, execution={"workflowId": "wf-1", "runId": run1}
        )
        assert desc["openCounts"]["openTimers"] == 1
        assert desc["openCounts"]["openActivityTasks"] == 1
        pending = await swf.count_pending_activity_tasks(
            domain=DOMAIN, taskList={"name": "workers"}
        )
        assert pending["count"] == 1
        task = await h.work()
        assert (task["activityId"], task["input"]) == ("a1", "payload")
        await swf.respond_activity_task_completed(taskToken=task["taskToken"], result="r")
        decisions = [await h.decide(), await h.decide()]
        by_run = {t["workflowExecution"]["runId"]: t for t in decisions}
        assert types_of(by_run[run1]["events"])[-3:] == [
            "ActivityTaskCompleted",
            "DecisionTaskScheduled",
            "DecisionTaskStarted",
        ]
        assert types_of(by_run[run2]["events"])[-3:] == [
            "DecisionTaskTimedOut",
            "DecisionTaskScheduled",
            "DecisionTaskStarted",
        ]
        await h.respond(by_run[run1], {"decisionType": "CompleteWorkflowExecution"})
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    # the same file opened in-process: the completion was committed before the kill
    async with DevServer(db_path=str(db)) as server, AsyncExitStack() as stack:
        swf = await stack.enter_async_context(make_client(server.endpoint_url))
        h = Helper(swf, DOMAIN)
        events = await h.history("wf-1", run1)
        assert events[-1]["eventType"] == "WorkflowExecutionCompleted"
