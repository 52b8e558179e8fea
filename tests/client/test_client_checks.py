"""Start, signal and activity completion are checked at the call, before anything is sent:
SWF's rules for ids, names, task lists, domains and payloads, and the target's
annotations for arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from swfasync import Client, workflow
from swfasync.exceptions import (
    ArgumentTypeError,
    PayloadError,
    PayloadTooLargeError,
    SwfServiceError,
    SwfValidationError,
)
from swfasync.testing import WorkflowEnvironment


@dataclass
class Order:
    item: str
    quantity: int


@workflow.defn(task_list="checks")
async def Echo(blob: str) -> str:
    return blob


@workflow.defn(task_list="checks")
class Shop:
    def __init__(self) -> None:
        self.orders: list[Order] = []

    @workflow.run
    async def run(self, owner: str, limit: int = 3, *notes: str) -> int:
        await workflow.wait_condition(lambda: len(self.orders) >= limit)
        return len(self.orders)

    @workflow.signal
    def add(self, order: Order) -> None:
        self.orders.append(order)

    @workflow.signal(name="close-shop")
    def close(self) -> None:
        pass


class NotJson:
    pass


async def nothing_started(env: WorkflowEnvironment) -> None:
    assert await env.client.count_workflows() == 0
    assert await env.client.count_workflows(status="CLOSED") == 0


async def test_arguments_are_checked_against_the_run_method() -> None:
    async with WorkflowEnvironment() as env:
        # Untyped: these calls are type errors (tests/typing checks that), made anyway to
        # check that the client refuses them at run time too.
        client: Any = env.client
        await env.client.register(workflows=[Echo, Shop], domain=False)
        with pytest.raises(ArgumentTypeError) as caught:
            await client.start_workflow(Echo, 42, id="e1")
        assert (caught.value.parameter, caught.value.expected) == ("blob", "str")
        assert caught.value.field == "workflow Echo.blob"
        assert caught.value.value == 42
        assert isinstance(caught.value, SwfValidationError)
        assert isinstance(caught.value, TypeError)
        with pytest.raises(ArgumentTypeError) as caught:
            await client.start_workflow(Echo, {"a", "b"}, id="e2")
        assert caught.value.parameter == "blob"
        with pytest.raises(ArgumentTypeError, match="missing") as caught:
            await client.start_workflow(Echo, id="e3")
        assert caught.value.parameter == "blob"
        with pytest.raises(ArgumentTypeError, match="takes 1 argument"):
            await client.start_workflow(Echo, "a", "b", id="e4")
        with pytest.raises(ArgumentTypeError) as caught:
            await client.start_workflow(Shop, "ann", "three", id="s1")
        assert (caught.value.parameter, caught.value.expected) == ("limit", "int")
        with pytest.raises(ArgumentTypeError) as caught:
            await client.start_workflow(Shop, "ann", 3, "fine", 7, id="s2")
        assert (caught.value.parameter, caught.value.expected) == ("*notes[1]", "str")
        with pytest.raises(PayloadError):
            await client.start_workflow(Echo, NotJson(), id="e5")
        await nothing_started(env)
        # What the worker would accept passes: defaults, *args, lax numbers from text.
        for index, args in enumerate((("ann",), ("ann", 2, "a", "b"), ("ann", "2"))):
            handle = await client.start_workflow(Shop, *args, id=f"fine-{index}")
            await handle.terminate()


async def test_signals_are_checked_against_the_class() -> None:
    async with WorkflowEnvironment() as env:
        await env.client.register_workflow(Shop)
        handle = await env.client.start_workflow(Shop, "ann", id="shop")
        with pytest.raises(SwfValidationError) as caught:
            await handle.signal("remove", 1)
        assert (caught.value.field, caught.value.rule) == ("signal_name", "declared")
        assert "add, close-shop" in str(caught.value)
        with pytest.raises(ArgumentTypeError) as typed:
            await handle.signal("add", {"item": "pen", "quantity": "many"})
        assert (typed.value.parameter, typed.value.expected) == ("order", "Order")
        with pytest.raises(ArgumentTypeError, match="missing"):
            await handle.signal("add")
        with pytest.raises(SwfValidationError) as caught:
            await handle.signal("")
        assert caught.value.rule == "length"
        kinds = [type(event).__name__ for event in await handle.history()]
        assert "WorkflowExecutionSignaled" not in kinds
        await handle.signal("add", {"item": "pen", "quantity": 2})
        await handle.signal("close-shop")
        # Without the class, the handle cannot know: a handler set at run time may exist.
        loose = await env.client.get_workflow_handle("shop")
        await loose.signal("remove", 1)
        known = await env.client.get_workflow_handle("shop", workflow=Shop)
        with pytest.raises(SwfValidationError):
            await known.signal("remove", 1)
        kinds = [type(event).__name__ for event in await handle.history()]
        assert kinds.count("WorkflowExecutionSignaled") == 3
        await handle.terminate()


Start = Callable[[Client], Awaitable[Any]]


def starts(**options: Any) -> Start:
    async def start(client: Client) -> Any:
        options.setdefault("id", "w")
        handle = await client.start_workflow(Echo, "x", **options)
        await handle.terminate()

    return start


# (field, rule, a start at SWF's limit, a start past it, the size and limit named)
CASES: list[tuple[str, str, Start, Start, tuple[int | None, int | None]]] = [
    ("workflow_id", "length", starts(id="w" * 256), starts(id="w" * 257), (257, 256)),
    (
        "workflow_id",
        "length",
        starts(id="\U0001f600" * 128),  # 256 UTF-16 code units
        starts(id="\U0001f600" * 128 + "w"),
        (257, 256),
    ),
    ("workflow_id", "characters", starts(id="order-42"), starts(id="order:42"), (None, None)),
    ("workflow_id", "characters", starts(id="arn-1"), starts(id="arn"), (None, None)),
    ("task_list", "length", starts(task_list="t" * 256), starts(task_list="t" * 257), (257, 256)),
    ("task_list", "characters", starts(task_list="a b"), starts(task_list=" ab"), (None, None)),
    ("tag_list", "length", starts(tag_list=["t"] * 5), starts(tag_list=["t"] * 6), (6, 5)),
    (
        "tag_list[0]",
        "length",
        starts(tag_list=["t" * 256]),
        starts(tag_list=["t" * 257]),
        (257, 256),
    ),
    (
        "task_priority",
        "range",
        starts(task_priority=2**31 - 1),
        starts(task_priority=2**31),
        (2**31, 2**31 - 1),
    ),
    (
        "execution_timeout",
        "range",
        starts(execution_timeout=timedelta(days=365)),
        starts(execution_timeout=timedelta(days=365, seconds=1)),
        (365 * 86400 + 1, 365 * 86400),
    ),
    (
        "task_timeout",
        "negative",
        starts(task_timeout=0),
        starts(task_timeout=-1),
        (None, 0),
    ),
]


@pytest.mark.parametrize(
    ("field", "rule", "at_limit", "past_limit", "sizes"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
async def test_swf_rules_at_and_past_the_limit(
    field: str,
    rule: str,
    at_limit: Start,
    past_limit: Start,
    sizes: tuple[int | None, int | None],
) -> None:
    async with WorkflowEnvironment() as env:
        await env.client.register_workflow(Echo)
        await at_limit(env.client)  # SWF (the strict dev server) takes it
        with pytest.raises(SwfValidationError) as caught:
            await past_limit(env.client)
        error = caught.value
        assert (error.field, error.rule) == (field, rule)
        size, limit = sizes
        if size is not None:
            assert error.size == size
            assert str(size) in str(error)
        if limit is not None:
            assert error.limit == limit
            assert str(limit) in str(error)
        assert await env.client.count_workflows() == 0


async def test_the_input_size_is_checked_in_swfs_units() -> None:
    async with WorkflowEnvironment() as env:
        await env.client.register_workflow(Echo)
        fits = "x" * (32_768 - 4)  # ["..."] is 4 characters more
        handle = await env.client.start_workflow(Echo, fits, id="fits")
        await handle.terminate()
        with pytest.raises(PayloadTooLargeError) as caught:
            await env.client.start_workflow(Echo, fits + "x", id="too-big")
        assert (caught.value.field, caught.value.size, caught.value.limit) == (
            "input",
            32_769,
            32_768,
        )


async def test_domains_and_task_tokens_are_checked() -> None:
    async with WorkflowEnvironment() as env:
        bad = Client.local(env.server.endpoint_url, "orders|eu")
        async with bad:
            with pytest.raises(SwfValidationError) as caught:
                await bad.start_workflow(Echo, "x", id="w")
            assert (caught.value.field, caught.value.rule) == ("domain", "characters")
        for call in (
            env.client.complete_activity("", "done"),
            env.client.fail_activity("t" * 1025, RuntimeError("no")),
            env.client.cancel_activity(""),
            env.client.heartbeat_activity(""),
        ):
            with pytest.raises(SwfValidationError) as caught:
                await call
            assert caught.value.field == "task_token"
        with pytest.raises(PayloadTooLargeError) as too_big:
            await env.client.complete_activity("some-token", "x" * 40_000)
        assert too_big.value.field == "result"


Call = Callable[[WorkflowEnvironment], Awaitable[Any]]


async def start_named(env: WorkflowEnvironment, *, name: str = "Echo", version: str = "1") -> Any:
    return await env.client.start_workflow(name, "x", version=version, id="named")


async def in_domain(env: WorkflowEnvironment, domain: str) -> Any:
    async with Client.local(env.server.endpoint_url, domain) as client:
        return await client.start_workflow(Echo, "x", id="w")


async def signal_named(env: WorkflowEnvironment, name: str) -> Any:
    handle = await env.client.get_workflow_handle("w", "r")  # no class: only SWF's rules
    return await handle.signal(name)


# (field, at SWF's limit, past it, the size and limit named). At the limit the call is
# sent and SWF answers for itself (these names are unknown to it); past it, nothing is sent.
SENT_CASES: list[tuple[str, Call, Call, int, int]] = [
    (
        "domain",
        lambda env: in_domain(env, "d" * 256),
        lambda env: in_domain(env, "d" * 257),
        257,
        256,
    ),
    (
        "workflow type name",
        lambda env: start_named(env, name="n" * 256),
        lambda env: start_named(env, name="n" * 257),
        257,
        256,
    ),
    (
        "workflow type version",
        lambda env: start_named(env, version="v" * 64),
        lambda env: start_named(env, version="v" * 65),
        65,
        64,
    ),
    (
        "signal_name",
        lambda env: signal_named(env, "s" * 256),
        lambda env: signal_named(env, "s" * 257),
        257,
        256,
    ),
    (
        "task_token",
        lambda env: env.client.complete_activity("t" * 1024),
        lambda env: env.client.complete_activity("t" * 1025),
        1025,
        1024,
    ),
]


@pytest.mark.parametrize(
    ("field", "at_limit", "past_limit", "size", "limit"),
    SENT_CASES,
    ids=[case[0] for case in SENT_CASES],
)
async def test_names_at_the_limit_reach_swf_and_past_it_do_not(
    field: str, at_limit: Call, past_limit: Call, size: int, limit: int
) -> None:
    async with WorkflowEnvironment() as env:
        with pytest.raises(SwfServiceError) as answered:  # SWF's own answer: it was sent
            await at_limit(env)
        assert answered.value.code == "UnknownResourceFault"
        with pytest.raises(SwfValidationError) as refused:
            await past_limit(env)
        error = refused.value
        assert (error.field, error.rule, error.size, error.limit) == (field, "length", size, limit)
        assert str(size) in str(error)
        assert str(limit) in str(error)
