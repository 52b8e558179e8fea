"""``python -m benchmarks [NAME ...] [--quick]``: run benchmarks, print, rewrite RESULTS.md.

With no names every benchmark runs and ``benchmarks/RESULTS.md`` is rewritten; with names
only those run and nothing is written. ``--quick`` shrinks sizes and repeats for a smoke
run (the tests use it) and never writes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib
import sys
import time
from pathlib import Path

from . import ALL
from ._harness import Section, machine

RESULTS = Path(__file__).with_name("RESULTS.md")


async def run_all(names: list[str], quick: bool) -> list[Section]:
    sections = []
    for name in names:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        started = time.perf_counter()
        section: Section = await module.run(quick=quick)
        section.notes.append(f"(benchmark wall time {time.perf_counter() - started:.1f} s)")
        print(section.text(), flush=True)
        print(flush=True)
        sections.append(section)
    return sections


def write_results(sections: list[Section]) -> None:
    today = datetime.date.today().isoformat()
    parts = [
        "# Benchmark results",
        "",
        f"Measured {today} on {machine()}.",
        "",
        "Regenerate with `make bench` (every benchmark, rewrites this file) or run one with",
        "`.venv/bin/python -m benchmarks NAME`. Figures are medians; every target is a ratio",
        "against a reference measured in the same run, because the machines are shared.",
        "",
    ]
    parts.extend(section.markdown() for section in sections)
    RESULTS.write_text("\n".join(parts), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(ALL)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, no RESULTS.md")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(ALL))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(ALL)}")
    names = list(args.names) or list(ALL)
    sections = asyncio.run(run_all(names, args.quick))
    if not args.names and not args.quick:
        write_results(sections)
        print(f"wrote {RESULTS}")
    # A missed target is a finding to report, not a crash: the run still exits 0.
    return 0


if __name__ == "__main__":
    sys.exit(main())
