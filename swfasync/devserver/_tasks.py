"""Workers' side: long-poll for decision and activity tasks, heartbeats, activity results,
pending-task counts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._faults import UnknownResourceFault
from ._polling import QueuedTask, Waiter
from ._state import Activity, Execution, Json, deadline, decode_token, encode_token

if TYPE_CHECKING:
    from ._backend import Backend

DEFAULT_PAGE = 1000


# -- decision tasks ---------------------------------------------------------------------


def _decision_order(b: Backend, ex: Execution, started: int, opts: Json) -> range:
    """The positions in the history of the events a decision task shows, in the order it
    shows them: a range, so paging never copies the rest of a long history."""
    order = range(len(b.events(ex)))[:started]
    if opts.get("sp") and opts.get("prev"):
        order = order[opts["prev"] - 1 :]
    if opts.get("rev"):
        order = order[::-1]
    return order


def decision_page(b: Backend, ex: Execution, token: str, started: int, opts: Json) -> Json:
    history = b.events(ex)
    order = _decision_order(b, ex, started, opts)
    offset = opts.get("o", 0)
    size = opts.get("n") or DEFAULT_PAGE
    out: Json = {
        "taskToken": token,
        "startedEventId": started,
        "workflowExecution": ex.ref,
        "workflowType": ex.workflow_type,
        "events": [history[i] for i in order[offset : offset + size]],
        "previousStartedEventId": opts.get("prev", 0),
    }
    if offset + size < len(order):
        out["nextPageToken"] = b.page_tokens.seal({**opts, "t": token, "o": offset + size})
    return out


def start_decision_task(b: Backend, task: QueuedTask, identity: str | None, opts: Json) -> Json:
    ex = b.executions[task.run_id]
    d = ex.decision
    assert d is not None
    started = b.add_event(
        ex, "DecisionTaskStarted", {"identity": identity, "scheduledEventId": d.scheduled_event_id}
    )
    d.started_event_id = started
    d.start_to_close_deadline = deadline(b.clock.now(), ex.task_timeout)
    d.schedule_to_start_deadline = None
    ex.needs_decision = False
    previous = ex.previous_started_event_id
    ex.previous_started_event_id = started
    token = encode_token({"k": "d", "r": ex.run_id, "s": started})
    return decision_page(b, ex, token, started, {**opts, "prev": previous})


def _empty(kind: str) -> Json:
    if kind == "decision":
        return {"taskToken": "", "startedEventId": 0, "previousStartedEventId": 0}
    return {"taskToken": "", "startedEventId": 0}


async def _long_poll(
    b: Backend,
    kind: str,
    req: Json,
    alive: Callable[[], bool],
    take: Callable[[QueuedTask], Json],
    wait_seconds: float,
) -> Json:
    domain = b.domain(req["domain"])
    key = (kind, domain.name, req["taskList"]["name"])
    task = b.queues.take(key)
    if task is not None:
        return take(task)
    future: asyncio.Future[Json | None] = asyncio.get_running_loop().create_future()
    waiter = Waiter(future, alive, take)
    b.queues.add_waiter(key, waiter)
    try:
        async with asyncio.timeout(wait_seconds):
            result = await asyncio.shield(future)
    except TimeoutError:
        result = None
    finally:
        b.queues.remove_waiter(key, waiter)
    return _empty(kind) if result is None else result


async def poll_for_decision_task(
    b: Backend, req: Json, alive: Callable[[], bool], wait_seconds: float
) -> Json:
    opts: Json = {
        "n": req.get("maximumPageSize") or DEFAULT_PAGE,
        "rev": bool(req.get("reverseOrder")),
        "sp": bool(req.get("startAtPreviousStartedEvent")),
    }
    if req.get("nextPageToken"):
        b.domain(req["domain"])
        data = b.page_tokens.open(req["nextPageToken"])
        task_data = decode_token(data["t"], "taskToken")
        ex = b.executions.get(task_data["r"])
        if ex is None:  # deleted when its retention period passed
            raise UnknownResourceFault("Unknown decision task for nextPageToken")
        return decision_page(b, ex, data["t"], task_data["s"], {**data, "n": opts["n"]})
    return await _long_poll(
        b,
        "decision",
        req,
        alive,
        lambda task: start_decision_task(b, task, req.get("identity"), opts),
        wait_seconds,
    )


# -- activity tasks ---------------------------------------------------------------------


def start_activity_task(b: Backend, task: QueuedTask, identity: str | None) -> Json:
    ex = b.executions[task.run_id]
    act = ex.activities[task.ref]
    now = b.clock.now()
    started = b.add_event(
        ex,
        "ActivityTaskStarted",
        {"identity": identity, "scheduledEventId": act.scheduled_event_id},
    )
    act.started_event_id = started
    act.schedule_to_start_deadline = None
    act.start_to_close_deadline = deadline(now, act.start_to_close)
    act.heartbeat_deadline = deadline(now, act.heartbeat)
    ex.latest_activity_ts = now
    token = encode_token(
        {"k": "a", "r": ex.run_id, "a": act.activity_id, "s": act.scheduled_event_id}
    )
    return {
        "taskToken": token,
        "activityId": act.activity_id,
        "startedEventId": started,
        "workflowExecution": ex.ref,
        "activityType": act.activity_type,
        "input": act.input,
    }


async def poll_for_activity_task(
    b: Backend, req: Json, alive: Callable[[], bool], wait_seconds: float
) -> Json:
    return await _long_poll(
        b,
        "activity",
        req,
        alive,
        lambda task: start_activity_task(b, task, req.get("identity")),
        wait_seconds,
    )


def _activity(b: Backend, token: str) -> tuple[Execution, Activity]:
    data = decode_token(token, "taskToken")
    ex = b.executions.get(str(data.get("r")))
    act = ex.activities.get(str(data.get("a"))) if ex is not None and ex.is_open else None
    if (
        ex is None
        or act is None
        or data.get("k") != "a"
        or act.scheduled_event_id != data.get("s")
        or not act.started_event_id
    ):
        raise UnknownResourceFault("Unknown activity task, it may have timed out or closed")
    return ex, act


def _ids(act: Activity) -> Json:
    return {"scheduledEventId": act.scheduled_event_id, "startedEventId": act.started_event_id}


def record_activity_task_heartbeat(b: Backend, req: Json) -> Json:
    ex, act = _activity(b, req["taskToken"])
    act.heartbeat_details = req.get("details")
    act.heartbeat_deadline = deadline(b.clock.now(), act.heartbeat)
    b.touch(ex)
    return {"cancelRequested": bool(act.cancel_requested_event_id)}


def respond_activity_task_completed(b: Backend, req: Json) -> Json:
    ex, act = _activity(b, req["taskToken"])
    del ex.activities[act.activity_id]
    b.add_event(ex, "ActivityTaskCompleted", {"result": req.get("result"), **_ids(act)})
    return {}


def respond_activity_task_failed(b: Backend, req: Json) -> Json:
    ex, act = _activity(b, req["taskToken"])
    del ex.activities[act.activity_id]
    b.add_event(
        ex,
        "ActivityTaskFailed",
        {"reason": req.get("reason"), "details": req.get("details"), **_ids(act)},
    )
    return {}


def respond_activity_task_canceled(b: Backend, req: Json) -> Json:
    ex, act = _activity(b, req["taskToken"])
    del ex.activities[act.activity_id]
    b.add_event(
        ex,
        "ActivityTaskCanceled",
        {
            "details": req.get("details"),
            **_ids(act),
            "latestCancelRequestedEventId": act.cancel_requested_event_id or None,
        },
    )
    return {}


def count_pending_decision_tasks(b: Backend, req: Json) -> Json:
    b.domain(req["domain"])
    return {
        "count": b.queues.count(("decision", req["domain"], req["taskList"]["name"])),
        "truncated": False,
    }


def count_pending_activity_tasks(b: Backend, req: Json) -> Json:
    b.domain(req["domain"])
    return {
        "count": b.queues.count(("activity", req["domain"], req["taskList"]["name"])),
        "truncated": False,
    }
