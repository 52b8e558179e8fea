"""What the client checks before it sends a start, a signal or an activity's answer.

SWF's rules (:mod:`swfasync._wire.rules`) for ids, names, task lists, domains, tags,
priorities and payload sizes, and the target's annotations for arguments: an argument is
checked exactly as the worker will convert it (encoded as JSON, then converted to the
parameter's annotation), so a value the workflow could not receive is refused at the call
with an :class:`~swfasync.exceptions.ArgumentTypeError` naming the parameter and the
expected type, instead of failing the workflow's decision task later.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .._engine import converter
from .._engine.definitions import WorkflowDefinition
from .._wire import rules
from ..exceptions import ArgumentTypeError, SwfValidationError


def check_domain(domain: str) -> str:
    return rules.check_name("domain", domain)


def check_workflow_id(workflow_id: str) -> str:
    return rules.check_name("workflow_id", workflow_id)


def check_run_id(run_id: str | None) -> str | None:
    return None if run_id is None else rules.check_length("run_id", run_id, minimum=1)


def check_type(name: str, version: str) -> None:
    rules.check_name("workflow type name", name, rules.LIMITS["type_name"])
    rules.check_name("workflow type version", version, rules.LIMITS["type_version"])


def check_task_token(token: str) -> str:
    if not isinstance(token, str):
        raise SwfValidationError(
            "task_token", token, "type", f"task_token must be a string, not {type(token).__name__}"
        )
    return rules.check_length("task_token", token, minimum=1)


def check_signal_name(definition: WorkflowDefinition | None, name: str) -> None:
    """SWF's length rule; and, with the workflow's class known, that it declares ``name``."""
    if not isinstance(name, str):
        raise SwfValidationError(
            "signal_name", name, "type", f"signal_name must be a string, not {type(name).__name__}"
        )
    rules.check_length("signal_name", name, minimum=1)
    if definition is None or name in definition.signals:
        return
    declared = ", ".join(sorted(definition.signals)) or "none"
    raise SwfValidationError(
        "signal_name",
        name,
        "declared",
        f"workflow {definition.name} declares no signal {name!r} (its signals: {declared}); "
        "a handler registered at run time with workflow.set_signal_handler is signalled "
        "through a handle made without the workflow class",
    )


def run_function(target: Any, definition: WorkflowDefinition) -> tuple[Callable[..., Any], bool]:
    """The function a start's arguments go to, and whether its first parameter is ``self``:
    the run method of a workflow class, or the ``async def`` of the short form."""
    if isinstance(target, type):
        return getattr(definition.cls, definition.run_method), True
    return target, False


def check_signal_arguments(
    definition: WorkflowDefinition | None, name: str, args: Sequence[Any]
) -> None:
    """With the workflow's class known, ``args`` against the signal handler's annotations."""
    if definition is None or name not in definition.signals:
        return
    handler = getattr(definition.cls, definition.signals[name])
    types = converter.parameter_types(handler, skip_self=True)
    check_arguments(f"signal {name!r} of {definition.name}", handler, types, args, True)


def check_arguments(
    target: str, fn: Callable[..., Any], types: Sequence[Any], args: Sequence[Any], skip_self: bool
) -> None:
    """Refuse ``args`` that ``fn`` could not be called with once the worker decoded them."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return
    if skip_self:
        parameters = parameters[1:]
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    variadic = next((p for p in parameters if p.kind is p.VAR_POSITIONAL), None)
    if len(args) > len(positional) and variadic is None:
        extra = args[len(positional)]
        raise ArgumentTypeError(
            target,
            f"#{len(positional) + 1}",
            "nothing",
            extra,
            f"{target} takes {len(positional)} argument(s), {len(args)} were given",
        )
    for index, parameter in enumerate(positional[len(args) :], start=len(args)):
        if parameter.default is parameter.empty:
            expected = _expected(types[index] if index < len(types) else Any)
            raise ArgumentTypeError(
                target, parameter.name, expected, None, "it is missing", missing=True
            )
    for index, value in enumerate(args):
        if index < len(positional):
            name = positional[index].name
            annotation = types[index] if index < len(types) else Any
        else:
            assert variadic is not None
            name = f"*{variadic.name}[{index - len(positional)}]"
            last = types[-1] if types else Any
            annotation = last[1] if isinstance(last, tuple) else Any
        _check_value(target, name, annotation, value)


def _check_value(target: str, name: str, annotation: Any, value: Any) -> None:
    if annotation is Any or annotation is inspect.Parameter.empty:
        return
    try:
        wire = msgspec.json.decode(msgspec.json.encode(value))
    except (TypeError, msgspec.EncodeError):
        return  # the encoder names it, with the field, when the input is encoded
    try:
        msgspec.convert(wire, annotation, strict=False)
    except msgspec.ValidationError as error:
        raise ArgumentTypeError(
            target, name, _expected(annotation), value, f"as JSON it does not fit: {error}"
        ) from None
    except TypeError:
        return  # an annotation msgspec cannot convert to: the worker decides


def _expected(annotation: Any) -> str:
    if annotation is Any:
        return "any value"
    if isinstance(annotation, type):
        return annotation.__qualname__
    return str(annotation).replace("typing.", "")
