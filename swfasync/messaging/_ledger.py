"""The notifier's ledger: what it has published, so a restart repeats at most what was in
flight.

Per run it keeps the last history event fully handled and the statuses already published;
per notification, its id and when it was sent. :class:`SqliteLedger` keeps them in a SQLite
file, which serves one notifier process on one host. In production, where the notifier may
move between hosts, the same few operations map onto a DynamoDB table keyed by run (a
conditional update per published status) or any transactional store: implement
:class:`Ledger`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import anyio

T = TypeVar("T")


@dataclass(frozen=True)
class RunCursor:
    """How far a run has been followed.

    Attributes:
        last_event_id: every event up to this one is handled (0: none yet).
        statuses: the statuses already published for the run.
        continued: the run was started by continue-as-new (known once event 1 was read).
        done: the run is closed and every status it announces was published.
    """

    last_event_id: int = 0
    statuses: frozenset[str] = frozenset()
    continued: bool = False
    done: bool = False


class Ledger(Protocol):
    """Where a :class:`StatusNotifier` records its progress (see the module docstring)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def origin(self, default: float) -> float:
        """The time from which runs are followed: ``default`` the first time, kept after."""
        ...

    async def checkpoint(self) -> float | None:
        """The latest close time up to which every closed run has been handled."""
        ...

    async def set_checkpoint(self, value: float) -> None: ...

    async def cursor(self, workflow_id: str, run_id: str) -> RunCursor: ...

    async def record_sent(
        self,
        workflow_id: str,
        run_id: str,
        event_id: int,
        status: str,
        notification_id: str,
        continued: bool,
    ) -> None:
        """One status of a run was published (by its event ``event_id``)."""
        ...

    async def advance(
        self,
        workflow_id: str,
        run_id: str,
        last_event_id: int,
        *,
        continued: bool,
        close_time: float | None,
    ) -> None:
        """Every event of a run up to ``last_event_id`` is handled; with ``close_time``
        (SWF's), the run is closed and done."""
        ...

    async def prune(self, closed_before: float) -> int:
        """Forget done runs closed before ``closed_before`` (the list calls no longer
        return them) and their notifications; returns how many runs."""
        ...

    async def sent(self) -> list[tuple[str, str]]:
        """Every (notification id, status) recorded, oldest first."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    last_event_id INTEGER NOT NULL DEFAULT 0,
    statuses TEXT NOT NULL DEFAULT '',
    continued INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    close_time REAL,
    updated REAL NOT NULL,
    PRIMARY KEY (workflow_id, run_id)
);
CREATE TABLE IF NOT EXISTS sent (
    notification_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    sent_at REAL NOT NULL
);
"""
_SEPARATOR = "\n"


class SqliteLedger:
    """A :class:`Ledger` in a SQLite file (``":memory:"`` for one process's lifetime).

    Every write is one transaction, committed before the notifier moves on, so a process
    killed at any point finds on restart exactly what it had recorded.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            with self._lock:
                if self._db is None:
                    raise RuntimeError("the ledger is not open")
                with self._db:  # a transaction: committed, or rolled back on error
                    return fn(self._db)

        return await anyio.to_thread.run_sync(call)

    async def open(self) -> None:
        if self._db is not None:
            return

        def connect() -> sqlite3.Connection:
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            db.isolation_level = "DEFERRED"  # implicit transactions, committed by `with db`
            return db

        self._db = await anyio.to_thread.run_sync(connect)

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await anyio.to_thread.run_sync(db.close)

    async def origin(self, default: float) -> float:
        def get(db: sqlite3.Connection) -> float:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('origin', ?)", (default,))
            row = db.execute("SELECT value FROM meta WHERE key = 'origin'").fetchone()
            return float(row[0])

        return await self._run(get)

    async def checkpoint(self) -> float | None:
        def get(db: sqlite3.Connection) -> float | None:
            row = db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
            return None if row is None else float(row[0])

        return await self._run(get)

    async def set_checkpoint(self, value: float) -> None:
        await self._run(
            lambda db: db.execute("INSERT OR REPLACE INTO meta VALUES ('checkpoint', ?)", (value,))
        )

    async def cursor(self, workflow_id: str, run_id: str) -> RunCursor:
        def get(db: sqlite3.Connection) -> RunCursor:
            row = db.execute(
                "SELECT last_event_id, statuses, continued, done FROM runs"
                " WHERE workflow_id = ? AND run_id = ?",
                (workflow_id, run_id),
            ).fetchone()
            if row is None:
                return RunCursor()
            return RunCursor(
                last_event_id=int(row[0]),
                statuses=frozenset(s for s in str(row[1]).split(_SEPARATOR) if s),
                continued=bool(row[2]),
                done=bool(row[3]),
            )

        return await self._run(get)

    async def record_sent(
        self,
        workflow_id: str,
        run_id: str,
        event_id: int,
        status: str,
        notification_id: str,
        continued: bool,
    ) -> None:
        now = time.time()

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO runs (workflow_id, run_id, updated) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (workflow_id, run_id, now),
            )
            db.execute(
                "UPDATE runs SET last_event_id = max(last_event_id, ?),"
                " statuses = statuses || ? || ?, continued = ?, updated = ?"
                " WHERE workflow_id = ? AND run_id = ?",
                (event_id, status, _SEPARATOR, int(continued), now, workflow_id, run_id),
            )
            db.execute(
                "INSERT OR IGNORE INTO sent VALUES (?, ?, ?, ?, ?, ?)",
                (notification_id, workflow_id, run_id, event_id, status, now),
            )

        await self._run(write)

    async def advance(
        self,
        workflow_id: str,
        run_id: str,
        last_event_id: int,
        *,
        continued: bool,
        close_time: float | None,
    ) -> None:
        now = time.time()
        done = close_time is not None

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO runs (workflow_id, run_id, updated) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (workflow_id, run_id, now),
            )
            db.execute(
                "UPDATE runs SET last_event_id = max(last_event_id, ?), continued = ?,"
                " done = ?, close_time = ?, updated = ? WHERE workflow_id = ? AND run_id = ?",
                (last_event_id, int(continued), int(done), close_time, now, workflow_id, run_id),
            )

        await self._run(write)

    async def prune(self, closed_before: float) -> int:
        def delete(db: sqlite3.Connection) -> int:
            count = db.execute(
                "DELETE FROM runs WHERE done = 1 AND close_time < ?", (closed_before,)
            ).rowcount
            if count:
                db.execute(
                    "DELETE FROM sent WHERE NOT EXISTS (SELECT 1 FROM runs WHERE"
                    " runs.workflow_id = sent.workflow_id AND runs.run_id = sent.run_id)"
                )
            return count

        return await self._run(delete)

    async def sent(self) -> list[tuple[str, str]]:
        def get(db: sqlite3.Connection) -> list[tuple[str, str]]:
            rows = db.execute("SELECT notification_id, status FROM sent ORDER BY rowid").fetchall()
            return [(str(a), str(b)) for a, b in rows]

        return await self._run(get)
