"""Compare two normalised histories, event by event, as a set of deviations."""

from __future__ import annotations

from typing import Any

__all__ = ["Deviation", "history_deviations"]

#: ``(where, what)``: where is ``EventType.member.path``; what says how the two differ.
Deviation = tuple[str, str]


def history_deviations(
    reference: list[dict[str, Any]], other: list[dict[str, Any]]
) -> set[Deviation]:
    """How ``other`` departs from ``reference`` (both from ``normalise_history``)."""
    reference_types = [e["eventType"] for e in reference]
    other_types = [e["eventType"] for e in other]
    if len(reference_types) != len(other_types):
        return {("<event types>", f"{other_types} instead of {reference_types}")}
    found: set[Deviation] = set()
    for ref, oth in zip(reference, other, strict=True):
        # compare attributes under whatever name each side gave them: a misspelt event
        # type is one deviation, not one per member
        _compare(_split(ref), _split(oth), ref["eventType"], found)
    return found


def _split(event: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in event.items() if not k.endswith("EventAttributes")}
    out.update(next((v for k, v in event.items() if k.endswith("EventAttributes")), {}))
    return out


def _compare(ref: Any, oth: Any, path: str, found: set[Deviation]) -> None:
    if isinstance(ref, dict) and isinstance(oth, dict):
        for key in ref.keys() | oth.keys():
            where = f"{path}.{key}"
            if key not in oth:
                found.add((where, "missing"))
            elif key not in ref:
                found.add((where, f"unexpected {oth[key]!r}"))
            else:
                _compare(ref[key], oth[key], where, found)
    elif ref != oth:
        found.add((path, f"{oth!r} instead of {ref!r}"))
