"""History files replay exactly: ``swfasync history --json`` keeps the execution's ids,
``Replayer`` and ``swfasync replay`` use them (or take them as options), and a bad file is
a HistoryError naming the file, the event id and the field, never a traceback or a false
non-determinism."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from swfasync.exceptions import HistoryError, NondeterminismError
from swfasync.testing import Replayer, WorkflowEnvironment, load_history
from tests.cli.histories_app import SeededChoice, noted
from tests.cli.test_cli import run_cli
from tests.conftest import recorded_history_files

APP = "tests.cli.histories_app"


@pytest.fixture
async def recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``swfasync history --json`` of a finished SeededChoice run, as a parsed body."""
    async with WorkflowEnvironment(
        workflows=[SeededChoice], activities=[noted], task_list="histories"
    ) as env:
        handle = await env.client.start_workflow(SeededChoice, "x", id="seeded-1")
        assert await handle.result() == "x"
        common = ("--endpoint-url", env.server.endpoint_url)
        capsys.readouterr()
        assert await run_cli("history", *common, "seeded-1", "--json") == 0
        out = capsys.readouterr().out.splitlines()
    capsys.readouterr()  # the environment's last log lines
    # The worker's log lines share stdout here: the body runs from "{" to "}".
    body: dict[str, Any] = json.loads("\n".join(out[out.index("{") : out.index("}") + 1]))
    capsys.readouterr()
    body["run_id"] = handle.run_id
    return body


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value))
    return path


async def test_history_json_replays_under_its_own_ids(
    recorded: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = recorded.pop("run_id")
    assert recorded["workflowExecution"] == {"workflowId": "seeded-1", "runId": run_id}
    assert recorded["workflowType"] == {"name": "SeededChoice", "version": "1"}
    file = write(tmp_path / "seeded.json", recorded)
    assert Replayer([SeededChoice]).replay(file).ok
    assert await run_cli("replay", str(file), "--workflows", APP) == 0
    assert capsys.readouterr().out.startswith("ok: SeededChoice/1")

    # A bare event list: under made-up ids the code decides otherwise, and says why.
    bare = write(tmp_path / "bare.json", recorded["events"])
    result = Replayer([SeededChoice]).replay(bare, raise_on_error=False)
    assert isinstance(result.error, NondeterminismError)
    assert result.assumed_ids == ("workflow_id", "run_id")
    assert await run_cli("replay", str(bare), "--workflows", APP) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "give --workflow-id and --run-id" in err
    # ... and given the ids, it replays.
    ids = ("--workflow-id", "seeded-1", "--run-id", run_id)
    assert await run_cli("replay", str(bare), "--workflows", APP, *ids) == 0
    assert Replayer([SeededChoice]).replay(bare, workflow_id="seeded-1", run_id=run_id).ok


def malformed(recorded: dict[str, Any]) -> dict[str, tuple[bytes, int | None, str | None]]:
    """name -> (file contents, the event id, the field the error must name)."""
    events = recorded["events"]
    body = json.dumps(recorded).encode()

    def changed(**replace: Any) -> bytes:
        copy = [dict(ev) for ev in events]
        for key, value in replace.items():
            index, field = key.split("__")
            if value is None:
                del copy[int(index)][field]
            else:
                copy[int(index)][field] = value
        return json.dumps({"events": copy}).encode()

    swapped = [dict(ev) for ev in events]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    dangling = [dict(ev) for ev in events]
    completed = next(
        i for i, ev in enumerate(dangling) if ev["eventType"] == "DecisionTaskCompleted"
    )
    attrs = dict(dangling[completed]["decisionTaskCompletedEventAttributes"])
    attrs["scheduledEventId"] = 999
    dangling[completed]["decisionTaskCompletedEventAttributes"] = attrs
    wrong = [dict(ev) for ev in events]
    scheduled = next(i for i, ev in enumerate(wrong) if ev["eventType"] == "ActivityTaskScheduled")
    attrs = dict(wrong[scheduled]["activityTaskScheduledEventAttributes"])
    attrs["activityId"] = 12
    wrong[scheduled]["activityTaskScheduledEventAttributes"] = attrs
    return {
        "truncated": (body[: len(body) // 2], None, None),
        "not JSON": (b"events: 1, 2, 3", None, None),
        "empty": (b"", None, None),
        "deeply nested": (b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None, None),
        "a number": (b"42", None, "(top level)"),
        "no events": (b'{"history": []}', None, "events"),
        "events not a list": (b'{"events": {"eventId": 1}}', None, "events"),
        "no events at all": (b'{"events": []}', None, "events"),
        "an event that is a string": (json.dumps({"events": ["x"]}).encode(), None, "events[0]"),
        "an event id that is text": (changed(**{"2__eventId": "3"}), None, "events[2].eventId"),
        "no event type": (changed(**{"1__eventType": None}), 2, "events[1].eventType"),
        "no timestamp": (changed(**{"1__eventTimestamp": None}), 2, "events[1].eventTimestamp"),
        "a duplicated id": (changed(**{"2__eventId": 2}), 2, "events[2].eventId"),
        "ids out of order": (json.dumps({"events": swapped}).encode(), 5, "events[3].eventId"),
        "a missing event": (
            json.dumps({"events": events[:3] + events[4:]}).encode(),
            5,
            "events[3].eventId",
        ),
        "a dangling reference": (
            json.dumps({"events": dangling}).encode(),
            completed + 1,
            f"events[{completed}].decisionTaskCompletedEventAttributes.scheduledEventId",
        ),
        "an attribute of the wrong type": (
            json.dumps({"events": wrong}).encode(),
            scheduled + 1,
            f"events[{scheduled}].activityTaskScheduledEventAttributes.activityId",
        ),
        "not starting with the start": (json.dumps({"events": events[1:]}).encode(), 2, None),
        "a page of a longer history": (
            json.dumps({"events": events, "nextPageToken": "more"}).encode(),
            None,
            "nextPageToken",
        ),
        "ids that are not the execution's": (
            json.dumps({"workflowExecution": {"workflowId": 7}, "events": events}).encode(),
            None,
            "workflowExecution.workflowId",
        ),
    }


async def test_a_malformed_file_is_a_history_error_naming_file_event_and_field(
    recorded: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded.pop("run_id")
    cases = malformed(recorded)
    for name, (contents, event_id, field) in cases.items():
        file = tmp_path / f"{name.replace(' ', '-')}.json"
        file.write_bytes(contents)
        with pytest.raises(HistoryError) as caught:
            Replayer([SeededChoice]).replay(file, raise_on_error=False)
        error = caught.value
        assert error.file == str(file), name
        assert str(error).startswith(str(file)), name
        if event_id is not None:
            assert error.event_id == event_id, (name, error)
        if field is not None:
            assert error.field == field, (name, error)
        # The command: one line, status 1, no traceback.
        assert await run_cli("replay", str(file), "--workflows", APP) == 1, name
        err = capsys.readouterr().err
        assert err.startswith(f"error: {file}"), (name, err)
        assert len(err.strip().splitlines()) == 1, (name, err)
    missing = tmp_path / "absent.json"
    with pytest.raises(HistoryError) as caught:
        load_history(missing)
    assert caught.value.file == str(missing)
    assert await run_cli("replay", str(missing), "--workflows", APP) == 1
    assert capsys.readouterr().err.startswith(f"error: {missing}: cannot read the history file")


def test_consistency_is_not_a_nondeterminism(recorded: dict[str, Any]) -> None:
    recorded.pop("run_id")
    events = recorded["events"]
    duplicated = [*events[:4], events[3], *events[4:]]
    with pytest.raises(HistoryError, match="appears twice"):
        Replayer([SeededChoice]).replay({"events": duplicated}, raise_on_error=False)


@pytest.mark.parametrize("path", recorded_history_files(), ids=lambda p: p.name)
def test_real_swf_histories_read_cleanly(path: Path) -> None:
    events = load_history(path)
    assert [event.event_id for event in events] == list(range(1, len(events) + 1))
    body = json.loads(path.read_text())
    if "workflowExecution" in body:
        from swfasync._testing.recorded import read_history

        recorded = read_history(path)
        assert recorded.workflow_id == body["workflowExecution"]["workflowId"]
        assert recorded.workflow_type == (
            body["workflowType"]["name"],
            body["workflowType"]["version"],
        )


def test_the_real_histories_are_used_when_present(shared_histories: Path) -> None:
    assert recorded_history_files(), f"{shared_histories} holds no history"


def test_a_path_given_as_text_is_pointed_out() -> None:
    with pytest.raises(HistoryError, match=r"pass a pathlib\.Path"):
        load_history("histories/order.json")
