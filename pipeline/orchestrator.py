"""Runs dates in order against the run ledger: skip what is done, recompute what is stale.

Used by ``run`` (one date) and ``backfill`` (a range), always under the run lock.

For each requested date, in order:

1. Collect its inputs (:mod:`pipeline.inputs`): raw manifest and the run ids of the
   earlier dates it reads. A missing required raw partition records *waiting_for_input*,
   writes nothing else and stops (exit code 4).
2. If the ledger says the date is done with the same input fingerprint, record it as
   *skipped* (``--force`` recomputes anyway).
3. Otherwise compute it: one date at a time through the daily code path, or, with
   ``batch_days > 1``, in batches on a :class:`pipeline.staging.StagedLake` (same code,
   one ``replaceWhere`` commit per table per batch, one publish per batch).

The first failure stops the run; the summary names the date and the error, and the next
call resumes there (done dates are skipped). After the requested dates, every later date
that was already built and is no longer done (a recomputed date changed what it was
computed from) is recomputed in date order, in batches of ``run.cascade_batch_days``,
so the lake equals a sequential build of the same inputs.

Before it writes anything for a date the runner appends a *running* row to the ledger; a
run killed at any point therefore leaves the date not done, and the next run recomputes
it (Delta commits are atomic per table, so no partial date is ever visible).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog

from pipeline import inputs as date_inputs
from pipeline.dates import date_range
from pipeline.errors import ExitCode, InputNotReady
from pipeline.inputs import DateInputs
from pipeline.ledger import RUNNING, SKIPPED, WAITING, Ledger
from pipeline.progress import Progress
from pipeline.runner import STAGES, Gate, RunContext, Runner, table_version
from pipeline.staging import StagedLake
from tables import specs

log = structlog.get_logger("inventory_activity.orchestrator")

COMPUTED, SKIPPED_DATE, FAILED, WAITING_DATE = "computed", "skipped", "failed", "waiting"
OUTPUT_LAYERS = {"ingest": ("bronze.", "quarantine."), "silver": ("silver.",), "gold": ("gold.",)}


@dataclass
class DateOutcome:
    """What happened to one date in this run."""

    day: date
    status: str
    rows: int = 0
    cascade: bool = False
    note: str = ""
    results: dict[str, Any] | None = None


@dataclass
class Summary:
    """Outcome of a run or backfill: per date, plus the error that stopped it."""

    command: str
    run_id: str
    outcomes: list[DateOutcome] = field(default_factory=list)
    error: BaseException | None = None
    failed_day: date | None = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.error is None:
            return int(ExitCode.SUCCESS)
        return int(getattr(self.error, "exit_code", ExitCode.FAILURE))

    def dates(self, status: str, *, cascade: bool | None = None) -> list[date]:
        return [
            o.day
            for o in self.outcomes
            if o.status == status and (cascade is None or o.cascade == cascade)
        ]

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.outcomes)


class Orchestrator:
    """Skip, compute and cascade dates for one run (one run id, the lock held)."""

    def __init__(
        self,
        ctx: RunContext,
        *,
        ledger: Ledger,
        gate: Gate | None = None,
        guard: Callable[[], None] | None = None,
        progress: Progress | None = None,
    ):
        self.ctx = ctx
        self.spark = ctx.spark
        self.config = ctx.config
        self.lake = ctx.lake
        self.ledger = ledger
        self.gate = gate
        self.guard = guard
        self.progress = progress
        self._processed: set[date] | None = None
        self._tentative: dict[date, str] = {}

    # ------------------------------------------------------------------ state
    def processed(self) -> list[date]:
        """Dates built in the lake (silver listing_features), plus those this run computes."""
        if self._processed is None:
            self._processed = set(self.lake.partitions(specs.LISTING_FEATURES))
        return sorted(self._processed | set(self._tentative))

    def inputs_of(self, day: date) -> DateInputs:
        completions = {**self.ledger.view().completions(), **self._tentative}
        completions.pop(day, None)
        return date_inputs.collect(
            self.spark, self.config, day, processed=self.processed(), completions=completions
        )

    def _runner(self, lake=None) -> Runner:
        return Runner(self.ctx, gate=self.gate, ledger=self.ledger, lake=lake, guard=self.guard)

    # ------------------------------------------------------------------ entry points
    def run(self, day: date, *, force: bool = False) -> Summary:
        """``run --date``: the date (unless done), then the later dates it made stale."""
        return self.execute([day], force=force, batch_days=1)

    def backfill(
        self, start: date, end: date, *, force: bool = False, batch_days: int = 1
    ) -> Summary:
        """``backfill``: the range in date order, skipping done dates, then the cascade."""
        return self.execute(list(date_range(start, end)), force=force, batch_days=batch_days)

    def execute(self, days: list[date], *, force: bool, batch_days: int) -> Summary:
        summary = Summary(self.ctx.command, self.ctx.run_id)
        t0 = time.monotonic()
        try:
            ok = self._walk(days, force=force, batch_days=batch_days, summary=summary)
            later = [d for d in self.processed() if d > max(days)]
            if ok and later:
                self._walk(
                    later,
                    force=False,
                    batch_days=self.config.run.cascade_batch_days,
                    summary=summary,
                    cascade=True,
                )
        finally:
            self._flush_quietly()
            if self.progress is not None:
                self.progress.finish()
            summary.seconds = round(time.monotonic() - t0, 1)
        return summary

    # ------------------------------------------------------------------ planning
    def _walk(
        self,
        days: list[date],
        *,
        force: bool,
        batch_days: int,
        summary: Summary,
        cascade: bool = False,
    ) -> bool:
        """Process ``days`` in order; False when a date failed or waits for input."""
        if cascade and self.progress is not None:
            self.progress.add_total(len(days))
        batch: list[DateInputs] = []
        for day in days:
            inputs = self.inputs_of(day)
            if not inputs.ready:
                if not self._compute(batch, batch_days, summary, cascade):
                    return False
                self._waiting(inputs, summary, cascade)
                return False
            if not force and self.ledger.view().is_done(day, inputs.fingerprint):
                self._skipped(inputs, summary, cascade)
                continue
            batch.append(inputs)
            self._tentative[day] = self.ctx.run_id
            if len(batch) >= batch_days:
                if not self._compute(batch, batch_days, summary, cascade):
                    return False
                batch = []
        return self._compute(batch, batch_days, summary, cascade)

    def _skipped(self, inputs: DateInputs, summary: Summary, cascade: bool) -> None:
        view = self.ledger.view()
        done_by = view.completion(inputs.day)
        note = f"inputs unchanged since run {done_by}"
        if not cascade:  # a cascade only checks later dates; it records what it recomputes
            self.ledger.begin(self.ctx.run_id, inputs)
            for stage in STAGES:
                self.ledger.record(
                    self.ctx,
                    day=inputs.day,
                    stage=stage,
                    status=SKIPPED,
                    details={"reason": "inputs unchanged", "done_by": done_by},
                )
            log.info("date skipped: done with the same inputs", date=str(inputs.day), by=done_by)
        summary.outcomes.append(DateOutcome(inputs.day, SKIPPED_DATE, cascade=cascade, note=note))
        self._report(inputs.day, SKIPPED_DATE)

    def _waiting(self, inputs: DateInputs, summary: Summary, cascade: bool) -> None:
        message = inputs.not_ready_message()
        self.ledger.begin(self.ctx.run_id, inputs)
        self.ledger.record(self.ctx, day=inputs.day, stage="ingest", status=WAITING, error=message)
        self._flush_quietly()
        log.warning("input not ready", date=str(inputs.day), missing=len(inputs.missing))
        summary.outcomes.append(DateOutcome(inputs.day, WAITING_DATE, cascade=cascade))
        summary.error, summary.failed_day = InputNotReady(message), inputs.day
        self._report(inputs.day, WAITING_DATE)

    # ------------------------------------------------------------------ computing
    def _compute(
        self, batch: list[DateInputs], batch_days: int, summary: Summary, cascade: bool
    ) -> bool:
        """Compute ``batch`` (daily or staged); record failures in ``summary``."""
        if not batch:
            return True
        current: list[date] = [batch[0].day]
        try:
            if batch_days == 1:
                for inputs in batch:
                    current[0] = inputs.day
                    self._daily(inputs, summary, cascade)
            else:
                self._batch(batch, summary, cascade, current)
        except Exception as exc:
            for inputs in batch:
                self._tentative.pop(inputs.day, None)
            self._processed = None
            self._flush_quietly()
            summary.error, summary.failed_day = exc, current[0]
            summary.outcomes.append(DateOutcome(current[0], FAILED, cascade=cascade))
            self._report(current[0], FAILED)
            log.error("run stopped at a failed date", date=str(current[0]), error=str(exc)[:300])
            return False
        return True

    def _mark_started(self, batch: list[DateInputs]) -> None:
        """Append a *running* row per date before anything is written (crash marker)."""
        for inputs in batch:
            self.ledger.begin(self.ctx.run_id, inputs)
            self.ledger.record(self.ctx, day=inputs.day, stage="ingest", status=RUNNING)
        self.ledger.flush()

    def _daily(self, inputs: DateInputs, summary: Summary, cascade: bool) -> None:
        self._mark_started([inputs])
        results = self._runner().run_date(inputs.day)
        self.ledger.flush()
        rows = _gold_rows(results)
        summary.outcomes.append(
            DateOutcome(inputs.day, COMPUTED, rows=rows, cascade=cascade, results=results)
        )
        self._report(inputs.day, COMPUTED, rows)

    def _batch(
        self, batch: list[DateInputs], summary: Summary, cascade: bool, current: list[date]
    ) -> None:
        """Compute the batch on a staged lake, then write and publish it at once."""
        self._mark_started(batch)
        staged = StagedLake(self.lake)
        runner = self._runner(staged)
        computed: list[tuple[date, dict[str, Any]]] = []
        try:
            for inputs in batch:
                current[0] = inputs.day
                computed.append((inputs.day, runner.run_date(inputs.day, publish=False)))
                log.info("date computed (staged)", date=str(inputs.day))
            current[0] = batch[-1].day
            self._write_batch(staged, computed)
        except Exception as exc:
            staged.discard()
            self._abandon(batch, computed, current[0], exc)
            raise
        self.ledger.flush()
        for day, results in computed:
            rows = _gold_rows(results)
            summary.outcomes.append(
                DateOutcome(day, COMPUTED, rows=rows, cascade=cascade, results=results)
            )
            self._report(day, COMPUTED, rows)

    def _write_batch(self, staged: StagedLake, computed: list[tuple[date, dict]]) -> None:
        """Flush the staged tables, note their versions, publish every gold date once."""
        if self.guard is not None:
            self.guard()
        written = staged.flush()
        versions = {
            name: table_version(self.spark, self.lake.path(spec))
            for name, spec in _specs_by_name().items()
            if name in written
        }
        for day, _ in computed:
            for stage, prefixes in OUTPUT_LAYERS.items():
                chosen = {n: v for n, v in versions.items() if n.startswith(prefixes)}
                self.ledger.update(self.ctx.run_id, day, stage, output_versions=chosen)
        gold_days = sorted({d for _, results in computed for d in results["gold_days"]})
        last = computed[-1][0]
        published = self._runner().publish_stage(last, gold_days)
        for day, _ in computed[:-1]:
            self.ledger.record(
                self.ctx,
                day=day,
                stage="publish",
                status="succeeded",
                rows_out=published.rows_out,
                details={"published_with": last.isoformat(), **published.details},
            )

    def _abandon(
        self,
        batch: list[DateInputs],
        computed: list[tuple[date, dict]],
        failed: date,
        exc: BaseException,
    ) -> None:
        """Mark the batch's dates computed in memory as not written (the batch stopped)."""
        first, last = batch[0].day, batch[-1].day
        for day, _ in computed:
            if day == failed:
                continue
            self.ledger.record(
                self.ctx,
                day=day,
                stage="publish",
                status="failed",
                error=f"not written: batch {first}..{last} stopped at {failed}: {_first_line(exc)}",
            )

    # ------------------------------------------------------------------ helpers
    def _report(self, day: date, status: str, rows: int = 0) -> None:
        if self.progress is not None:
            self.progress.update(day, status, rows)

    def _flush_quietly(self) -> None:
        """Write pending ledger rows; a ledger error must not hide the run's own error."""
        try:
            self.ledger.flush()
        except Exception as exc:
            log.error("ledger write failed", error=str(exc)[:300])


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


def _gold_rows(results: dict[str, Any]) -> int:
    return int(results["gold"].details.get("inventory_activity", {}).get("rows", 0))


def _specs_by_name() -> dict[str, specs.TableSpec]:
    return {s.qualified: s for s in specs.all_specs()}
