"""Starting an execution: the request checked and built, and what an id in use means.

Everything about a start is checked before anything is sent, so a mistake is reported
with the field it is in, not as SWF's fault about a request the caller never saw. The
start then follows the caller's ``IdReusePolicy``: SWF itself only refuses a second open
execution under one id, and each policy is an answer to that refusal (IDEMPOTENT's, the
one that also looks at closed runs, is in :mod:`.idempotency`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from .._engine.definitions import (
    ChildPolicy,
    Duration,
    WorkflowDefinition,
    swf_duration,
    workflow_definition,
)
from .._wire import api, rules
from .._wire.common import TaskList, WorkflowType
from ..exceptions import (
    SwfConnectionError,
    SwfServiceError,
    SwfValidationError,
    WorkflowAlreadyStartedError,
)
from . import checks, idempotency
from .handle import WorkflowHandle

if TYPE_CHECKING:
    from .client import Client

ALREADY_STARTED: Final = "WorkflowExecutionAlreadyStartedFault"


class IdReusePolicy(enum.Enum):
    """What ``start_workflow`` does when the workflow id is already in use.

    SWF itself allows one open execution per workflow id; a closed one never blocks a
    start. Only ``IDEMPOTENT`` looks at closed runs.
    """

    FAIL = "fail"
    """An open execution with the id: raise ``WorkflowAlreadyStartedError``."""
    USE_EXISTING = "use_existing"
    """An open execution with the id: return a handle to it, whatever request started it.

    Open runs only: once that run has closed, the same call starts a new run. A retried
    start that must never run twice (a payment) wants ``IDEMPOTENT``.
    """
    TERMINATE_EXISTING = "terminate_existing"
    """An open execution with the id: terminate it and start a new one."""
    IDEMPOTENT = "idempotent"
    """Step Functions' rule: the id names the first request made with it.

    The same request (workflow type, version and encoded input) returns the existing run,
    open or closed, with ``newly_started`` False; a different request raises
    ``WorkflowIdConflictError`` naming the run. A closed run is found while SWF keeps it:
    the domain's retention period (``workflowExecutionRetentionPeriodInDays``). After
    that the id is free again and the same request starts a new run. The request's
    fingerprint travels as one of the execution's tags, so it takes one of SWF's five.
    """


async def start_workflow(
    client: Client,
    workflow: Any,
    args: tuple[Any, ...],
    *,
    id: str,
    version: str | None,
    task_list: str | None,
    id_reuse_policy: IdReusePolicy,
    execution_timeout: Duration | None,
    task_timeout: Duration | None,
    child_policy: ChildPolicy | None,
    tag_list: Sequence[str] | None,
    task_priority: int | None,
    lambda_role: str | None,
    result_type: Any,
) -> WorkflowHandle[Any]:
    """``Client.start_workflow``: check, build, start under ``id_reuse_policy``."""
    definition: WorkflowDefinition | None = None
    if isinstance(workflow, str):
        if version is None:
            raise SwfValidationError(
                "version",
                None,
                "required",
                f"workflow {workflow!r} named by string: pass version= too",
            )
        name, resolved_version, inferred = workflow, version, Any
    else:
        definition = workflow_definition(workflow)
        name = definition.name
        resolved_version = version or definition.version
        inferred = definition.result_type
        run, has_self = checks.run_function(workflow, definition)
        checks.check_arguments(f"workflow {name}", run, definition.param_types, args, has_self)
    checks.check_domain(client.domain)
    checks.check_workflow_id(id)
    checks.check_type(name, resolved_version)
    if task_list is not None:
        rules.check_name("task_list", task_list)
    if tag_list:
        rules.check_tags("tag_list", list(tag_list))
    if lambda_role is not None:
        rules.check_length("lambda_role", lambda_role, minimum=1)
    plain = client.data_converter.values.encode_args(args)
    request = api.StartWorkflowExecutionInput(
        domain=client.domain,
        workflow_id=id,
        workflow_type=WorkflowType(name=name, version=resolved_version),
        input=await client.data_converter.encode_text(plain, "input"),
        task_list=TaskList(name=task_list) if task_list else None,
        execution_start_to_close_timeout=swf_duration(
            execution_timeout, "execution_timeout", maximum=rules.MAX_EXECUTION_TIMEOUT
        ),
        task_start_to_close_timeout=swf_duration(task_timeout, "task_timeout"),
        child_policy=child_policy,
        tag_list=list(tag_list) if tag_list else None,
        task_priority=rules.check_priority("task_priority", str(task_priority))
        if task_priority is not None
        else None,
        lambda_role=lambda_role,
    )
    rtype = result_type if result_type is not None else inferred
    if id_reuse_policy is IdReusePolicy.IDEMPOTENT:
        return await _start_idempotently(client, request, plain, rtype, definition)
    try:
        started = await client._send(request)
    except SwfServiceError as error:
        if error.code != ALREADY_STARTED:
            raise
        if id_reuse_policy is IdReusePolicy.FAIL:
            raise WorkflowAlreadyStartedError(id) from error
        existing = await client.get_workflow_handle(
            id, result_type=rtype, workflow=workflow if definition else None
        )
        if id_reuse_policy is IdReusePolicy.USE_EXISTING:
            return existing
        await existing.terminate(reason="replaced by a new start (TERMINATE_EXISTING)")
        started = await client._send(request)
    run_id = _run_id(client, started)
    client.log.info("workflow_started", workflow_id=id, run_id=run_id, type=name)
    return WorkflowHandle(client, id, run_id, rtype, newly_started=True, workflow=definition)


def _run_id(client: Client, started: api.Run) -> str:
    # SWF's model leaves runId optional, but SWF always sends it: an answer without one
    # did not come from SWF.
    if started.run_id is None:
        endpoint = client.endpoint_url or "SWF"
        raise SwfConnectionError(endpoint, api.StartWorkflowExecutionInput.operation, 1, "no runId")
    return started.run_id


async def _start_idempotently(
    client: Client,
    request: api.StartWorkflowExecutionInput,
    plain_input: str,
    rtype: Any,
    definition: WorkflowDefinition | None,
) -> WorkflowHandle[Any]:
    kind, workflow_id = request.workflow_type, request.workflow_id
    # Of the converter's text, not of what codecs made of it (a nonce differs each time).
    tag = idempotency.fingerprint(kind.name, kind.version, plain_input)
    tags = [t for t in request.tag_list or () if t != tag]
    if len(tags) >= idempotency.MAX_TAGS:
        raise SwfValidationError(
            "tag_list",
            tags,
            "length",
            f"tag_list has {len(tags)} tags; an IDEMPOTENT start needs one of SWF's "
            f"{idempotency.MAX_TAGS} for its request's fingerprint",
            size=len(tags) + 1,
            limit=idempotency.MAX_TAGS,
        )
    tagged = msgspec.structs.replace(request, tag_list=[*tags, tag])

    async def start() -> str | None:
        try:
            started = await client._send(tagged)
        except SwfServiceError as error:
            if error.code == ALREADY_STARTED:
                return None
            raise
        return _run_id(client, started)

    run_id, started = await idempotency.start_idempotently(client, workflow_id, tag, start)
    event = "workflow_started" if started else "workflow_start_deduplicated"
    client.log.info(event, workflow_id=workflow_id, run_id=run_id, type=kind.name)
    return WorkflowHandle(
        client, workflow_id, run_id, rtype, newly_started=started, workflow=definition
    )
