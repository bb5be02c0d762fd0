"""``inventory-activity run --date D [--force]``: one date, skipped when already done.

Takes the run lock, then runs ingest, silver, gold, quality gates and publish for the date
unless the run ledger says it is done with the same inputs (raw files of the date and of
the dates it reads, code version, config hash): then it records the date as skipped.
``--force`` recomputes. Later dates that were already built are recomputed afterwards
when they depend on the date (see :mod:`pipeline.orchestrator`).
"""

from __future__ import annotations

import argparse

from pipeline.commands.locked import locked_session
from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode
from pipeline.orchestrator import (
    COMPUTED,
    FAILED,
    SKIPPED_DATE,
    WAITING_DATE,
    Orchestrator,
    Summary,
)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run every stage for one date (a no-op when done with the same inputs)",
        description=(
            "Run ingest, silver, gold, quality gates and publish for one date. A date already "
            "done with unchanged inputs (raw files, code version, config) is skipped; later "
            "dates built before are recomputed when they depend on it. Exit codes: 0 ok or "
            "skipped, 1 failure, 2 usage, 3 quality gate failed, 4 input not ready, 5 busy."
        ),
    )
    parser.add_argument("--date", required=True, type=parse_date, help="business date YYYY-MM-DD")
    parser.add_argument("--force", action="store_true", help="recompute even when the date is done")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, config: Config) -> int:
    label = f"run --date {args.date.isoformat()}" + (" --force" if args.force else "")
    with locked_session(config, command="run", label=label) as session:
        orchestrator = Orchestrator(session.ctx, ledger=session.ledger, guard=session.lock.check)
        summary = orchestrator.run(args.date, force=args.force)
    for line in summary_lines(summary):
        print(line)
    if summary.error is not None:
        raise summary.error
    return int(ExitCode.SUCCESS)


def summary_lines(summary: Summary) -> list[str]:
    """One line per date: computed, skipped, recomputed (cascade), waiting or failed."""
    lines = []
    for outcome in summary.outcomes:
        day = outcome.day.isoformat()
        if outcome.status == COMPUTED and outcome.cascade:
            lines.append(
                f"{day}: recomputed (it depends on an earlier date that changed) - "
                f"inventory_activity rows {outcome.rows}"
            )
        elif outcome.status == COMPUTED:
            lines.append(summary_line(day, outcome.results or {}))
        elif outcome.status == SKIPPED_DATE and not outcome.cascade:
            lines.append(f"{day}: skipped - done, {outcome.note} (--force recomputes)")
        elif outcome.status == WAITING_DATE:
            lines.append(f"{day}: waiting for input - nothing written; retry later")
        elif outcome.status == FAILED:
            lines.append(f"{day}: failed - see the error below and `inventory-activity status`")
    return lines


def summary_line(day: str, results: dict) -> str:
    ingest = results["ingest"]
    quarantined = ingest.rows_in - ingest.rows_out
    gold = results["gold"].details.get("inventory_activity", {}).get("rows", 0)
    return (
        f"{day}: ok - raw rows {ingest.rows_in}, quarantined {quarantined}, "
        f"inventory_activity rows {gold}, published {results['publish'].rows_out}"
    )
