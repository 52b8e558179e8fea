"""WorkflowDescription.raw keeps the shape botocore gives an answer, read from the Struct."""

from __future__ import annotations

from datetime import UTC, datetime

from swfasync._client.botocore_json import botocore_json
from swfasync._wire import api
from swfasync._wire.common import TaskList, WorkflowExecution, WorkflowType


def test_an_answer_struct_reads_as_botocores_dict() -> None:
    detail = api.WorkflowExecutionDetail(
        execution_info=api.WorkflowExecutionInfo(
            execution=WorkflowExecution(workflow_id="w", run_id="r"),
            workflow_type=WorkflowType(name="Order", version="1"),
            start_timestamp=1_700_000_000.5,
            execution_status="OPEN",
            tag_list=["a"],
        ),
        execution_configuration=api.WorkflowExecutionConfiguration(
            task_start_to_close_timeout="10",
            execution_start_to_close_timeout="60",
            task_list=TaskList(name="t"),
            child_policy="TERMINATE",
        ),
        open_counts=api.WorkflowExecutionOpenCounts(
            open_activity_tasks=1,
            open_decision_tasks=0,
            open_timers=0,
            open_child_workflow_executions=0,
        ),
    )
    raw = botocore_json(detail)
    info = raw["executionInfo"]
    assert info["execution"] == {"workflowId": "w", "runId": "r"}
    assert info["startTimestamp"] == datetime.fromtimestamp(1_700_000_000.5, UTC)
    assert info["tagList"] == ["a"]
    assert "closeTimestamp" not in info  # absent members stay absent
    assert "latestExecutionContext" not in raw
    assert raw["openCounts"]["openActivityTasks"] == 1
    assert raw["executionConfiguration"]["taskList"] == {"name": "t"}
