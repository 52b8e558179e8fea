"""Listing and counting executions: SWF's filters, its pages, and the rows they give.

SWF lists open executions by start time and closed ones by close time, takes at most one
of its other filters per request, and pages its answers. The client's listing hides the
paging (``list_workflows`` returns every page) and picks the one filter SWF allows from
what the caller gave, in a fixed order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Self, cast

import msgspec

from .._wire import api
from .._wire.codec import timestamp_to_datetime
from .._wire.common import CloseStatus

if TYPE_CHECKING:
    from .client import Client

# Where a listing starts when the caller names no date: SWF wants one, and keeps closed
# runs for the domain's retention period only.
EPOCH: Final = datetime(1970, 1, 2, tzinfo=UTC)

ListRequest = api.ListOpenWorkflowExecutionsInput | api.ListClosedWorkflowExecutionsInput
CountRequest = api.CountOpenWorkflowExecutionsInput | api.CountClosedWorkflowExecutionsInput


@dataclass(frozen=True)
class ExecutionRecord:
    """What a listed run (``WorkflowExecutionSummary``) and a described one
    (``WorkflowDescription``) both say of an execution: their first fields."""

    workflow_id: str
    run_id: str
    workflow_type: str
    workflow_version: str
    status: str
    close_status: str | None
    start_time: datetime
    close_time: datetime | None

    @classmethod
    def from_info(cls, info: api.WorkflowExecutionInfo, **more: Any) -> Self:
        """SWF's execution info as this record, ``more`` giving the subclass's own fields."""
        return cls(
            workflow_id=info.execution.workflow_id,
            run_id=info.execution.run_id,
            workflow_type=info.workflow_type.name,
            workflow_version=info.workflow_type.version,
            status=info.execution_status,
            close_status=info.close_status,
            start_time=timestamp_to_datetime(info.start_timestamp),
            close_time=(
                None
                if info.close_timestamp is None
                else timestamp_to_datetime(info.close_timestamp)
            ),
            **more,
        )


@dataclass(frozen=True)
class WorkflowExecutionSummary(ExecutionRecord):
    """One row of ``Client.list_workflows``."""

    tags: tuple[str, ...]

    @classmethod
    def of(cls, info: api.WorkflowExecutionInfo) -> WorkflowExecutionSummary:
        return cls.from_info(info, tags=tuple(info.tag_list or ()))


@dataclass(frozen=True)
class Filters:
    """The one filter of a listing SWF accepts besides its time filter (at most one of
    these is set), and the time filter itself."""

    since: api.ExecutionTimeFilter
    execution: api.WorkflowExecutionFilter | None = None
    kind: api.WorkflowTypeFilter | None = None
    tag: api.TagFilter | None = None
    close_status: api.CloseStatusFilter | None = None

    @classmethod
    def of(
        cls,
        *,
        status: str,
        workflow_id: str | None = None,
        workflow_type: str | None = None,
        tag: str | None = None,
        close_status: str | None = None,
        oldest: datetime | None = None,
    ) -> Filters:
        """The filters for the caller's choice: the first given of ``workflow_id``,
        ``workflow_type``, ``tag`` and (closed executions only) ``close_status``."""
        since = oldest or EPOCH
        if since.tzinfo is None:  # botocore's reading of a naive datetime
            since = since.replace(tzinfo=UTC)
        time_filter = api.ExecutionTimeFilter(oldest_date=since.timestamp())
        if workflow_id:
            return cls(time_filter, execution=api.WorkflowExecutionFilter(workflow_id=workflow_id))
        if workflow_type:
            return cls(time_filter, kind=api.WorkflowTypeFilter(name=workflow_type))
        if tag:
            return cls(time_filter, tag=api.TagFilter(tag=tag))
        if close_status and status != "OPEN":
            # Unchecked here, as before: SWF names a status it does not know.
            status_filter = api.CloseStatusFilter(status=cast("CloseStatus", close_status))
            return cls(time_filter, close_status=status_filter)
        return cls(time_filter)


def _filter_fields(status: str, filters: Filters) -> dict[str, Any]:
    """The members the list and count requests of open (``status="OPEN"``) or closed
    executions share: open ones filter on their start time, closed ones on their close
    time and status."""
    fields: dict[str, Any] = {
        "execution_filter": filters.execution,
        "type_filter": filters.kind,
        "tag_filter": filters.tag,
    }
    if status == "OPEN":
        fields["start_time_filter"] = filters.since
    else:
        fields["close_time_filter"] = filters.since
        fields["close_status_filter"] = filters.close_status
    return fields


def list_request(
    domain: str, status: str, filters: Filters, *, page_size: int | None = None
) -> ListRequest:
    """ListOpenWorkflowExecutions (``status="OPEN"``) or ListClosedWorkflowExecutions."""
    kind = (
        api.ListOpenWorkflowExecutionsInput
        if status == "OPEN"
        else api.ListClosedWorkflowExecutionsInput
    )
    return kind(domain=domain, maximum_page_size=page_size, **_filter_fields(status, filters))


def count_request(domain: str, status: str, filters: Filters) -> CountRequest:
    """CountOpenWorkflowExecutions (``status="OPEN"``) or CountClosedWorkflowExecutions."""
    kind = (
        api.CountOpenWorkflowExecutionsInput
        if status == "OPEN"
        else api.CountClosedWorkflowExecutionsInput
    )
    return kind(domain=domain, **_filter_fields(status, filters))


async def execution_infos(
    client: Client, request: ListRequest
) -> AsyncIterator[api.WorkflowExecutionInfo]:
    """Every execution ``request`` lists, page after page, in SWF's order (newest first)."""
    while True:
        page = await client._send(request)
        for info in page.execution_infos:
            yield info
        if not page.next_page_token:
            return
        request = msgspec.structs.replace(request, next_page_token=page.next_page_token)


async def list_workflows(
    client: Client, status: str, filters: Filters
) -> list[WorkflowExecutionSummary]:
    """``Client.list_workflows``: every page, as summaries."""
    request = list_request(client.domain, status, filters)
    return [WorkflowExecutionSummary.of(info) async for info in execution_infos(client, request)]


async def count_workflows(client: Client, status: str, filters: Filters) -> int:
    """``Client.count_workflows``."""
    answer = await client._send(count_request(client.domain, status, filters))
    return answer.count
