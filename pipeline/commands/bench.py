"""``inventory-activity bench --tier S|M|L``: the benchmark suite (see ``bench/``).

Runs, in this process and one sitting, on the same generated input: the full daily run,
the floor (read the raw input, write a gold-sized Delta table), the gold step against
DuckDB, a forced rerun, and a multi-day history; prints the ratios and appends one JSON
line to ``bench/results/bench.jsonl``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode, UsageError

TIERS = ("S", "M", "L")


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "bench",
        parents=[common],
        help="benchmark the daily job against a floor, DuckDB and its own history",
        description=(
            "Generate (or reuse) a tier of sample input, then time the daily run, a floor, "
            "the gold step against DuckDB, a forced rerun and a multi-day history."
        ),
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--tier", choices=TIERS, default=None, help="scale tier (default M)")
    size.add_argument("--listings", type=int, help="active listings (instead of a tier)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--start", type=parse_date, default=None, help="first date (default 2026-01-05)"
    )
    parser.add_argument(
        "--history-tier", choices=TIERS, default="S", help="tier of the history (default S)"
    )
    parser.add_argument(
        "--history-listings", type=int, default=None, help="history size instead of a tier"
    )
    parser.add_argument(
        "--history-days", type=int, default=30, help="days of history, 0 to skip (default 30)"
    )
    parser.add_argument(
        "--workdir", default="data/bench", help="generated input and lakes (default data/bench)"
    )
    parser.add_argument(
        "--results-dir", default=None, help="JSON lines and chart (default bench/results)"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the warm-up run")
    parser.add_argument("--verbose", action="store_true", help="keep the runner's log lines")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, config: Config) -> int:
    try:
        from bench import harness
    except ImportError as exc:  # the wheel ships without the bench suite
        raise UsageError(
            f"the bench suite is not installed ({exc}); run it from a checkout"
        ) from None
    from pipeline.spark import build_spark

    if args.history_days < 0:
        raise UsageError("--history-days must be >= 0")
    if args.listings is not None and args.listings < 10:
        raise UsageError("--listings must be at least 10")
    options = harness.BenchOptions(
        tier=args.tier or (None if args.listings else "M"),
        listings=args.listings,
        seed=args.seed,
        history_tier=args.history_tier,
        history_listings=args.history_listings,
        history_days=args.history_days,
        workdir=Path(args.workdir),
        warmup=not args.no_warmup,
        quiet=not args.verbose,
    )
    if args.start:
        options.start = args.start
    if args.results_dir:
        options.results_dir = Path(args.results_dir)
    spark = build_spark(config.spark)
    harness.run(spark, config, options)
    return int(ExitCode.SUCCESS)
