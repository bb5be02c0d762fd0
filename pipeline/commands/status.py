"""``inventory-activity status [--start D --end D] [--json]``: the run ledger by date.

One line per date: its state (done, stale, failed, running, interrupted, waiting) and the
status of each stage in the latest run that computed it, then the last error of each
failed stage. The lock holder, if any, comes first. ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from typing import Any

from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode
from pipeline.ledger import FAILED, RUNNING, SKIPPED, SUCCEEDED, WAITING, LedgerView, read_rows
from pipeline.lock import current_holder
from pipeline.runner import STAGES
from pipeline.spark import build_spark
from tables.io import Lake

DEFAULT_DATES = 14
SHORT = {SUCCEEDED: "ok", FAILED: "FAILED", RUNNING: "running", SKIPPED: "skip", WAITING: "waiting"}


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "status",
        parents=[common],
        help="show the run ledger: dates by stages, with the last error of failed stages",
        description=(
            "Show the run ledger as a dates-by-stages table (default: the last "
            f"{DEFAULT_DATES} dates in the ledger) with the last error of failed stages."
        ),
    )
    parser.add_argument("--start", type=parse_date, default=None, help="first date YYYY-MM-DD")
    parser.add_argument("--end", type=parse_date, default=None, help="last date YYYY-MM-DD")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, config: Config) -> int:
    spark = build_spark(config.spark)
    holder = current_holder(config, lambda: spark)
    view = LedgerView(read_rows(spark, Lake(spark, config.paths)))
    report = build_report(view, holder, start=args.start, end=args.end)
    print(json.dumps(report, indent=1, default=str) if args.json else render(report))
    return int(ExitCode.SUCCESS)


def date_state(view: LedgerView, day: date, holder_run: str | None) -> tuple[str, Any]:
    """The date's state and the attempt whose stages are shown."""
    attempt = view.latest(day, "compute", "waiting")
    if attempt is None:
        latest = view.latest(day)
        return ("done" if latest and view.completion(day) else "never run"), latest
    if attempt.kind == "waiting":
        return "waiting for input", attempt
    if attempt.failed:
        return "failed", attempt
    if attempt.complete:
        return ("stale" if view.is_stale(day) else "done"), attempt
    return ("running" if attempt.run_id == holder_run else "interrupted"), attempt


def build_report(
    view: LedgerView,
    holder: dict[str, Any] | None,
    *,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Dates by stages as plain data (rendered as a table or printed as JSON)."""
    days = [d for d in view.dates() if (start is None or d >= start) and (end is None or d <= end)]
    if start is None and end is None:
        days = days[-DEFAULT_DATES:]
    holder_run = holder["run_id"] if holder else None
    out = []
    for day in days:
        state, attempt = date_state(view, day, holder_run)
        out.append(_date_entry(view, day, state, attempt))
    return {"lock": holder, "dates": out}


def _date_entry(view: LedgerView, day: date, state: str, attempt: Any) -> dict[str, Any]:
    stages: dict[str, Any] = {}
    if attempt is not None:
        for stage in STAGES:
            row = attempt.stages.get(stage)
            if row is not None:
                stages[stage] = {
                    k: _plain(row[k])
                    for k in (
                        "status",
                        "started_at",
                        "ended_at",
                        "duration_s",
                        "rows_in",
                        "rows_out",
                        "gate_verdict",
                        "error",
                    )
                }
    last = view.latest(day)
    return {
        "date": day.isoformat(),
        "state": state,
        "run_id": attempt.run_id if attempt else None,
        "command": attempt.command if attempt else None,
        "started_at": _plain(attempt.started) if attempt else None,
        "last_attempt": {"run_id": last.run_id, "kind": last.kind} if last else None,
        "stages": stages,
        "errors": attempt.errors() if attempt else {},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def render(report: dict[str, Any]) -> str:
    """A fixed-width table: date, state, one column per stage, run id; errors below."""
    lines = []
    holder = report["lock"]
    if holder:
        lines.append(
            f"lock held by run {holder['run_id']} ({holder['command']}) on {holder['host']} "
            f"pid {holder['pid']} since {holder['since']}"
        )
    else:
        lines.append("lock: free")
    if not report["dates"]:
        lines.append("no runs recorded in the ledger for these dates")
        return "\n".join(lines)
    header = ["date", "state", *STAGES, "run"]
    rows = [header]
    for entry in report["dates"]:
        cells = [SHORT.get(entry["stages"].get(s, {}).get("status"), "-") for s in STAGES]
        rows.append([entry["date"], entry["state"], *cells, entry["run_id"] or "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for entry in report["dates"]:
        for stage, error in entry["errors"].items():
            first = (error or "").strip().splitlines()[0] if error else ""
            lines.append(f"{entry['date']} {stage}: {first[:300]}")
        if entry["state"] == "waiting for input":
            error = entry["stages"].get("ingest", {}).get("error") or ""
            lines.append(f"{entry['date']} ingest: {error[:300]}")
    return "\n".join(lines)
