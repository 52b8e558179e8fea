"""The SWF tags the consumer puts on an execution, read back by the notifier.

Three tags of the five SWF allows (one more holds the idempotent start's fingerprint):
``app_id:<app id>``, ``slug:<slug>``, ``job:<job number>``. A tag is at most 256
characters, so the values are checked before a start is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ._errors import Rejected

APP_ID: Final = "app_id:"
SLUG: Final = "slug:"
JOB: Final = "job:"
TAG_LIMIT: Final = 256


@dataclass(frozen=True)
class JobTags:
    """What the notifier reports about a run, as its tags recorded it."""

    app_id: str | None = None
    slug: str | None = None
    job_number: str | None = None


def make_tags(app_id: str | None, slug: str | None, job_number: str | None) -> list[str]:
    """The tags for a start (absent values are left out).

    Raises:
        Rejected: ``invalid_request`` when a value makes a tag longer than SWF accepts.
    """
    tags: list[str] = []
    for prefix, value, field in (
        (APP_ID, app_id, "$.app_id"),
        (SLUG, slug, "$.AWF_workflow_slug"),
        (JOB, job_number, "$.job_number"),
    ):
        if value is None:
            continue
        tag = prefix + value
        if len(tag) > TAG_LIMIT:
            raise Rejected(
                "invalid_request",
                f"{field} is {len(value)} characters long; as an SWF tag it may have at most"
                f" {TAG_LIMIT - len(prefix)}",
                field=field,
            )
        tags.append(tag)
    return tags


def read_tags(tags: Iterable[str]) -> JobTags:
    """The app id, slug and job number among an execution's tags."""
    found: dict[str, str] = {}
    for tag in tags:
        for prefix in (APP_ID, SLUG, JOB):
            if tag.startswith(prefix) and prefix not in found:
                found[prefix] = tag[len(prefix) :]
    return JobTags(app_id=found.get(APP_ID), slug=found.get(SLUG), job_number=found.get(JOB))
