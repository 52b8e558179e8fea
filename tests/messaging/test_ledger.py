"""SqliteLedger: what it keeps across a reopen, and what pruning forgets."""

from __future__ import annotations

from pathlib import Path

from swfasync.messaging import RunCursor, SqliteLedger


async def test_a_reopened_ledger_has_what_was_recorded(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    ledger = SqliteLedger(path)
    await ledger.open()
    assert await ledger.origin(100.0) == 100.0
    assert await ledger.cursor("w", "r") == RunCursor()
    await ledger.record_sent("w", "r", 1, "Workflow Created", "r:1", False)
    await ledger.record_sent("w", "r", 2, "Workflow Submitted", "r:2", False)
    await ledger.advance("w", "r", 4, continued=False, close_time=None)
    await ledger.set_checkpoint(50.0)
    await ledger.close()

    again = SqliteLedger(path)
    await again.open()
    assert await again.origin(999.0) == 100.0  # kept from the first open
    assert await again.checkpoint() == 50.0
    assert await again.cursor("w", "r") == RunCursor(
        last_event_id=4, statuses=frozenset({"Workflow Created", "Workflow Submitted"})
    )
    assert await again.sent() == [("r:1", "Workflow Created"), ("r:2", "Workflow Submitted")]
    await again.close()


async def test_pruning_forgets_done_runs_closed_before_the_window(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    await ledger.open()
    try:
        await ledger.record_sent("old", "r1", 1, "Workflow Created", "r1:1", False)
        await ledger.advance("old", "r1", 9, continued=False, close_time=10.0)
        await ledger.record_sent("new", "r2", 1, "Workflow Created", "r2:1", False)
        await ledger.advance("new", "r2", 9, continued=False, close_time=30.0)
        await ledger.record_sent("open", "r3", 1, "Workflow Created", "r3:1", True)
        assert (await ledger.cursor("old", "r1")).done
        assert await ledger.prune(20.0) == 1
        assert await ledger.cursor("old", "r1") == RunCursor()
        assert (await ledger.cursor("new", "r2")).done
        assert (await ledger.cursor("open", "r3")).continued
        assert [n for n, _ in await ledger.sent()] == ["r2:1", "r3:1"]
    finally:
        await ledger.close()
