"""``inventory-activity backfill --start D1 --end D2 [--force] [--batch-days N]``.

Processes the range in date order under the run lock: dates done with unchanged inputs
are skipped, the others computed (``--batch-days N``: N dates per batch, each batch
written with one ``replaceWhere`` commit per table and published once). The first failed
date stops the backfill with a summary; the same command resumes there. Progress (dates
done, rows, elapsed, ETA) is a live line on a terminal and JSON lines otherwise.
"""

from __future__ import annotations

import argparse
import sys

from pipeline.commands.locked import locked_session
from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode, UsageError
from pipeline.orchestrator import (
    COMPUTED,
    FAILED,
    SKIPPED_DATE,
    WAITING_DATE,
    Orchestrator,
    Summary,
)
from pipeline.progress import Progress, hms


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "backfill",
        parents=[common],
        help="process a date range in order, skipping done dates; resumable",
        description=(
            "Process every date of [--start, --end] in order: skip dates done with unchanged "
            "inputs, compute the others, stop at the first failure (rerun the same command "
            "to resume). Exit codes as for `run`."
        ),
    )
    parser.add_argument("--start", required=True, type=parse_date, help="first date YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=parse_date, help="last date YYYY-MM-DD")
    parser.add_argument("--force", action="store_true", help="recompute dates already done")
    parser.add_argument(
        "--batch-days",
        type=int,
        default=1,
        metavar="N",
        help="dates per write batch (default 1: one date at a time, as daily runs)",
    )
    parser.set_defaults(handler=handle)


def validate(args: argparse.Namespace, config: Config) -> None:
    """Refuse ranges and batch sizes the operations contract does not allow (exit 2)."""
    if args.start > args.end:
        raise UsageError(f"--start {args.start} is after --end {args.end}")
    days = (args.end - args.start).days + 1
    limit = config.run.backfill_max_days
    if days > limit:
        raise UsageError(
            f"the range has {days} dates; one backfill covers at most {limit} "
            "(run.backfill_max_days; VACUUM retention is sized for it): split the range"
        )
    if not 1 <= args.batch_days <= limit:
        raise UsageError(f"--batch-days must be between 1 and {limit}, got {args.batch_days}")


def handle(args: argparse.Namespace, config: Config) -> int:
    validate(args, config)
    days = (args.end - args.start).days + 1
    label = f"backfill --start {args.start} --end {args.end}" + (" --force" if args.force else "")
    with locked_session(config, command="backfill", label=label) as session:
        progress = Progress(total=days, context={"run_id": session.ctx.run_id})
        orchestrator = Orchestrator(
            session.ctx, ledger=session.ledger, guard=session.lock.check, progress=progress
        )
        summary = orchestrator.backfill(
            args.start, args.end, force=args.force, batch_days=args.batch_days
        )
    sys.stdout.write("\n".join(summary_lines(summary, args)) + "\n")
    if summary.error is not None:
        raise summary.error
    return int(ExitCode.SUCCESS)


def summary_lines(summary: Summary, args: argparse.Namespace) -> list[str]:
    """Counts, rows and time; where it stopped and how to resume."""
    computed = summary.dates(COMPUTED, cascade=False)
    cascaded = summary.dates(COMPUTED, cascade=True)
    skipped = summary.dates(SKIPPED_DATE, cascade=False)
    lines = [
        f"backfill {args.start}..{args.end} (run {summary.run_id}): "
        f"{len(computed)} computed, {len(skipped)} skipped, "
        f"{len(summary.dates(FAILED)) + len(summary.dates(WAITING_DATE))} failed; "
        f"inventory_activity rows written {summary.rows:,}; {hms(summary.seconds)}"
    ]
    if cascaded:
        lines.append(
            f"  later dates recomputed because they depend on the range: "
            f"{cascaded[0]}..{cascaded[-1]} ({len(cascaded)})"
        )
    if summary.error is not None and summary.failed_day is not None:
        first = (str(summary.error).strip().splitlines() or [type(summary.error).__name__])[0]
        lines.append(f"  stopped at {summary.failed_day}: {first[:300]}")
        lines.append(
            f"  resume: rerun the same command; done dates are skipped and it continues "
            f"at {summary.failed_day}"
        )
    return lines
