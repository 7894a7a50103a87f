"""Latency summaries: percentiles and the ratio to a baseline, printed as a table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    name: str
    samples_ms: tuple[float, ...]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.samples_ms)
        k = (len(ordered) - 1) * p / 100
        lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples_ms)


def compare(measured: Summary, baseline: Summary, goal: float) -> str:
    """A table row pair and the p50/p99 ratios against the goal."""
    r50, r99 = measured.p50 / baseline.p50, measured.p99 / baseline.p99
    verdict = "meets" if r50 <= goal else "misses"
    def row(s: Summary) -> str:
        return f"  {s.name:44s}{len(s.samples_ms):6d}{s.p50:10.3f}{s.p99:10.3f}"

    lines = [
        f"  {'':44s}{'n':>6s}{'p50 ms':>10s}{'p99 ms':>10s}",
        row(measured),
        row(baseline),
        f"  ratio p50 {r50:.2f}, p99 {r99:.2f} (goal <= {goal:g}: p50 {verdict} it)",
    ]
    return "\n".join(lines)
