"""What every benchmark shares: timing by medians, ratios against targets, the report.

The machines are shared and noisy, so a figure is a median of repeats and every target is
a ratio against a reference measured in the same run, never an absolute time.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def timed(fn: Callable[[], object], *, repeat: int = 5, number: int = 1) -> float:
    """Median seconds of one call of ``fn`` over ``repeat`` rounds of ``number`` calls.

    The collector runs before each round and is off during it, so a collection triggered by
    an earlier round is not billed to this one.
    """
    rounds: list[float] = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            rounds.append((time.perf_counter() - start) / number)
        finally:
            gc.enable()
    return statistics.median(rounds)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass(frozen=True)
class Target:
    """A ratio that must stay on one side of a bound (``ratio <= bound`` or ``>=``)."""

    name: str
    ratio: float
    bound: float
    at_most: bool = True

    @property
    def met(self) -> bool:
        return self.ratio <= self.bound if self.at_most else self.ratio >= self.bound

    def line(self) -> str:
        sign = "<=" if self.at_most else ">="
        verdict = "met" if self.met else "MISSED"
        # Enough digits that a ratio a hair past its bound does not print as the bound.
        shown = f"{self.ratio:.3f}" if self.ratio < 10 else f"{self.ratio:.1f}"
        return f"{self.name}: {shown}x (target {sign} {self.bound:g}x) {verdict}"


@dataclass
class Section:
    """One benchmark's outcome: a table of figures, targets as ratios, free notes."""

    title: str
    command: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_row(self, *cells: object) -> None:
        self.rows.append([_cell(c) for c in cells])

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", f"`{self.command}`", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.targets:
            lines.append("")
            lines.extend(f"- {t.line()}" for t in self.targets)
        for note in self.notes:
            # Markdown joins adjacent lines into one paragraph: a note is a paragraph of
            # its own unless it continues a list.
            if not (note.startswith("- ") and lines[-1].startswith("- ")):
                lines.append("")
            lines.append(note)
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        widths = [
            max(len(self.columns[i]), *(len(r[i]) for r in self.rows)) if self.rows else 0
            for i in range(len(self.columns))
        ]
        out = [f"== {self.title}", f"   {self.command}"]
        out.append("   " + "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True)))
        out.extend(
            "   " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            for row in self.rows
        )
        out.extend(f"   {t.line()}" for t in self.targets)
        out.extend(f"   {note}" for note in self.notes)
        return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def machine() -> str:
    """A one-line description of where the figures were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )
