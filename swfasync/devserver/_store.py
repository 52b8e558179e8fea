"""SQLite persistence: write-through, one transaction per request or timer firing that
changed something. A dev server without a database file keeps its state in its own
dictionaries only, with no store at all. A transaction that fails (a full disk, a locked
file) is rolled back and its changes go with the next one: the backend records a change as
written only once it has committed.

In WAL mode with ``synchronous=NORMAL`` a committed transaction survives the process
being killed (it would not survive losing power; a dev server does not need that).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import msgspec

from ._state import Domain, Execution, TypeRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS types (key TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS executions (run_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, event_id INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (run_id, event_id)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """The dev server's SQLite database file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- loading ----------------------------------------------------------------------

    def domains(self) -> Iterator[Domain]:
        for (body,) in self._db.execute("SELECT body FROM domains"):
            yield msgspec.json.decode(body, type=Domain)

    def types(self) -> Iterator[TypeRecord]:
        for (body,) in self._db.execute("SELECT body FROM types"):
            yield msgspec.json.decode(body, type=TypeRecord)

    def executions(self) -> Iterator[Execution]:
        for (body,) in self._db.execute("SELECT body FROM executions"):
            yield msgspec.json.decode(body, type=Execution)

    def events(self, run_id: str) -> list[msgspec.Raw]:
        """An execution's history, each event as the JSON it was recorded as."""
        rows = self._db.execute(
            "SELECT body FROM events WHERE run_id = ? ORDER BY event_id", (run_id,)
        )
        return [msgspec.Raw(body) for (body,) in rows]

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- writing (inside ``transaction``) ---------------------------------------------

    def begin(self) -> None:
        self._db.execute("BEGIN")

    def commit(self) -> None:
        self._db.execute("COMMIT")

    def rollback(self) -> None:
        # SQLite ends the transaction itself after some errors (a full disk, an I/O error);
        # a ROLLBACK then would fail and hide the error that caused it
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def put_domain(self, domain: Domain) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO domains VALUES (?, ?)",
            (domain.name, msgspec.json.encode(domain)),
        )

    def put_type(self, record: TypeRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO types VALUES (?, ?)", (record.key, msgspec.json.encode(record))
        )

    def delete_type(self, key: str) -> None:
        self._db.execute("DELETE FROM types WHERE key = ?", (key,))

    def put_execution(
        self, ex: Execution, first_event_id: int, new_events: list[msgspec.Raw]
    ) -> None:
        """Write ``ex`` and the events it recorded since the last write, the first of which
        has id ``first_event_id``."""
        self._db.execute(
            "INSERT OR REPLACE INTO executions VALUES (?, ?)", (ex.run_id, msgspec.json.encode(ex))
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO events VALUES (?, ?, ?)",
            [(ex.run_id, first_event_id + i, event) for i, event in enumerate(new_events)],
        )

    def delete_execution(self, run_id: str) -> None:
        self._db.execute("DELETE FROM executions WHERE run_id = ?", (run_id,))
        self._db.execute("DELETE FROM events WHERE run_id = ?", (run_id,))

    def put_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
