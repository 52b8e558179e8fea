"""A decider and an activity worker driven by hand: raw SWF calls through any ``SwfApi``.

Scenarios here say exactly which calls are made and in which order, so the history each one
produces is deterministic and can be compared across clients and servers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio

from .clients import SwfApi

__all__ = ["IDENTITY", "Names", "Run", "decision", "normalise_history"]

IDENTITY = "conformance"
#: How long a test waits for a task that its own previous step made available.
TASK_WAIT = 20.0


@dataclass(frozen=True)
class Names:
    """The names one test uses: its own domain, so tests never see each other's tasks."""

    domain: str = field(default_factory=lambda: f"conformance-{uuid.uuid4().hex[:12]}")
    workflow: str = "conformance-workflow"
    activity: str = "conformance-activity"
    version: str = "1"
    task_list: str = "decisions"
    activity_list: str = "activities"

    @property
    def workflow_type(self) -> dict[str, str]:
        return {"name": self.workflow, "version": self.version}

    @property
    def activity_type(self) -> dict[str, str]:
        return {"name": self.activity, "version": self.version}


async def register(swf: SwfApi, names: Names, **workflow_defaults: Any) -> None:
    """Register the domain, the workflow type (with defaults) and the activity type."""
    await swf("RegisterDomain", name=names.domain, workflowExecutionRetentionPeriodInDays="1")
    defaults = {
        "defaultTaskList": {"name": names.task_list},
        "defaultExecutionStartToCloseTimeout": "600",
        "defaultTaskStartToCloseTimeout": "30",
        "defaultChildPolicy": "TERMINATE",
        **workflow_defaults,
    }
    await swf("RegisterWorkflowType", domain=names.domain, **names.workflow_type, **defaults)
    await swf(
        "RegisterActivityType",
        domain=names.domain,
        **names.activity_type,
        defaultTaskList={"name": names.activity_list},
        defaultTaskScheduleToStartTimeout="300",
        defaultTaskScheduleToCloseTimeout="600",
        defaultTaskStartToCloseTimeout="300",
        defaultTaskHeartbeatTimeout="NONE",
    )


@dataclass
class Run:
    """One workflow execution and the calls that drive it."""

    swf: SwfApi
    names: Names
    workflow_id: str
    run_id: str = ""

    @property
    def execution(self) -> dict[str, str]:
        return {"workflowId": self.workflow_id, "runId": self.run_id}

    @classmethod
    async def start(cls, swf: SwfApi, names: Names, workflow_id: str = "wf", **params: Any) -> Run:
        run = cls(swf, names, workflow_id)
        response = await swf(
            "StartWorkflowExecution",
            domain=names.domain,
            workflowId=workflow_id,
            workflowType=params.pop("workflowType", names.workflow_type),
            **params,
        )
        run.run_id = response["runId"]
        return run

    async def poll_decision(self, task_list: str | None = None, **params: Any) -> dict[str, Any]:
        """The next decision task (waits through empty polls: moto does not long-poll)."""
        return await poll(
            self.swf,
            "PollForDecisionTask",
            domain=self.names.domain,
            taskList={"name": task_list or self.names.task_list},
            identity=IDENTITY,
            **params,
        )

    async def poll_activity(self, task_list: str | None = None) -> dict[str, Any]:
        return await poll(
            self.swf,
            "PollForActivityTask",
            domain=self.names.domain,
            taskList={"name": task_list or self.names.activity_list},
            identity=IDENTITY,
        )

    async def decide(self, task: dict[str, Any], *decisions: dict[str, Any], **params: Any) -> None:
        await self.swf(
            "RespondDecisionTaskCompleted",
            taskToken=task["taskToken"],
            decisions=list(decisions),
            **params,
        )

    async def next_decision(self, *decisions: dict[str, Any]) -> dict[str, Any]:
        """Poll the next decision task and answer it at once; return the task."""
        task = await self.poll_decision()
        await self.decide(task, *decisions)
        return task

    async def history(self, **params: Any) -> list[dict[str, Any]]:
        """The whole history, every page."""
        events: list[dict[str, Any]] = []
        token: dict[str, str] = {}
        while True:
            page = await self.swf(
                "GetWorkflowExecutionHistory",
                domain=self.names.domain,
                execution=self.execution,
                **params,
                **token,
            )
            events += page["events"]
            if not page.get("nextPageToken"):
                return events
            token = {"nextPageToken": page["nextPageToken"]}

    async def wait_for_event(self, event_type: str) -> list[dict[str, Any]]:
        """Read history until an event of ``event_type`` is there (for timer-driven events)."""
        with anyio.fail_after(TASK_WAIT):
            while True:
                events = await self.history()
                if any(e["eventType"] == event_type for e in events):
                    return events
                await anyio.sleep(0.05)


async def poll(swf: SwfApi, operation: str, **params: Any) -> dict[str, Any]:
    with anyio.fail_after(TASK_WAIT):
        while True:
            task = await swf(operation, **params)
            if task.get("taskToken"):
                return task


def decision(decision_type: str, **attributes: Any) -> dict[str, Any]:
    """``decision("StartTimer", timerId="t", startToFireTimeout="0")``: one SWF decision."""
    key = decision_type[0].lower() + decision_type[1:] + "DecisionAttributes"
    return {"decisionType": decision_type, key: attributes}


def event_types(events: list[dict[str, Any]]) -> list[str]:
    return [e["eventType"] for e in events]


def attributes(event: dict[str, Any]) -> dict[str, Any]:
    """An event's ``<type>EventAttributes`` member."""
    event_type: str = event["eventType"]
    key = event_type[0].lower() + event_type[1:] + "EventAttributes"
    value: dict[str, Any] = event[key]
    return value


def find(events: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    """The attributes of the last event of ``event_type``."""
    matches = [e for e in events if e["eventType"] == event_type]
    assert matches, f"no {event_type} in {event_types(events)}"
    return attributes(matches[-1])


_VOLATILE = {"eventTimestamp"}
_TOKENS = {"taskToken", "nextPageToken"}


def normalise_history(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """History without what differs between equal runs: timestamps, run ids, tokens.

    Run ids become ``run-1``, ``run-2``... in order of first appearance, so the structure
    (which event names which run) is kept.
    """
    runs: dict[str, str] = {}

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items() if k not in _VOLATILE}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if key in {"runId", "newExecutionRunId", "continuedExecutionRunId"} and value:
            return runs.setdefault(value, f"run-{len(runs) + 1}")
        if key in _TOKENS:
            return "<token>"
        return value

    normalised: list[dict[str, Any]] = walk(events)
    return normalised


def dumps(events: list[dict[str, Any]]) -> str:
    """One event per line, for readable assertion failures."""
    return "\n".join(json.dumps(e, sort_keys=True) for e in events)
