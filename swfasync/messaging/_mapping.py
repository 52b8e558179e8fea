"""From a decoded message to a workflow start.

A mapping is any callable taking the decoded message and returning a :class:`StartRequest`
(which workflow, under which id, with which arguments, and the app id, slug and job number
the notifier reports). :class:`SubmissionMapping` is the one for the default schema: the
slug names the workflow type, the arguments bind to the run method's parameters by name,
and the workflow id is derived from the app id and the job number, so the same job sent
twice names the same execution.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .._engine.definitions import WorkflowDefinition, workflow_definition
from ._errors import Rejected
from ._schema import File, FileArgument, Submission

# Characters kept as they are in a derived workflow id; everything else is %XX-escaped
# (UTF-8), so the separator below never occurs inside a part and two different
# (app id, job number) pairs never make the same id. SWF refuses ':', '/', '|' and
# control characters in workflow ids; none of them survive the escaping.
_SAFE: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-@")
ID_SEPARATOR: Final = "+"


def _escape(text: str) -> str:
    return "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def workflow_id_for(app_id: str, job_number: str, *, prefix: str = "") -> str:
    """The workflow id of a job: ``<prefix><app id>+<job number>``, escaped.

    Example::

        >>> workflow_id_for("my_awesome_app", "00000000")
        'my_awesome_app+00000000'
        >>> workflow_id_for("a/b", "1 2")
        'a%2Fb+1%202'
    """
    return f"{prefix}{_escape(app_id)}{ID_SEPARATOR}{_escape(job_number)}"


@dataclass(frozen=True)
class StartRequest:
    """One workflow start, as a mapping decides it.

    Attributes:
        workflow: the ``@workflow.defn`` class or function to start.
        workflow_id: the execution's id; the same message must always give the same id,
            which is what makes a redelivered message find its run.
        args: the run method's arguments, in order.
        app_id, slug, job_number: what the status notifications report (and filter on);
            they are recorded on the execution as SWF tags.
        options: further keyword arguments for ``Client.start_workflow`` (``task_list``,
            ``execution_timeout`` ...); not ``id``, ``id_reuse_policy`` or ``tag_list``,
            which the consumer sets.
    """

    workflow: Any
    workflow_id: str
    args: Sequence[Any]
    app_id: str | None = None
    slug: str | None = None
    job_number: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


def run_parameters(workflow: Any) -> list[inspect.Parameter]:
    """The parameters a workflow's run method takes from its input, in order."""
    definition: WorkflowDefinition = workflow_definition(workflow)
    if isinstance(workflow, type):
        signature = inspect.signature(getattr(workflow, definition.run_method))
        return list(signature.parameters.values())[1:]
    return list(inspect.signature(workflow).parameters.values())


def bind_by_name(workflow: Any, named: Sequence[tuple[str, Any]], *, where: str = "$") -> list[Any]:
    """Order named values as the run method's parameters; defaults fill the gaps.

    Raises:
        Rejected: ``invalid_arguments`` for a name the method does not take, a name given
            twice, or a parameter without a default that no argument names.
    """
    params = run_parameters(workflow)
    by_name = {p.name: p for p in params}
    values: dict[str, Any] = {}
    for index, (name, value) in enumerate(named):
        param = by_name.get(name)
        if param is None or param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            takes = ", ".join(by_name) or "no arguments"
            raise Rejected(
                "invalid_arguments",
                f"argument {name!r} is not a parameter of the workflow (it takes {takes})",
                field=f"{where}[{index}].name",
            )
        if name in values:
            raise Rejected(
                "invalid_arguments",
                f"argument {name!r} is given twice",
                field=f"{where}[{index}].name",
            )
        values[name] = value
    # Parameters after the last one named keep their defaults in the workflow itself, so
    # the input is only what the message gave (and defaults between are filled in).
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    last = max((i for i, p in enumerate(positional) if p.name in values), default=-1)
    for param in positional[last + 1 :]:
        if param.default is param.empty:
            raise Rejected(
                "invalid_arguments",
                f"the workflow needs argument {param.name!r}, which the message does not give",
                field=where,
            )
    args: list[Any] = []
    for param in positional[: last + 1]:
        if param.name in values:
            args.append(values[param.name])
        elif param.default is not param.empty:
            args.append(param.default)
        else:
            raise Rejected(
                "invalid_arguments",
                f"the workflow needs argument {param.name!r}, which the message does not give",
                field=where,
            )
    return args


class SubmissionMapping:
    """The mapping for the default :class:`Submission` schema.

    Args:
        workflows: the workflows messages may start; each is found by its slug.
        slugs: slug -> workflow, for slugs that are not the workflow type's name.
        id_prefix: put before every derived workflow id (e.g. to keep apart two queues
            that share a domain).
    """

    def __init__(
        self,
        workflows: Iterable[Any] = (),
        *,
        slugs: Mapping[str, Any] | None = None,
        id_prefix: str = "",
    ) -> None:
        self.workflows: dict[str, Any] = {}
        for workflow in workflows:
            self.workflows[workflow_definition(workflow).name] = workflow
        for slug, workflow in (slugs or {}).items():
            workflow_definition(workflow)  # a clear error now, not at the first message
            self.workflows[slug] = workflow
        self.id_prefix = id_prefix

    def __call__(self, message: Submission) -> StartRequest:
        workflow = self.workflows.get(message.workflow_slug)
        if workflow is None:
            known = ", ".join(sorted(self.workflows)) or "none"
            raise Rejected(
                "unknown_workflow",
                f"no workflow has the slug {message.workflow_slug!r} (known: {known})",
                field="$.AWF_workflow_slug",
            )
        named = [
            (
                argument.name,
                File(
                    value=argument.value,
                    url=argument.properties.url,
                    mime_type=argument.properties.mime_type,
                )
                if isinstance(argument, FileArgument)
                else argument.value,
            )
            for argument in message.workflow_arguments
        ]
        args = bind_by_name(workflow, named, where="$.AWF_workflow_arguments")
        return StartRequest(
            workflow=workflow,
            workflow_id=workflow_id_for(message.app_id, message.job_number, prefix=self.id_prefix),
            args=args,
            app_id=message.app_id,
            slug=message.workflow_slug,
            job_number=message.job_number,
        )
