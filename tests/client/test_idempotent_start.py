"""IdReusePolicy.IDEMPOTENT against the dev server: one request, one execution."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from swfasync import IdReusePolicy, activity, workflow
from swfasync.exceptions import WorkflowAlreadyStartedError, WorkflowIdConflictError
from swfasync.testing import WorkflowEnvironment

charges: list[str] = []

IDEMPOTENT = IdReusePolicy.IDEMPOTENT


@activity.defn(start_to_close_timeout=timedelta(seconds=30))
async def charge(order: str) -> str:
    charges.append(order)
    return f"receipt-{order}"


@workflow.defn(task_list="idem")
async def Pay(order: str) -> str:
    return await workflow.execute_activity(charge, order)


@workflow.defn(task_list="idem")
async def Waits(order: str) -> str:
    await workflow.wait_condition(lambda: False)
    return order


def environment() -> WorkflowEnvironment:
    return WorkflowEnvironment(workflows=[Pay, Waits], activities=[charge], task_list="idem")


async def runs(env: WorkflowEnvironment, workflow_id: str) -> int:
    open_ = await env.client.count_workflows(workflow_id=workflow_id)
    closed = await env.client.count_workflows(workflow_id=workflow_id, status="CLOSED")
    return open_ + closed


async def test_a_retried_start_after_completion_returns_the_closed_run() -> None:
    charges.clear()
    async with environment() as env:
        first = await env.client.start_workflow(
            Pay, "42", id="order-42", id_reuse_policy=IDEMPOTENT
        )
        assert first.newly_started
        assert await first.result() == "receipt-42"
        again = await env.client.start_workflow(
            Pay, "42", id="order-42", id_reuse_policy=IDEMPOTENT
        )
        assert (again.run_id, again.newly_started) == (first.run_id, False)
        assert await again.result() == "receipt-42"
        assert charges == ["42"]
        assert await runs(env, "order-42") == 1
        # USE_EXISTING keeps its meaning, open runs only: a closed run does not stop it.
        other = await env.client.start_workflow(
            Pay, "42", id="order-42", id_reuse_policy=IdReusePolicy.USE_EXISTING
        )
        assert other.run_id != first.run_id
        assert other.newly_started


async def test_the_same_request_while_open_returns_the_open_run() -> None:
    async with environment() as env:
        first = await env.client.start_workflow(Waits, "a", id="w", id_reuse_policy=IDEMPOTENT)
        again = await env.client.start_workflow(Waits, "a", id="w", id_reuse_policy=IDEMPOTENT)
        assert (again.run_id, again.newly_started) == (first.run_id, False)
        assert await runs(env, "w") == 1
        await first.terminate()


async def test_a_different_request_under_the_id_is_a_conflict() -> None:
    async with environment() as env:
        first = await env.client.start_workflow(Waits, "a", id="w", id_reuse_policy=IDEMPOTENT)
        for workflow_type, value in ((Waits, "b"), (Pay, "a")):
            with pytest.raises(WorkflowIdConflictError) as caught:
                await env.client.start_workflow(
                    workflow_type, value, id="w", id_reuse_policy=IDEMPOTENT
                )
            assert (caught.value.workflow_id, caught.value.run_id) == ("w", first.run_id)
            assert isinstance(caught.value, WorkflowAlreadyStartedError)
            assert "different request" in str(caught.value)
        await first.terminate()
        # Closed, the id stays bound to its request.
        with pytest.raises(WorkflowIdConflictError):
            await env.client.start_workflow(Waits, "b", id="w", id_reuse_policy=IDEMPOTENT)
        assert await runs(env, "w") == 1


async def test_concurrent_identical_starts_give_one_execution() -> None:
    charges.clear()
    async with environment() as env:
        handles = []

        async def start() -> None:
            handles.append(
                await env.client.start_workflow(Pay, "7", id="order-7", id_reuse_policy=IDEMPOTENT)
            )

        async with anyio.create_task_group() as tg:
            for _ in range(8):
                tg.start_soon(start)
        assert len({h.run_id for h in handles}) == 1
        assert sum(h.newly_started for h in handles) == 1
        assert await handles[0].result() == "receipt-7"
        assert await runs(env, "order-7") == 1
        assert charges == ["7"]


async def test_a_run_started_under_another_policy_is_compared_by_its_input() -> None:
    async with environment() as env:
        first = await env.client.start_workflow(Pay, "9", id="order-9")
        await first.result()
        again = await env.client.start_workflow(Pay, "9", id="order-9", id_reuse_policy=IDEMPOTENT)
        assert (again.run_id, again.newly_started) == (first.run_id, False)
        with pytest.raises(WorkflowIdConflictError):
            await env.client.start_workflow(Pay, "10", id="order-9", id_reuse_policy=IDEMPOTENT)


async def test_after_the_domains_retention_the_id_is_free_again() -> None:
    async with environment() as env:  # the environment's domain keeps closed runs 1 day
        first = await env.client.start_workflow(Pay, "1", id="order-1", id_reuse_policy=IDEMPOTENT)
        await first.result()
        env.server.advance_clock(timedelta(days=2).total_seconds())
        assert await env.client.count_workflows(workflow_id="order-1", status="CLOSED") == 0
        again = await env.client.start_workflow(Pay, "1", id="order-1", id_reuse_policy=IDEMPOTENT)
        assert again.newly_started
        assert again.run_id != first.run_id
        await again.result()


async def test_the_fingerprint_needs_a_free_tag() -> None:
    async with environment() as env:
        with pytest.raises(ValueError, match="one of SWF's 5"):
            await env.client.start_workflow(
                Waits, "a", id="t", id_reuse_policy=IDEMPOTENT, tag_list=list("abcde")
            )


async def test_a_start_that_slips_in_while_the_bound_run_closes_is_undone() -> None:
    # The window between looking for closed runs and starting: another process's identical
    # start runs and closes in it. The start made afterwards must give way to that run.
    from swfasync._client import idempotency

    async with WorkflowEnvironment() as env:
        await env.client.register_workflow(Waits)
        client = env.client
        tag = idempotency.fingerprint("Waits", "1", '["a"]')
        request = {
            "domain": client.domain,
            "workflowId": "slip",
            "workflowType": {"name": "Waits", "version": "1"},
            "input": '["a"]',
            "tagList": [tag],
        }
        earlier: list[str] = []

        async def start() -> str | None:
            if not earlier:  # the other process's run, closed before this start lands
                other = await client.raw.start_workflow_execution(**request)
                earlier.append(other["runId"])
                await client.raw.terminate_workflow_execution(
                    domain=client.domain, workflowId="slip", runId=other["runId"]
                )
            response = await client.raw.start_workflow_execution(**request)
            run_id: str = response["runId"]
            return run_id

        run_id, started = await idempotency.start_idempotently(client, "slip", tag, start)
        assert (run_id, started) == (earlier[0], False)
        assert await client.count_workflows(workflow_id="slip") == 0  # the duplicate is ended
