"""``inventory-activity publish --date D``: copy a date's gold from landing into core again.

``run`` publishes by itself; this command re-publishes a date (e.g. the scheduler's
separate publish job, or after core was restored). It holds the run lock, requires that
the latest run that computed the date wrote its gold (else exit 4: not ready) and that
its gold gate did not fail (else exit 3), re-checks the gold gate, and copies the date
with one ``replaceWhere`` commit per core table. Recorded in the ledger as command
``publish``.
"""

from __future__ import annotations

import argparse

from pipeline.commands.locked import locked_session
from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode, InputNotReady, QualityGateFailed
from pipeline.ledger import FAILED, SUCCEEDED, LedgerView
from pipeline.runner import Runner


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "publish",
        parents=[common],
        help="copy a date's gold (landing) into core again, after its gates passed",
        description=(
            "Publish one date's gold tables from landing into core (one atomic commit per "
            "table). Exit 4 when the date's gold was not written, 3 when its gold gate "
            "failed."
        ),
    )
    parser.add_argument("--date", required=True, type=parse_date, help="business date YYYY-MM-DD")
    parser.set_defaults(handler=handle)


def check_publishable(view: LedgerView, day) -> None:
    """Raise unless the latest computing run of ``day`` wrote gold and passed its gate."""
    attempt = view.latest_compute(day)
    gold = attempt.stages.get("gold", {}).get("status") if attempt else None
    if gold != SUCCEEDED:
        raise InputNotReady(
            f"nothing to publish for {day}: its gold stage has not succeeded "
            f"(latest run: {attempt.run_id if attempt else 'none'}, gold: {gold or 'not run'}); "
            "run the date first"
        )
    gate = attempt.stages.get("gate_gold", {})
    if gate.get("status") == FAILED:
        raise QualityGateFailed(
            f"{day}: the gold quality gate failed in run {attempt.run_id}; nothing published"
        )


def handle(args: argparse.Namespace, config: Config) -> int:
    with locked_session(config, command="publish", label=f"publish --date {args.date}") as s:
        check_publishable(s.ledger.view(), args.date)
        runner = Runner(s.ctx, ledger=s.ledger, guard=s.lock.check)
        try:
            runner.gate_stage("gold", [args.date], args.date)
            result = runner.publish_stage(args.date, [args.date])
        finally:
            s.ledger.flush()
    print(f"{args.date}: published - {result.rows_out} rows ({result.details})")
    return int(ExitCode.SUCCESS)
