"""bench.kpi's figures: printed as measured, saved as JSON, and two runs side by side.

    .venv/bin/python -m bench.report EMBEDDED.json PRODUCTION.json

Each figure keeps its own same-run baseline and ratio; the side-by-side table adds the
targets of bench/README.md, met or not, for each run.
"""

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    key: str  # section and name, stable across runs: "c.lag_p99"
    section: str
    name: str
    value: float
    unit: str
    baseline: float
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


@dataclass(frozen=True)
class Target:
    text: str
    bound: float
    of_ratio: bool  # the bound is on the ratio to the baseline, not on the value
    at_least: bool

    def met(self, figure: Figure) -> bool:
        measured = figure.ratio if self.of_ratio else figure.value
        return measured >= self.bound if self.at_least else measured < self.bound


# bench/README.md's targets, by figure key
TARGETS = {
    "a.throughput": Target("ratio >= 0.5", 0.5, of_ratio=True, at_least=True),
    "b.with_worker": Target("ratio >= 0.25", 0.25, of_ratio=True, at_least=True),
    "c.lag_p99": Target("< 1,000 ms", 1000.0, of_ratio=False, at_least=False),
    "d.latency_p95": Target("< 100 ms", 100.0, of_ratio=False, at_least=False),
    "e.rebuild": Target(">= 10,000/s", 10_000.0, of_ratio=False, at_least=True),
}


@dataclass
class Report:
    """One run of bench.kpi: its shape, its sizes and every figure, printed as it comes."""

    shape: str
    sizes: dict[str, int]
    figures: list[Figure] = field(default_factory=list)
    _section: str = ""

    def section(self, title: str) -> None:
        self._section = title.split(" ")[0]
        print(f"\n{title}")

    def figure(
        self, name: str, value: float, unit: str, baseline: float, lower_is_better: bool = False
    ) -> None:
        key = f"{self._section.strip('()')}.{name.lower().replace(' ', '_')}"
        f = Figure(key, self._section, name, value, unit, baseline, not lower_is_better)
        self.figures.append(f)
        better = " (lower is better)" if lower_is_better else ""
        print(
            f"{name:<16}{value:>11,.1f} {unit:<9} baseline{baseline:>11,.1f} "
            f"ratio {f.ratio:5.2f}{better}"
        )

    def save(self, path: Path) -> None:
        data = {
            "shape": self.shape,
            "sizes": self.sizes,
            "figures": [asdict(f) for f in self.figures],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, path: Path) -> "Report":
        data = json.loads(path.read_text())
        return cls(data["shape"], data["sizes"], [Figure(**f) for f in data["figures"]])


def side_by_side(reports: list[Report]) -> str:
    """One row per figure; per run its value, its own baseline and the ratio of the two;
    then the target, met or not in each run (in the runs' order)."""
    keys = list(dict.fromkeys(f.key for r in reports for f in r.figures))
    by_key = [{f.key: f for f in r.figures} for r in reports]
    head = f"{'figure':<18}" + "".join(f" | {r.shape[:37]:<37}" for r in reports) + " | target"
    sub = f"{'':<18}" + f" | {'value':>19} {'baseline':>10} {'ratio':>6}" * len(reports) + " |"
    lines = [head, sub, "-" * len(head)]
    for key in keys:
        first = next(figures[key] for figures in by_key if key in figures)
        row = f"{first.section + ' ' + first.name:<18}"
        for figures in by_key:
            if (f := figures.get(key)) is None:
                row += f" | {'-':>37}"
                continue
            value = f"{_number(f.value)} {f.unit}"
            row += f" | {value:>19} {_number(f.baseline):>10} {f.ratio:>6.2f}"
        row += " |"
        if (target := TARGETS.get(key)) is not None:
            verdicts = [
                "-" if key not in figures else "met" if target.met(figures[key]) else "NOT met"
                for figures in by_key
            ]
            row += f" {target.text}: {' / '.join(verdicts)}"
        lines.append(row)
    sizes = [", ".join(f"{k} {v}" for k, v in r.sizes.items()) for r in reports]
    same = len(set(sizes)) == 1
    lines.append(f"sizes: {sizes[0]}" if same else f"sizes differ: {' | '.join(sizes)}")
    return "\n".join(lines)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files of bench.kpi --save")
    args = parser.parse_args(argv)
    print(side_by_side([Report.load(p) for p in args.runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
