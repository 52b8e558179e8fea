"""Client: start and inspect workflow executions, register types, finish activities by token.

``Client`` is the one public class, so its methods keep the signatures, overloads and
docstrings users read; the work is done where each concern lives: the connections and
retries in :mod:`.channel`, starts and their id reuse policies in :mod:`.starting`,
listing in :mod:`.listing`, registration in :mod:`.registration`, activities finished by
token in :mod:`.task_tokens`, one execution in :mod:`.handle`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from types import EllipsisType, TracebackType
from typing import Any, TypeVar, Unpack, overload

from botocore.config import Config

from .._engine.definitions import ChildPolicy, Duration, activity_definition, workflow_definition
from .._log import get_logger
from .._payloads.data_converter import DEFAULT_DATA_CONVERTER, DataConverter
from .._typing import (
    T1,
    T2,
    T3,
    T4,
    T5,
    Run0,
    Run1,
    Run2,
    Run3,
    Run4,
    Run5,
    StartWorkflowOptions,
    Ts,
    WorkflowClass,
)
from .._wire.common import Answer, Request
from ..exceptions import WorkflowNotFoundError
from . import checks, listing, registration, starting, task_tokens
from .channel import Channel
from .handle import WorkflowHandle
from .listing import WorkflowExecutionSummary as WorkflowExecutionSummary
from .starting import IdReusePolicy as IdReusePolicy

log = get_logger("swfasync.client")

R = TypeVar("R")

# How long a call keeps retrying connection failures, throttling and 5xx answers.
DEFAULT_RETRY_TIMEOUT = 60.0


class Client:
    """A connection to one SWF domain (Amazon SWF or the dev server).

    Example::

        async with Client("orders", endpoint_url="http://127.0.0.1:8080") as client:
            handle = await client.start_workflow(Order, "o-1", 42, id="order-o-1")
            print(await handle.result())

    Region, credentials and endpoint follow the standard AWS configuration (environment
    variables, ``~/.aws``, instance roles) unless given here. ``Client.local`` fills in
    placeholder credentials for the dev server.

    Every call retries connection failures, throttling and SWF's 5xx answers with
    jittered backoff for up to ``retry_timeout`` seconds, whatever other calls did, then
    raises the error from :mod:`swfasync.exceptions` (``SwfConnectionError`` naming the
    endpoint, ``ThrottlingError`` ...). For a shorter bound on one call, wrap it in
    ``anyio.fail_after`` or ``asyncio.timeout``. ``WorkflowHandle.result()`` waits across
    outages until the execution closes.

    A call whose answer was lost may have taken effect: a signal may then arrive twice,
    and a retried start may find its own run (``WorkflowAlreadyStartedError``); the
    ``IDEMPOTENT`` start policy settles the latter.

    Args:
        domain: the SWF domain every call uses.
        swf: an already-open aiobotocore SWF client to use instead of creating one (the
            caller keeps closing it).
        raise_on_decision_failure: the default of ``WorkflowHandle.result()``'s option
            of that name: raise ``WorkflowDecisionFailedError`` as soon as a decision task
            of the awaited execution fails (``WorkflowEnvironment`` turns it on).
        retry_timeout: seconds a call keeps retrying what may pass (None: until
            cancelled).
        data_converter: how payloads are encoded and decoded (codecs, S3 offload, custom
            types: see :mod:`swfasync.converter`); workers made with this client use it
            too.
    """

    def __init__(
        self,
        domain: str,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        profile: str | None = None,
        config: Config | None = None,
        swf: Any = None,
        identity: str | None = None,
        raise_on_decision_failure: bool = False,
        retry_timeout: float | None = DEFAULT_RETRY_TIMEOUT,
        data_converter: DataConverter | None = None,
    ) -> None:
        self.domain = domain
        self.data_converter = data_converter or DEFAULT_DATA_CONVERTER
        self.retry_timeout = retry_timeout
        self.endpoint_url = endpoint_url
        self.identity = identity
        self.raise_on_decision_failure = raise_on_decision_failure
        options: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region_name,
            "aws_access_key_id": aws_access_key_id,
            "aws_secret_access_key": aws_secret_access_key,
            "aws_session_token": aws_session_token,
            "profile": profile,
            "config": config,
        }
        self._channel = Channel(domain, options, swf)
        self.log = log.bind(domain=domain)

    @classmethod
    def local(cls, endpoint_url: str, domain: str = "default", **kwargs: Any) -> Client:
        """A client for the dev server (placeholder credentials, ``us-east-1``)."""
        kwargs.setdefault("region_name", "us-east-1")
        kwargs.setdefault("aws_access_key_id", "local")
        kwargs.setdefault("aws_secret_access_key", "local")
        return cls(domain, endpoint_url=endpoint_url, **kwargs)

    async def __aenter__(self) -> Client:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def open(self) -> None:
        """Open the HTTP session (``async with`` does it for you)."""
        await self._channel.open()

    async def aclose(self) -> None:
        """Close the HTTP session this client opened."""
        await self._channel.aclose()

    @property
    def raw(self) -> Any:
        """The underlying aiobotocore SWF client, for anything this API does not cover.

        Its calls are plain aiobotocore: botocore's retries and ``ClientError``, none of
        the client's own retrying or error translation.
        """
        return self._channel.raw

    async def _send(
        self, request: Request[Answer], *, retry_for: float | EllipsisType | None = ...
    ) -> Answer:
        """One SWF request, retried and in SWF's terms; its answer (a wire Struct).

        ``retry_for`` overrides the client's ``retry_timeout`` for this call.
        """
        if isinstance(retry_for, EllipsisType):
            retry_for = self.retry_timeout
        return await self._channel.send(request, retry_for=retry_for)

    # -- registration -----------------------------------------------------------------------

    async def register_domain(
        self, *, retention_days: int | str = 1, description: str | None = None
    ) -> bool:
        """Register this client's domain; False if it already existed (not an error)."""
        request = registration.domain_request(self.domain, retention_days, description)
        return await registration.register(self, request, registration.DOMAIN_EXISTS)

    async def register_workflow(self, workflow: Any, *, task_list: str | None = None) -> bool:
        """Register a ``@workflow.defn`` type with its decorator's defaults (idempotent).

        ``task_list`` is the default task list when the decorator names none.
        """
        definition = workflow_definition(workflow)
        request = registration.workflow_type_request(self.domain, definition, task_list)
        return await registration.register(self, request, registration.TYPE_EXISTS)

    async def register_activity(self, activity: Any, *, task_list: str | None = None) -> bool:
        """Register an ``@activity.defn`` type with its decorator's defaults (idempotent)."""
        definition = activity_definition(activity)
        request = registration.activity_type_request(self.domain, definition, task_list)
        return await registration.register(self, request, registration.TYPE_EXISTS)

    async def register(
        self,
        *,
        workflows: Iterable[Any] = (),
        activities: Iterable[Any] = (),
        task_list: str | None = None,
        domain: bool = True,
    ) -> None:
        """Register the domain (optionally) and every given type; safe to repeat."""
        if domain:
            await self.register_domain()
        for workflow in workflows:
            await self.register_workflow(workflow, task_list=task_list)
        for activity in activities:
            await self.register_activity(activity, task_list=task_list)

    # -- executions -------------------------------------------------------------------------

    @overload
    async def start_workflow(
        self,
        workflow: type[Run0[R]],
        /,
        *,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: type[Run1[T1, R]],
        a1: T1,
        /,
        *,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: type[Run2[T1, T2, R]],
        a1: T1,
        a2: T2,
        /,
        *,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: type[Run3[T1, T2, T3, R]],
        a1: T1,
        a2: T2,
        a3: T3,
        /,
        *,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: type[Run4[T1, T2, T3, T4, R]],
        a1: T1,
        a2: T2,
        a3: T3,
        a4: T4,
        /,
        *,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: type[Run5[T1, T2, T3, T4, T5, R]],
        a1: T1,
        a2: T2,
        a3: T3,
        a4: T4,
        a5: T5,
        /,
        *,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: Callable[[*Ts], Awaitable[R]],
        /,
        *args: *Ts,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: str,
        /,
        *args: Any,
        result_type: type[R],
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def start_workflow(
        self,
        workflow: str,
        /,
        *args: Any,
        result_type: None = ...,
        **options: Unpack[StartWorkflowOptions],
    ) -> WorkflowHandle[Any]: ...

    # mypy reports the implementation of overloads that unpack a TypeVarTuple as not
    # accepting their parameters, though it takes anything (``Any``): a false positive.
    async def start_workflow(  # type: ignore[misc]
        self,
        workflow: Any,
        *args: Any,
        id: str,
        version: str | None = None,
        task_list: str | None = None,
        id_reuse_policy: IdReusePolicy = IdReusePolicy.FAIL,
        execution_timeout: Duration | None = None,
        task_timeout: Duration | None = None,
        child_policy: ChildPolicy | None = None,
        tag_list: Sequence[str] | None = None,
        task_priority: int | None = None,
        lambda_role: str | None = None,
        result_type: Any = None,
    ) -> WorkflowHandle[Any]:
        """Start an execution of ``workflow`` (a ``@workflow.defn`` or a type name).

        Arguments are JSON-encoded as the execution's input. Options left out fall back to
        the type's registered defaults.

        Everything is checked before anything is sent: the domain, id, type, task list,
        tags, priority and timeouts against SWF's rules, the input's size, and, for a
        ``@workflow.defn``, the arguments against its run method's annotations (as the
        worker will decode them).

        Type checkers check the same: the handle is a ``WorkflowHandle[R]`` with ``R`` the
        run method's return type, and the arguments must fit it (for a class, a run
        method named ``run`` taking up to five arguments; a function, any number). Other
        classes are started by type name with ``version=`` and ``result_type=``.

        Raises:
            SwfValidationError: a value breaks one of SWF's rules (the error names the
                field, the value, the rule, and the size and limit where they apply).
            ArgumentTypeError: an argument does not fit its parameter's annotation, or
                one is missing or too many (names the parameter and the expected type).
            WorkflowAlreadyStartedError: an execution with ``id`` is open and the policy
                is ``FAIL``.
            WorkflowIdConflictError: the policy is ``IDEMPOTENT`` and ``id`` is bound to
                a run started with a different request.
        """
        return await starting.start_workflow(
            self,
            workflow,
            args,
            id=id,
            version=version,
            task_list=task_list,
            id_reuse_policy=id_reuse_policy,
            execution_timeout=execution_timeout,
            task_timeout=task_timeout,
            child_policy=child_policy,
            tag_list=tag_list,
            task_priority=task_priority,
            lambda_role=lambda_role,
            result_type=result_type,
        )

    @overload
    async def get_workflow_handle(
        self,
        workflow_id: str,
        run_id: str | None = ...,
        *,
        result_type: None = ...,
        workflow: type[WorkflowClass[*Ts, R]],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def get_workflow_handle(
        self,
        workflow_id: str,
        run_id: str | None = ...,
        *,
        result_type: None = ...,
        workflow: Callable[..., Awaitable[R]],
    ) -> WorkflowHandle[R]: ...

    @overload
    async def get_workflow_handle(
        self,
        workflow_id: str,
        run_id: str | None = ...,
        *,
        result_type: type[R],
        workflow: None = ...,
    ) -> WorkflowHandle[R]: ...

    @overload
    async def get_workflow_handle(
        self,
        workflow_id: str,
        run_id: str | None = ...,
        *,
        result_type: Any = ...,
        workflow: Any = ...,
    ) -> WorkflowHandle[Any]: ...

    async def get_workflow_handle(
        self,
        workflow_id: str,
        run_id: str | None = None,
        *,
        result_type: Any = Any,
        workflow: Any = None,
    ) -> WorkflowHandle[Any]:
        """A handle to an existing execution; without ``run_id``, its latest run.

        Given the ``@workflow.defn`` it runs, the handle checks signals against the class:
        a signal it does not declare, or arguments that do not fit the handler, are
        refused before they are sent. ``result_type`` then defaults to the run method's.
        """
        definition = workflow_definition(workflow) if workflow is not None else None
        if definition is not None and result_type is Any:
            result_type = definition.result_type
        checks.check_workflow_id(workflow_id)
        checks.check_run_id(run_id)
        if run_id is None:
            runs = await self.list_workflows(workflow_id=workflow_id, status="OPEN")
            if not runs:
                runs = await self.list_workflows(workflow_id=workflow_id, status="CLOSED")
            if not runs:
                raise WorkflowNotFoundError(
                    {"Error": {"Code": "UnknownResourceFault", "Message": "no run found"}},
                    "ListClosedWorkflowExecutions",
                    workflow_id=workflow_id,
                    run_id=None,
                    domain=self.domain,
                )
            run_id = max(runs, key=lambda r: r.start_time).run_id
        return WorkflowHandle(self, workflow_id, run_id, result_type, workflow=definition)

    async def list_workflows(
        self,
        *,
        status: str = "OPEN",
        workflow_id: str | None = None,
        workflow_type: str | None = None,
        tag: str | None = None,
        close_status: str | None = None,
        oldest: datetime | None = None,
    ) -> list[WorkflowExecutionSummary]:
        """Open (``status="OPEN"``) or closed executions, newest first, all pages.

        SWF takes one filter besides the time one: the first given of ``workflow_id``,
        ``workflow_type``, ``tag`` and (closed executions) ``close_status`` is used.
        """
        filters = listing.Filters.of(
            status=status,
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            tag=tag,
            close_status=close_status,
            oldest=oldest,
        )
        return await listing.list_workflows(self, status, filters)

    async def count_workflows(
        self,
        *,
        status: str = "OPEN",
        workflow_id: str | None = None,
        workflow_type: str | None = None,
        tag: str | None = None,
        close_status: str | None = None,
        oldest: datetime | None = None,
    ) -> int:
        """How many executions match (Count{Open,Closed}WorkflowExecutions)."""
        filters = listing.Filters.of(
            status=status,
            workflow_id=workflow_id,
            workflow_type=workflow_type,
            tag=tag,
            close_status=close_status,
            oldest=oldest,
        )
        return await listing.count_workflows(self, status, filters)

    # -- activities completed from outside (callback-with-token) -------------------------------

    async def complete_activity(self, task_token: str, result: Any = None) -> None:
        """Complete an activity task left open by ``activity.complete_async()``.

        Raises:
            ActivityTaskNotFoundError: the task is gone (completed, timed out, cancelled).
            SwfValidationError: the token or the result breaks SWF's rules.
        """
        await task_tokens.complete(self, task_token, result)

    async def fail_activity(self, task_token: str, error: BaseException) -> None:
        """Fail an open activity task with ``error`` (reason and details within limits)."""
        await task_tokens.fail(self, task_token, error)

    async def cancel_activity(self, task_token: str, details: Any = None) -> None:
        """Report an open activity task as cancelled."""
        await task_tokens.cancel(self, task_token, details)

    async def heartbeat_activity(self, task_token: str, *details: Any) -> bool:
        """Heartbeat an open activity task; True if its cancellation was requested."""
        return await task_tokens.heartbeat(self, task_token, details)
