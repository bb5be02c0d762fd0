"""``inventory-activity maintain [--table T] [--retention-days N]``: OPTIMIZE and VACUUM.

Refuses a retention shorter than 7 days or than ``rules.lookback_days +
run.backfill_max_days`` (exit 2), and holds the run lock, so it never runs while a run or
backfill holds it (waits up to ``run.lock_timeout_seconds``, then exit 5).
"""

from __future__ import annotations

import argparse

from pipeline.commands.locked import locked_session
from pipeline.config import Config
from pipeline.errors import ExitCode
from pipeline.maintenance import check_retention, maintain, minimum_retention_days


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "maintain",
        parents=[common],
        help="OPTIMIZE and VACUUM the lake's tables (never while a run holds the lock)",
        description=(
            "Compact small files (OPTIMIZE) and delete files no longer referenced (VACUUM) "
            "of every table, or of --table. The VACUUM retention must be at least 7 days "
            "and at least rules.lookback_days + run.backfill_max_days."
        ),
    )
    parser.add_argument(
        "--table",
        action="append",
        default=None,
        metavar="T",
        help="layer.table (or a unique table name); repeatable; default: every table",
    )
    parser.add_argument(
        "--retention-days",
        type=int,
        default=None,
        metavar="N",
        help="VACUUM retention in days (default run.vacuum_retention_days)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, config: Config) -> int:
    retention = args.retention_days or config.run.vacuum_retention_days
    check_retention(retention, config)  # before waiting for the lock
    with locked_session(config, command="maintain", label="maintain") as session:
        results = maintain(session.ctx.spark, config, tables=args.table, retention_days=retention)
    for result in results:
        print(result.line())
    print(
        f"maintained {len(results)} tables; VACUUM retention {retention} days "
        f"(minimum {minimum_retention_days(config)})"
    )
    return int(ExitCode.SUCCESS)
