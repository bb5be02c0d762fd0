"""Benchmark (not a test): the share of each stage's time spent in its quality gate.

Generates ``--days`` consecutive days of sample input with ``--listings`` active listings
into a scratch folder, runs each day through the real runner (gates on) and prints, per
day and stage pair, the seconds of the stage (ingest, silver, gold), of its gate
(gate_bronze, gate_silver, gate_gold) and the gate's share gate / (stage + gate). The
first day runs in a cold JVM without history, so the summary averages the later days.

    .venv/bin/python scripts/bench_gates.py --listings 20000 --days 3

Pick the largest ``--listings`` that finishes in a few minutes on the machine; the aim is
a gate share of at most 15% per stage.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.config import load_config
from pipeline.logs import configure_logging
from pipeline.runner import RunContext, Runner
from pipeline.sample.generator import generate
from pipeline.spark import build_spark

PAIRS = (("ingest", "gate_bronze"), ("silver", "gate_silver"), ("gold", "gate_gold"))


class TimedRunner(Runner):
    """The real runner, recording each stage's wall-clock seconds."""

    def __init__(self, *args, times: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.times = times

    def _stage(self, stage, day, work, **kwargs):
        started = time.perf_counter()
        try:
            return super()._stage(stage, day, work, **kwargs)
        finally:
            self.times[day][stage] = time.perf_counter() - started


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=20000, help="active listings per day")
    parser.add_argument("--days", type=int, default=3, help="consecutive days (>= 2)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 3, 2))
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    return parser.parse_args()


def main() -> int:
    args = _args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="bench-gates-"))
    lake = root / "lake"
    config = load_config(
        "local",
        [
            f"paths.raw_root={root / 'raw'}",
            f"paths.lake_root={lake}",
            f"paths.landing_root={lake / 'landing'}",
            f"paths.core_root={lake / 'core'}",
            f"paths.reports_root={root / 'reports'}",
            f"paths.lock_root={lake / '_locks'}",
            "logging.level=WARNING",
        ],
    )
    configure_logging(fmt="console", level="WARNING")
    print(f"generating {args.days} day(s) x {args.listings} listings under {root} ...")
    generate(
        raw_root=root / "raw",
        start=args.start,
        days=args.days,
        listings=args.listings,
        seed=7,
        bad_row_share=0.01,
    )
    spark = build_spark(config.spark)
    times: dict[date, dict[str, float]] = defaultdict(dict)
    for offset in range(args.days):
        day = args.start + timedelta(days=offset)
        started = time.perf_counter()
        TimedRunner(RunContext(spark=spark, config=config), times=times).run_date(day)
        print(f"{day}: {time.perf_counter() - started:.1f}s")
    _print(times, args.start)
    if not args.keep and not args.workdir:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _print(times: dict[date, dict[str, float]], first: date) -> None:
    print(f"\n{'date':<12}{'stage':<8}{'stage s':>9}{'gate s':>9}{'gate share':>12}")
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for day, stages in sorted(times.items()):
        for stage, gate in PAIRS:
            work, check = stages.get(stage, 0.0), stages.get(gate, 0.0)
            share = check / (work + check) if work + check else 0.0
            print(f"{day.isoformat():<12}{stage:<8}{work:>9.1f}{check:>9.1f}{share:>11.0%}")
            if day != first:
                totals[stage][0] += work
                totals[stage][1] += check
    print("\nlater days (warm JVM, with history):")
    overall = [0.0, 0.0]
    for stage, (work, check) in totals.items():
        overall[0] += work
        overall[1] += check
        share = check / (work + check) if work + check else 0.0
        print(f"  {stage:<8} gate share {share:.0%}  ({check:.1f}s of {work + check:.1f}s)")
    if sum(overall):
        print(f"  all      gate share {overall[1] / sum(overall):.0%}")


if __name__ == "__main__":
    sys.exit(main())
