"""A failed SQLite write: the dev server keeps serving from memory, never records as written
what was rolled back, and writes it with the next transaction (or, at the latest, when it
closes). The database file is real; only one of its writes is made to fail, as a full disk
would make it fail."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest
from structlog.testing import capture_logs

from swfasync.devserver import DevServer
from swfasync.devserver import _server as server_module
from swfasync.devserver._state import Execution
from swfasync.devserver._store import Store

from .conftest import DOMAIN, Client, Helper, Json, attrs, make_client, register_types

DISK_FULL = "database or disk is full"


class DiskFullOnce(Store):
    """A database file on which one chosen write fails once, when armed.

    A failed commit ends the transaction first, as SQLite does on a full disk, so the
    backend's rollback finds none to roll back; a failed ``put_execution`` leaves it open.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._armed: tuple[str, int] | None = None
        self.failures = 0

    def fail_once(self, method: str, *, on_call: int = 1) -> None:
        self._armed = (method, on_call)

    def _fails(self, method: str) -> bool:
        if self._armed is None or self._armed[0] != method:
            return False
        calls_left = self._armed[1] - 1
        self._armed = None if calls_left == 0 else (method, calls_left)
        if calls_left:
            return False
        self.failures += 1
        return True

    def put_execution(
        self, ex: Execution, first_event_id: int, new_events: list[msgspec.Raw]
    ) -> None:
        if self._fails("put_execution"):
            raise sqlite3.OperationalError(DISK_FULL)
        super().put_execution(ex, first_event_id, new_events)

    def commit(self) -> None:
        if self._fails("commit"):
            self._db.execute("ROLLBACK")
            raise sqlite3.OperationalError(DISK_FULL)
        super().commit()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database path; every dev server this test starts opens it as ``DiskFullOnce``."""
    monkeypatch.setattr(server_module, "Store", DiskFullOnce)
    return tmp_path / "swf.db"


@asynccontextmanager
async def serve(db: Path) -> AsyncIterator[tuple[DiskFullOnce, Client]]:
    async with DevServer(db_path=str(db)) as server, make_client(server.endpoint_url) as swf:
        store = server.backend.store
        assert isinstance(store, DiskFullOnce)
        yield store, swf


def failed_writes(logs: Iterable[Mapping[str, Any]]) -> list[str]:
    return [entry["error"] for entry in logs if entry["event"] == "store_write_failed"]


async def histories(swf: Client, runs: dict[str, str]) -> dict[str, list[Json]]:
    h = Helper(swf, DOMAIN)
    return {workflow_id: await h.history(workflow_id, run) for workflow_id, run in runs.items()}


@pytest.mark.parametrize(
    ("method", "on_call"),
    [
        ("commit", 1),  # after both executions were written into the transaction
        ("put_execution", 2),  # after the first of the two was
    ],
)
async def test_a_failed_write_is_written_by_the_next_transaction(
    db: Path, method: str, on_call: int
) -> None:
    async with serve(db) as (store, swf):
        h = Helper(swf, DOMAIN)
        await register_types(swf)
        runs = {"parent": await h.start("parent")}
        child = {
            "decisionType": "StartChildWorkflowExecution",
            "startChildWorkflowExecutionDecisionAttributes": {
                "workflowType": {"name": "wf", "version": "1"},
                "workflowId": "child",
            },
        }
        await h.respond(await h.decide(), child)
        [started] = [
            e
            for e in await h.history("parent", runs["parent"])
            if e["eventType"] == "ChildWorkflowExecutionStarted"
        ]
        runs["child"] = attrs(started)["workflowExecution"]["runId"]
        store.fail_once(method, on_call=on_call)
        with capture_logs() as logs:
            # one transaction for both: the parent closes, its child policy ends the child
            await swf.terminate_workflow_execution(domain=DOMAIN, workflowId="parent")
        assert store.failures == 1
        assert failed_writes(logs) == [DISK_FULL]
        # the server goes on from memory; its next transaction carries the lost one
        await swf.register_domain(name="next", workflowExecutionRetentionPeriodInDays="1")
        served = await histories(swf, runs)
        assert [e["eventType"] for e in served["child"]][-1] == "WorkflowExecutionTerminated"
        # a fresh server reads the file as it is now, while the first one still runs
        async with serve(db) as (_, reopened):
            assert await histories(reopened, runs) == served
            domains = await reopened.list_domains(registrationStatus="REGISTERED")
            assert {d["name"] for d in domains["domainInfos"]} == {DOMAIN, "next"}


async def test_a_failed_write_is_written_when_the_server_closes(db: Path) -> None:
    async with serve(db) as (store, swf):
        store.fail_once("commit")
        with capture_logs() as logs:
            await swf.register_domain(name=DOMAIN, workflowExecutionRetentionPeriodInDays="1")
        assert failed_writes(logs) == [DISK_FULL]
        # no change follows: only closing can write the domain
    async with serve(db) as (_, reopened):
        described = await reopened.describe_domain(name=DOMAIN)
        assert described["domainInfo"]["status"] == "REGISTERED"
