"""The API of activity code: declaring activity types.

Example::

    from datetime import timedelta
    from swfasync import activity

    @activity.defn(version="1", start_to_close_timeout=timedelta(minutes=5))
    async def charge(order_id: str, amount: int) -> str:
        ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from ._engine.definitions import ActivityDefinition as ActivityDefinition
from ._engine.definitions import Duration, define_activity

__all__ = ("ActivityDefinition", "defn")

F = TypeVar("F", bound=Callable[..., Any])


@overload
def defn(fn: F, /) -> F: ...


@overload
def defn(
    *,
    name: str | None = None,
    version: str = "1",
    task_list: str | None = None,
    schedule_to_start_timeout: Duration | None = None,
    schedule_to_close_timeout: Duration | None = None,
    start_to_close_timeout: Duration | None = None,
    heartbeat_timeout: Duration | None = None,
    task_priority: int | None = None,
    description: str | None = None,
) -> Callable[[F], F]: ...


def defn(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    version: str = "1",
    task_list: str | None = None,
    schedule_to_start_timeout: Duration | None = None,
    schedule_to_close_timeout: Duration | None = None,
    start_to_close_timeout: Duration | None = None,
    heartbeat_timeout: Duration | None = None,
    task_priority: int | None = None,
    description: str | None = None,
) -> Any:
    """Declare an activity type implemented by a sync or async function.

    The options are the type's registration defaults (name defaults to the function
    name); a workflow may override any of them per call. Sync functions run in threads.
    """

    def decorate(target: F) -> F:
        define_activity(
            target,
            name=name,
            version=version,
            task_list=task_list,
            schedule_to_start_timeout=schedule_to_start_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout,
            start_to_close_timeout=start_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout,
            task_priority=task_priority,
            description=description,
        )
        return target

    return decorate(fn) if fn is not None else decorate
