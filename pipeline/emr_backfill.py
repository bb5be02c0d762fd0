"""Backfill on EMR: split a date range into steps and resume after a lost cluster.

The plan skips dates the run ledger reports as done (``done_dates``, injected: the ledger
lives in the lake, next to the data) and dates whose step already completed on an earlier
cluster of this backfill. A cluster lost to spot interruption or hardware failure is
replaced by a new one for the dates still missing, up to ``max_clusters`` clusters; a step
that fails on its own (quality gate, input not ready) stops the backfill with its exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import structlog

from pipeline.emr import ClusterLost, EmrRunner, combine
from pipeline.emr_spec import step_label
from pipeline.errors import ExitCode

log = structlog.get_logger("inventory_activity.emr")

DoneDates = Callable[[date, date], set[date]]


def no_ledger(start: date, end: date) -> set[date]:
    """Fallback when no ledger reader is available: rely on completed steps only."""
    return set()


def plan_batches(
    start: date, end: date, batch_days: int, done: set[date]
) -> list[tuple[date, date]]:
    """Contiguous runs of dates not done, each cut into batches of at most ``batch_days``."""
    if batch_days < 1:
        raise ValueError("batch_days must be >= 1")
    batches: list[tuple[date, date]] = []
    day, current = start, None
    while day <= end:
        if day in done:
            current = None
        elif current is None or (day - current[0]).days >= batch_days:
            current = (day, day)
            batches.append(current)
        else:
            current = (current[0], day)
            batches[-1] = current
        day += timedelta(days=1)
    return batches


def batch_commands(
    batches: list[tuple[date, date]], *, backfill_command: bool, force: bool = False
) -> list[tuple[list[str], list[date]]]:
    """CLI commands (with the dates each covers): one ``backfill`` per batch, or one ``run``
    per date when the CLI has no ``backfill`` command."""
    out = []
    for first, last in batches:
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        if backfill_command:
            command = ["backfill", "--start", first.isoformat(), "--end", last.isoformat()]
            out.append(([*command, "--force"] if force else command, days))
        else:
            out.extend((["run", "--date", d.isoformat()], [d]) for d in days)
    return out


def run_backfill(
    runner: EmrRunner,
    start: date,
    end: date,
    *,
    batch_days: int,
    done_dates: DoneDates = no_ledger,
    backfill_command: bool = True,
    force: bool = False,
    max_clusters: int = 3,
) -> int:
    """Run the range on transient clusters; resume on a new cluster when one is lost."""
    completed: set[date] = set()
    for attempt in range(1, max_clusters + 1):
        done = completed if force else completed | done_dates(start, end)
        batches = plan_batches(start, end, batch_days, done)
        if not batches:
            log.info("backfill: nothing left to do", start=str(start), end=str(end))
            return int(ExitCode.SUCCESS)
        commands = batch_commands(batches, backfill_command=backfill_command, force=force)
        covers = {step_label(c): days for c, days in commands}
        log.info("backfill: launching cluster", attempt=attempt, steps=len(commands))
        steps = runner.steps([c for c, _ in commands], action_on_failure="CANCEL_AND_WAIT")
        cluster_id = runner.launch(steps, keep_alive=False)
        try:
            ids = runner.step_ids_for(cluster_id, [c for c, _ in commands])
            return combine(runner.wait(cluster_id, ids))
        except ClusterLost as lost:
            for label, state in lost.finished.items():
                if state == "COMPLETED":
                    completed.update(covers[label])
            log.warning("backfill: cluster lost, resuming", error=str(lost), done=len(completed))
        finally:
            runner.terminate(cluster_id)
    log.error("backfill: gave up", clusters=max_clusters)
    return int(ExitCode.FAILURE)
