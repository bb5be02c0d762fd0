"""The quality gate the runner calls after each layer: validate, record, decide.

``QualityGate.check(runner, layer=..., days=[...])`` validates every table of the layer's
suites for each date (one persisted batch per table and date, see :func:`validate_table`),
writes the results to ``ops.dq_results`` (replacing that layer's rows of those dates),
and then decides:

- any failed blocking check, or any configured check without a result, raises
  :class:`~pipeline.errors.QualityGateFailed` (exit code 3); the runner stops before
  publish, so core stays as it was, and the HTML report of the date is written;
- failed warning checks are logged and reported, and the verdict ``passed_with_warnings``
  is returned (the runner records it in the ledger details); otherwise ``passed``.

After the gold gate (the last before publish) the date's HTML report is rewritten.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from pyspark.sql import SparkSession

from pipeline.config import Config
from pipeline.errors import QualityGateFailed
from quality.references import LakeReferences
from quality.results import CheckResult, write_results
from quality.suite import Suite, load_suites
from quality.validation import validate_table
from tables.io import Lake

log = structlog.get_logger("inventory_activity.quality")

LAST_LAYER = "gold"


@dataclass(frozen=True)
class GateContext:
    """What a gate needs from a run: Spark, the configuration, the lake and a run id."""

    spark: SparkSession
    config: Config
    lake: Lake
    run_id: str

    @classmethod
    def from_runner(cls, runner: Any) -> GateContext:
        return cls(runner.spark, runner.config, runner.lake, runner.ctx.run_id)


@dataclass
class GateOutcome:
    """All results of one layer's gate over its dates."""

    layer: str
    days: list[date]
    results: list[CheckResult] = field(default_factory=list)

    @property
    def blocking(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "warning"]

    @property
    def verdict(self) -> str:
        if self.blocking:
            return "failed"
        return "passed_with_warnings" if self.warnings else "passed"

    def summary(self) -> str:
        return (
            f"{self.layer}: {self.verdict} - {len(self.results)} checks, "
            f"{len(self.warnings)} warning(s), {len(self.blocking)} blocking failure(s)"
        )


class QualityGate:
    """Great Expectations gates on bronze, silver and gold (the runner's ``Gate``)."""

    def check(self, runner: Any, *, layer: str, days: list[date]) -> str:
        """Validate ``layer`` for ``days``; raise QualityGateFailed on a blocking failure."""
        ctx = GateContext.from_runner(runner)
        outcome = self.evaluate(ctx, layer, days)
        report = None
        if outcome.blocking or layer == LAST_LAYER:
            report = write_reports(ctx, outcome.days)
        enforce(outcome, report)
        return outcome.verdict

    def evaluate(self, ctx: GateContext, layer: str, days: list[date]) -> GateOutcome:
        """Validate every suite of ``layer`` on each of ``days`` and store the results."""
        suites = load_suites(ctx.config, layer)
        refs = LakeReferences(ctx.lake)
        outcome = GateOutcome(layer, sorted(set(days)))
        validated_at = datetime.now(UTC).replace(tzinfo=None)
        for day in outcome.days:
            _prefetch(refs, ctx.config, suites, day)

            def one(suite: Suite, day: date = day) -> list[CheckResult]:
                return validate_table(
                    suite,
                    ctx.lake.read_dates(suite.spec, [day]),
                    config=ctx.config,
                    day=day,
                    refs=refs,
                    run_id=ctx.run_id,
                    validated_at=validated_at,
                )

            for results in _in_parallel(one, suites, ctx.config.quality.parallel_tables):
                outcome.results += results
        write_results(ctx.lake, layer, outcome.days, outcome.results)
        _log(outcome)
        return outcome


def _prefetch(refs: LakeReferences, config: Config, suites: tuple[Suite, ...], day: date) -> None:
    """Read what the layer's metrics need up front, a few Spark jobs for all tables."""
    metrics_used = {c.metric for s in suites for c in s.checks}
    if "row_count_vs_median" in metrics_used:
        tables = sorted({s.table for s in suites})
        back = timedelta(days=max(config.quality.row_count_history_days, 1))
        refs.prepare_history(tables, day - back, day - timedelta(days=1))
    if "quarantine_rate" in metrics_used:
        refs.quarantine_counts("vehicle", day)


def _in_parallel(work: Any, suites: tuple[Suite, ...], workers: int) -> list[Any]:
    """``work(suite)`` for every suite, on up to ``workers`` threads, in suite order.

    Validating a small table is dominated by per-job latency, so a few tables at a time
    keep both cores busy; structlog context is copied into each thread.
    """
    if workers <= 1 or len(suites) <= 1:
        return [work(s) for s in suites]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(contextvars.copy_context().run, work, s) for s in suites]
        return [f.result() for f in futures]


# ------------------------------------------------------------------- reporting


def write_reports(ctx: GateContext, days: list[date]) -> str | None:
    """Rewrite the HTML report of each date; the path of the last one."""
    from quality.report import write_report  # imported when a report is due

    path = None
    for day in sorted(days):
        try:
            path = write_report(ctx.lake, ctx.config, day)
        except Exception as exc:  # a report problem must not hide the gate's verdict
            log.error("data-quality report not written", date=day.isoformat(), error=str(exc))
    return path


def enforce(outcome: GateOutcome, report: str | None = None) -> None:
    """Raise QualityGateFailed (exit code 3) when a blocking check failed or is missing."""
    if outcome.blocking:
        raise QualityGateFailed(failure_message(outcome, report))


def failure_message(outcome: GateOutcome, report: str | None) -> str:
    failed = outcome.blocking
    shown = "; ".join(
        f"{r.table_name}:{r.expectation} on {r.filedate} (observed {r.observed_value})"
        for r in failed[:5]
    )
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    where = f"; report: {report}" if report else ""
    return (
        f"quality gate failed at {outcome.layer}: {len(failed)} blocking check(s) failed: "
        f"{shown}{more}; nothing was published{where}"
    )


def _log(outcome: GateOutcome) -> None:
    for result in outcome.warnings:
        log.warning(
            "quality warning",
            table=result.table_name,
            check=result.expectation,
            observed=result.observed_value,
        )
    for result in outcome.blocking:
        log.error(
            "quality check failed",
            table=result.table_name,
            check=result.expectation,
            observed=result.observed_value,
        )
    log.info(
        "quality gate",
        layer=outcome.layer,
        verdict=outcome.verdict,
        checks=len(outcome.results),
        warnings=len(outcome.warnings),
        blocking=len(outcome.blocking),
    )
