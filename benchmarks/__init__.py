"""Benchmarks: each one measures against a reference taken in the same run.

``make bench`` (``python -m benchmarks``) runs them all and rewrites ``RESULTS.md``;
``python -m benchmarks NAME ...`` runs some of them (names as in ``ALL`` below) and prints
without writing. Every benchmark module has ``async def run(quick: bool) -> Section``.
"""

ALL = (
    "replay",
    "decision_cost",
    "end_to_end",
    "long_poll",
    "simpleflow",
    "memory",
    "loop_lag",
    "result_latency",
    "messaging",
    "gateway",
)
