"""Developer tool: time every stage and step of a few consecutive dates, with Spark job
counts and JVM CPU seconds (less sensitive to a loaded machine than wall time).

    .venv/bin/python -m bench.profile_steps --listings 300 --days 3
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from pathlib import Path

from bench.harness import PROJECT_ROOT, capture_stages, ensure_raw, lake_config
from bench.memory import PeakSampler
from pipeline.config import load_config
from pipeline.logs import configure_logging
from pipeline.runner import RunContext, Runner
from pipeline.spark import build_spark


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--tier", default=None)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--start", default="2026-01-05")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--workdir", default=str(PROJECT_ROOT / "data" / "bench"))
    args = parser.parse_args()
    config = load_config("local", args.overrides)
    configure_logging(fmt="console", level="INFO")
    start = date.fromisoformat(args.start)
    from pipeline.sample.generator import tier_listings

    listings = tier_listings(args.tier) if args.tier else args.listings
    label = args.tier or f"n{listings}"
    raw, _ = ensure_raw(Path(args.workdir), label, listings, seed=42, start=start, days=args.days)
    config = lake_config(config, raw, Path(args.workdir) / "lake-profile")
    spark = build_spark(config.spark)
    steps: list[tuple[str, float, dict]] = []
    original = Runner.run_step

    def timed_step(self, step, day):
        with PeakSampler(self.spark) as s:
            t0 = time.perf_counter()
            out = original(self, step, day)
        steps.append((step.name, time.perf_counter() - t0, s.peaks.as_dict()))
        return out

    Runner.run_step = timed_step
    original_ingest = Runner._ingest_table

    with capture_stages(quiet=True) as log:
        for i in range(args.days):
            day = start + timedelta(days=i)
            steps.clear()
            with PeakSampler(spark) as s:
                t0 = time.perf_counter()
                Runner(RunContext(spark=spark, config=config)).run_date(day)
                total = time.perf_counter() - t0
            p = s.peaks
            print(
                f"{day}: {total:.1f}s jobs {p.spark_jobs} stages {p.spark_stages} "
                f"jvm cpu {p.java_cpu_s}s py cpu {p.python_cpu_s}s heap {p.jvm_heap_peak_mb}MB"
            )
            print("   stages:", log.take())
            for name, sec, peaks in steps:
                print(
                    f"   step {name:<20} {sec:6.1f}s jobs {peaks['spark_jobs']:>4} "
                    f"stages {peaks['spark_stages']:>4} jvm cpu {peaks['java_cpu_s']}"
                )
    del original_ingest


if __name__ == "__main__":
    main()
