"""``inventory-activity run --date D``: ingest, silver, gold, gates and publish for one date."""

from __future__ import annotations

import argparse

from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode
from pipeline.runner import RunContext, Runner
from pipeline.spark import build_spark


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run every stage for one date",
        description="Run ingest, silver, gold, quality gates and publish for one date.",
    )
    parser.add_argument("--date", required=True, type=parse_date, help="business date YYYY-MM-DD")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, config: Config) -> int:
    spark = build_spark(config.spark)
    runner = Runner(RunContext(spark=spark, config=config, command="run"))
    results = runner.run_date(args.date)
    print(summary_line(args.date.isoformat(), results))
    return int(ExitCode.SUCCESS)


def summary_line(day: str, results: dict) -> str:
    ingest = results["ingest"]
    quarantined = ingest.rows_in - ingest.rows_out
    gold = results["gold"].details.get("inventory_activity", {}).get("rows", 0)
    return (
        f"{day}: ok - raw rows {ingest.rows_in}, quarantined {quarantined}, "
        f"inventory_activity rows {gold}, published {results['publish'].rows_out}"
    )
