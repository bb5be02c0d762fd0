"""``inventory-activity validate|report --date D``: re-run the quality gates, find the report.

``validate`` re-runs the bronze, silver and gold gates on what is in the lake for the date
(nothing is ingested, computed or published), replaces the date's rows in
``ops.dq_results`` and rewrites its HTML report. It exits 3 when a blocking check fails.
``report`` prints where the date's HTML report is (exit 1 when there is none yet).
"""

from __future__ import annotations

import argparse
import sys

from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode, PipelineError


def register(subparsers, common: argparse.ArgumentParser) -> None:
    validate = subparsers.add_parser(
        "validate",
        parents=[common],
        help="re-run the quality gates on the lake for one date and rewrite its report",
        description=(
            "Re-run every layer's quality suites on what the lake holds for the date, "
            "replace its dq_results rows and rewrite its HTML report. Publishes nothing."
        ),
    )
    validate.add_argument("--date", required=True, type=parse_date, help="YYYY-MM-DD")
    validate.set_defaults(handler=handle_validate)
    report = subparsers.add_parser(
        "report",
        parents=[common],
        help="print where the data-quality report of a date is",
        description="Print the path of the date's HTML data-quality report.",
    )
    report.add_argument("--date", required=True, type=parse_date, help="YYYY-MM-DD")
    report.set_defaults(handler=handle_report)


def handle_validate(args: argparse.Namespace, config: Config) -> int:
    from pipeline.commands.locked import locked_session
    from quality.gate import GateContext, QualityGate
    from quality.report import write_report
    from quality.suite import LAYERS

    day = args.date.isoformat()
    with locked_session(config, command="validate", label=f"validate --date {day}") as session:
        lake = session.ctx.lake
        ctx = GateContext(session.ctx.spark, config, lake, session.ctx.run_id)
        gate = QualityGate()
        outcomes = [gate.evaluate(ctx, layer, [args.date]) for layer in LAYERS]
        path = write_report(lake, config, args.date)
    for outcome in outcomes:
        print(f"{day}: {outcome.summary()}")
    print(f"report: {path}")
    failed = [r for o in outcomes for r in o.blocking]
    for result in failed:
        print(
            f"  blocking: {result.table_name}:{result.expectation} "
            f"(observed {result.observed_value})",
            file=sys.stderr,
        )
    return int(ExitCode.QUALITY_FAILED if failed else ExitCode.SUCCESS)


def handle_report(args: argparse.Namespace, config: Config) -> int:
    from pipeline.spark import build_spark
    from quality.report import report_exists, report_path

    path = report_path(config, args.date)
    if not report_exists(path, lambda: build_spark(config.spark)):
        raise PipelineError(
            f"no data-quality report for {args.date.isoformat()} at {path}; "
            f"run `inventory-activity validate --date {args.date.isoformat()}`"
        )
    print(path)
    return int(ExitCode.SUCCESS)
