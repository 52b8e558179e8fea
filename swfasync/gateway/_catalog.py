"""The workflows a gateway serves, by name and version.

A request names a workflow type; only the types given to the gateway can be started (404
for any other), and their classes are what the client checks arguments against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .._engine.definitions import WorkflowDefinition, workflow_definition
from ..exceptions import WorkflowDefinitionError
from ._problems import HttpProblem


@dataclass(frozen=True)
class Served:
    """One served workflow type: its definition and the object the user decorated."""

    definition: WorkflowDefinition
    target: Any

    @property
    def key(self) -> str:
        return f"{self.definition.name}/{self.definition.version}"


def _version_key(version: str) -> list[tuple[int, int | str]]:
    # "10" after "9", "1.10" after "1.9"; text parts compare as text after numbers.
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-_]", version)]


class Catalog:
    """Served workflow types, looked up by name and optional version.

    Without a version, a name means its highest version (numeric parts compared as
    numbers), so deploying version 2 beside 1 moves new starts to 2.
    """

    def __init__(self, workflows: Iterable[Any]) -> None:
        self._by_name: dict[str, dict[str, Served]] = {}
        for target in workflows:
            definition = workflow_definition(target)
            versions = self._by_name.setdefault(definition.name, {})
            if definition.version in versions and versions[definition.version].target is not target:
                raise WorkflowDefinitionError(
                    f"two workflows are served as {definition.name}/{definition.version}"
                )
            versions[definition.version] = Served(definition, target)

    def __iter__(self) -> Iterator[Served]:
        for versions in self._by_name.values():
            yield from versions.values()

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())

    @property
    def keys(self) -> list[str]:
        return [served.key for served in self]

    def find(self, name: str, version: str | None) -> Served:
        """The served type, or 404 naming what is served under that name."""
        versions = self._by_name.get(name)
        if not versions:
            raise HttpProblem(
                404,
                "workflow-type-not-served",
                f"this gateway serves no workflow named {name!r}",
                field="workflow",
            )
        if version is None:
            return versions[max(versions, key=_version_key)]
        found = versions.get(version)
        if found is None:
            served = ", ".join(sorted(versions, key=_version_key))
            raise HttpProblem(
                404,
                "workflow-type-not-served",
                f"this gateway serves {name!r} in version(s) {served}, not {version!r}",
                field="version",
            )
        return found

    def lookup(self, name: str, version: str) -> Served | None:
        """The served type of an existing execution, if this gateway serves it."""
        return self._by_name.get(name, {}).get(version)
