"""Model coverage: every operation, decision type, event type and fault in botocore's SWF
model must have been exercised on the dev server by some test of this suite.

Runs last (the suite's conftest orders it so) and only when the whole suite ran: a subset of
tests exercises a subset of the model by design.
"""

from __future__ import annotations

import pytest

from .conftest import full_run_key
from .coverage import COVERAGE, model_universe

#: What no test can reach yet, each with the reason. A gap closed on the server makes
#: ``test_known_gaps_are_still_gaps`` fail, so this list cannot go stale.
KNOWN_GAPS: dict[str, dict[str, str]] = {
    "operations": {},
    "decisions": {},
    "events": {
        "RecordMarkerFailed": "its only cause, OPERATION_NOT_PERMITTED, comes from IAM policies, "
        "which the dev server does not model",
    },
    "faults": {
        "OperationNotPermittedFault": "returned when IAM denies the caller, and the dev server "
        "does not model IAM",
    },
}


@pytest.fixture
def _whole_suite_only(request: pytest.FixtureRequest) -> None:
    if not request.config.stash.get(full_run_key, False):
        pytest.skip("model coverage is only enforced when the whole conformance suite runs")


@pytest.mark.usefixtures("_whole_suite_only")
@pytest.mark.parametrize("dimension", ["operations", "decisions", "events", "faults"])
def test_model_is_covered(dimension: str) -> None:
    universe: set[str] = getattr(model_universe(), dimension)
    exercised: set[str] = getattr(COVERAGE, dimension)
    missing = universe - exercised - set(KNOWN_GAPS[dimension])
    assert not missing, f"{dimension} of the SWF model that no test exercised: {sorted(missing)}"
    if dimension != "faults":  # faults also include coral's ValidationException
        assert exercised <= universe, f"outside the model: {sorted(exercised - universe)}"


@pytest.mark.parametrize("dimension", [d for d, gaps in KNOWN_GAPS.items() if gaps])
@pytest.mark.usefixtures("_whole_suite_only")
def test_known_gaps_are_still_gaps(dimension: str) -> None:
    covered = set(KNOWN_GAPS[dimension]) & getattr(COVERAGE, dimension)
    assert not covered, f"now exercised, remove from KNOWN_GAPS: {sorted(covered)}"


def test_the_model_is_the_size_swf_documents() -> None:
    universe = model_universe()
    sizes = (len(universe.operations), len(universe.decisions), len(universe.events))
    assert sizes == (39, 13, 54)
    assert len(universe.faults) == 11
