"""Workflows the messaging tests submit through SQS."""

from __future__ import annotations

from datetime import timedelta

from swfasync import ApplicationError, workflow
from swfasync.messaging import File


@workflow.defn(name="tutorial", task_list="messaging")
async def tutorial(object_id: str, file: File) -> str:
    """The document's example: a string argument and a file argument."""
    return f"{object_id} <- {file.value} ({file.mime_type}) at {file.url}"


@workflow.defn(name="counting", task_list="messaging")
async def counting(start: int, step: int = 1, label: str = "n") -> str:
    return f"{label}={start + step}"


@workflow.defn(name="refusing", task_list="messaging")
async def refusing(object_id: str) -> str:
    raise ApplicationError(f"refused {object_id}", type="Refused")


@workflow.defn(
    name="waiting", task_list="messaging", execution_start_to_close_timeout=timedelta(hours=1)
)
class Waiting:
    """Waits for a signal: cancelled, terminated or timed out from outside."""

    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, object_id: str) -> str:
        await workflow.wait_condition(lambda: self.go)
        return object_id

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@workflow.defn(name="chained", task_list="messaging")
async def chained(rounds: int) -> int:
    """Continues as new until ``rounds`` is spent: one job, several runs."""
    if rounds > 0:
        workflow.continue_as_new(rounds - 1)
    return rounds


ALL = [tutorial, counting, refusing, Waiting, chained]


def submission(
    job_number: str,
    *,
    app_id: str = "my_awesome_app",
    slug: str = "tutorial",
    arguments: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """The document's message, for one job."""
    return {
        "user_name": "john.doe@example.com",
        "job_number": job_number,
        "app_id": app_id,
        "AWF_workflow_slug": slug,
        "AWF_workflow_arguments": arguments
        if arguments is not None
        else [
            {"name": "object_id", "type": "string", "value": "my test workflow run"},
            {
                "name": "file",
                "type": "file",
                "value": "input.txt",
                "properties": {"url": "https://files.example/input.txt", "mime_type": "text/plain"},
            },
        ],
    }
