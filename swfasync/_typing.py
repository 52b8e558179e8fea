"""Types shared by the typed signatures of the client and of workflow code.

Arguments are checked positionally: a workflow's or activity's input is a JSON array, and
the call's options are keyword arguments that a ``ParamSpec`` would not allow beside
``*args``. Functions are matched with a ``TypeVarTuple``; a class by its ``run`` method,
with one protocol per number of arguments passed (``Run0`` ... ``Run5``), which, unlike
a ``TypeVarTuple``, lets a call leave out parameters that have defaults.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Required, TypedDict, TypeVar, TypeVarTuple

from ._engine.definitions import SIGNAL_ATTR, ChildPolicy, Duration
from .exceptions import SwfValidationError

if TYPE_CHECKING:
    from ._client.client import IdReusePolicy

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
Ts = TypeVarTuple("Ts")


class WorkflowClass(Protocol[*Ts, R_co]):
    """A ``@workflow.defn`` class, typed by its ``run`` method: ``start_workflow(Order,
    ...)`` takes the arguments of ``Order.run`` and returns a handle to its result type."""

    def run(self, *args: *Ts) -> Awaitable[R_co]: ...


def signal_name_of(signal: Any) -> str:
    """The SWF signal name of a ``@workflow.signal`` method, or ``signal`` itself if a
    string."""
    if isinstance(signal, str):
        return signal
    name = getattr(signal, SIGNAL_ATTR, None)
    if not isinstance(name, str):
        raise SwfValidationError(
            "signal_name",
            signal,
            "required",
            f"{getattr(signal, '__qualname__', signal)!r} is not a @workflow.signal method:"
            " pass one, or the signal's name",
        )
    return name


# A class's run method by arity: unlike a TypeVarTuple, these match a run method whose
# trailing parameters have defaults (or are ``*args``) when the call leaves them out.
A1 = TypeVar("A1", contravariant=True)
A2 = TypeVar("A2", contravariant=True)
A3 = TypeVar("A3", contravariant=True)
A4 = TypeVar("A4", contravariant=True)
A5 = TypeVar("A5", contravariant=True)
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")


class Run0(Protocol[R_co]):
    def run(self) -> Awaitable[R_co]: ...


class Run1(Protocol[A1, R_co]):
    def run(self, a1: A1, /) -> Awaitable[R_co]: ...


class Run2(Protocol[A1, A2, R_co]):
    def run(self, a1: A1, a2: A2, /) -> Awaitable[R_co]: ...


class Run3(Protocol[A1, A2, A3, R_co]):
    def run(self, a1: A1, a2: A2, a3: A3, /) -> Awaitable[R_co]: ...


class Run4(Protocol[A1, A2, A3, A4, R_co]):
    def run(self, a1: A1, a2: A2, a3: A3, a4: A4, /) -> Awaitable[R_co]: ...


class Run5(Protocol[A1, A2, A3, A4, A5, R_co]):
    def run(self, a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, /) -> Awaitable[R_co]: ...


class StartWorkflowOptions(TypedDict, total=False):
    """``Client.start_workflow``'s options (see its docstring)."""

    id: Required[str]
    version: str | None
    task_list: str | None
    id_reuse_policy: IdReusePolicy
    execution_timeout: Duration | None
    task_timeout: Duration | None
    child_policy: ChildPolicy | None
    tag_list: Sequence[str] | None
    task_priority: int | None
    lambda_role: str | None


class ChildWorkflowOptions(TypedDict, total=False):
    """``workflow.start_child_workflow``'s options (see its docstring)."""

    workflow_id: str | None
    version: str | None
    task_list: str | None
    child_policy: ChildPolicy | None
    execution_start_to_close_timeout: Duration | None
    task_start_to_close_timeout: Duration | None
    tag_list: Sequence[str] | None
    task_priority: int | None
    lambda_role: str | None
