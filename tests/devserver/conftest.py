"""Fixtures for the dev server's own tests: a server on a loopback port with a manual
clock, and aiobotocore clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiobotocore.session  # type: ignore[import-untyped]
import pytest
from botocore.config import Config

from swfasync.devserver import DevServer, ManualClock

from .conformance.clients import Checker, install_hooks

DOMAIN = "test-domain"
Client = Any  # aiobotocore's SWF client (typed stubs are optional)
Json = dict[str, Any]


def client_config() -> Config:
    return Config(read_timeout=120, retries={"max_attempts": 0}, connect_timeout=5)


@asynccontextmanager
async def make_client(endpoint_url: str) -> AsyncIterator[Any]:
    """An aiobotocore SWF client whose every response is checked against botocore's model.

    The conformance suite's hooks raise on the first response that departs from the model
    (status, headers, body, fault shape), wherever a core test happens to provoke it. They
    record no coverage: the coverage gate describes the conformance suite alone, so its
    verdict does not depend on which other tests ran.
    """
    session = aiobotocore.session.get_session()
    async with session.create_client(
        "swf",
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=client_config(),
    ) as client:
        install_hooks(client.meta.events, Checker())
        yield client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[DevServer]:
    async with DevServer(clock=clock, long_poll_timeout=2.0) as srv:
        yield srv


@pytest.fixture
async def swf(server: DevServer) -> AsyncIterator[Client]:
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(make_client(server.endpoint_url))
        yield client


# Activity timeouts short enough for the timeout tests' manual clock to reach quickly.
SHORT_ACTIVITY_TIMEOUTS: Json = {
    "defaultTaskScheduleToStartTimeout": "60",
    "defaultTaskScheduleToCloseTimeout": "120",
    "defaultTaskStartToCloseTimeout": "60",
    "defaultTaskHeartbeatTimeout": "NONE",
}


async def register_types(
    swf: Client,
    activity_timeouts: Json = SHORT_ACTIVITY_TIMEOUTS,
    *,
    domain: str = DOMAIN,
    retention_days: str = "1",
) -> None:
    """A domain (the test domain unless told), workflow type ``wf/1``, activity type ``act/1``."""
    await swf.register_domain(name=domain, workflowExecutionRetentionPeriodInDays=retention_days)
    await swf.register_workflow_type(
        domain=domain,
        name="wf",
        version="1",
        defaultTaskList={"name": "deciders"},
        defaultExecutionStartToCloseTimeout="3600",
        defaultTaskStartToCloseTimeout="30",
        defaultChildPolicy="TERMINATE",
    )
    await swf.register_activity_type(
        domain=domain,
        name="act",
        version="1",
        defaultTaskList={"name": "workers"},
        **activity_timeouts,
    )


@pytest.fixture
async def domain(swf: Client) -> str:
    await register_types(swf)
    return DOMAIN


def types_of(events: list[Json]) -> list[str]:
    return [e["eventType"] for e in events]


def attrs(event: Json) -> Json:
    key = event["eventType"][0].lower() + event["eventType"][1:] + "EventAttributes"
    value: Json = event[key]
    return value


class Helper:
    """Small driver for decision/activity round-trips in tests."""

    def __init__(self, swf: Client, domain: str) -> None:
        self.swf = swf
        self.domain = domain

    async def start(self, workflow_id: str = "wf-1", **kwargs: Any) -> str:
        args: Json = {"workflowType": {"name": "wf", "version": "1"}, **kwargs}
        resp = await self.swf.start_workflow_execution(
            domain=self.domain, workflowId=workflow_id, **args
        )
        run_id: str = resp["runId"]
        return run_id

    async def decide(self, task_list: str = "deciders", **kwargs: Any) -> Json:
        task: Json = await self.swf.poll_for_decision_task(
            domain=self.domain, taskList={"name": task_list}, identity="decider", **kwargs
        )
        assert task.get("taskToken"), "expected a decision task"
        return task

    async def respond(self, task: Json, *decisions: Json, **kwargs: Any) -> None:
        await self.swf.respond_decision_task_completed(
            taskToken=task["taskToken"], decisions=list(decisions), **kwargs
        )

    async def work(self, task_list: str = "workers") -> Json:
        task: Json = await self.swf.poll_for_activity_task(
            domain=self.domain, taskList={"name": task_list}, identity="worker"
        )
        assert task.get("taskToken"), "expected an activity task"
        return task

    async def history(self, workflow_id: str, run_id: str) -> list[Json]:
        events: list[Json] = []
        token: str | None = None
        while True:
            extra = {"nextPageToken": token} if token else {}
            resp = await self.swf.get_workflow_execution_history(
                domain=self.domain,
                execution={"workflowId": workflow_id, "runId": run_id},
                **extra,
            )
            events.extend(resp["events"])
            token = resp.get("nextPageToken")
            if not token:
                return events


@pytest.fixture
def h(swf: Client, domain: str) -> Helper:
    return Helper(swf, domain)


def schedule(activity_id: str, **extra: Any) -> Json:
    return {
        "decisionType": "ScheduleActivityTask",
        "scheduleActivityTaskDecisionAttributes": {
            "activityType": {"name": "act", "version": "1"},
            "activityId": activity_id,
            **extra,
        },
    }


def complete(result: str | None = None) -> Json:
    attrs: Json = {} if result is None else {"result": result}
    return {
        "decisionType": "CompleteWorkflowExecution",
        "completeWorkflowExecutionDecisionAttributes": attrs,
    }


def start_timer(timer_id: str, seconds: int) -> Json:
    return {
        "decisionType": "StartTimer",
        "startTimerDecisionAttributes": {"timerId": timer_id, "startToFireTimeout": str(seconds)},
    }


ClientFactory = Callable[[], Any]
