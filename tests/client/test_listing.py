"""The listing's one filter: SWF takes at most one besides the time filter."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from swfasync._client import listing
from swfasync._wire import api


def test_the_first_given_filter_is_the_one_sent() -> None:
    filters = listing.Filters.of(
        status="CLOSED", workflow_type="Order", tag="t", close_status="FAILED"
    )
    request = listing.list_request("d", "CLOSED", filters)
    assert isinstance(request, api.ListClosedWorkflowExecutionsInput)
    assert msgspec.to_builtins(request) == {
        "domain": "d",
        "closeTimeFilter": {"oldestDate": 86400.0},
        "typeFilter": {"name": "Order"},
    }


def test_close_status_filters_closed_executions_only() -> None:
    closed = listing.Filters.of(status="CLOSED", close_status="FAILED")
    assert closed.close_status == api.CloseStatusFilter(status="FAILED")
    assert listing.Filters.of(status="OPEN", close_status="FAILED").close_status is None


def test_open_executions_are_listed_and_counted_by_start_time() -> None:
    oldest = datetime(2024, 1, 1)  # naive: UTC, as botocore reads it
    filters = listing.Filters.of(status="OPEN", workflow_id="w", oldest=oldest)
    since = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    listed = listing.list_request("d", "OPEN", filters, page_size=1)
    assert listed == api.ListOpenWorkflowExecutionsInput(
        domain="d",
        start_time_filter=api.ExecutionTimeFilter(oldest_date=since),
        execution_filter=api.WorkflowExecutionFilter(workflow_id="w"),
        maximum_page_size=1,
    )
    counted = listing.count_request("d", "OPEN", filters)
    assert isinstance(counted, api.CountOpenWorkflowExecutionsInput)
    assert counted.start_time_filter == listed.start_time_filter
