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
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipeline.config import Config
from pipeline.errors import QualityGateFailed
from quality import gx_adapter
from quality.derived import add_derived
from quality.metrics import ROWS, MetricInput, MetricValue, References, metric
from quality.references import LakeReferences
from quality.results import CheckResult, write_results
from quality.suite import ROW_COUNT, SCHEMA_CHECKS, Check, Suite, load_suites, resolve
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


# ----------------------------------------------------------------------- one table


def validate_table(
    suite: Suite,
    frame: DataFrame,
    *,
    config: Config,
    day: date,
    refs: References,
    run_id: str | None = None,
    validated_at: datetime | None = None,
) -> list[CheckResult]:
    """All checks of ``suite`` on ``frame`` (the table's rows of ``day``), one result each.

    The batch (with derived columns) is persisted, so GX's metrics (bundled by GX into a
    few Spark jobs) and the metric aggregates read it from memory rather than scanning the
    table once per check. The row count comes from the suite's row-count check.
    """
    resolved = resolve(suite, config, day)
    batch = add_derived(frame, suite.derived).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        spark_results = gx_adapter.run_spark_checks(resolved, batch)
        rows, aggregates = _aggregates(resolved, batch, spark_results)
        metric_values = _metric_values(resolved, frame, day, refs, rows, aggregates)
        to_gx = {k: v.value for k, v in metric_values.items() if v.value is not None}
        metric_results = gx_adapter.run_metric_checks(resolved, to_gx)
    finally:
        batch.unpersist()
    base = {"filedate": day, "layer": suite.layer, "table_name": suite.table}
    base |= {"run_id": run_id, "validated_at": validated_at}
    return assemble(resolved, spark_results + metric_results, metric_values, rows, base)


def _aggregates(
    suite: Suite, batch: DataFrame, spark_results: list[gx_adapter.GxResult]
) -> tuple[int, dict[str, Any]]:
    """Row count (from GX's row-count result) and the metric aggregates (one Spark job)."""
    columns = []
    for check in suite.checks:
        if check.metric is not None:
            for name, column in metric(check.metric).aggregates().items():
                columns.append(column.alias(f"{check.id}__{name}"))
    counted = {r.id: r.observed for r in spark_results if isinstance(r.observed, int)}
    row_checks = [c.id for c in suite.checks if c.expect == ROW_COUNT and c.id in counted]
    rows = counted[row_checks[0]] if row_checks else None
    if rows is None:
        columns.append(F.count(F.lit(1)).alias(ROWS))
    if not columns:
        return int(rows), {}
    values = batch.agg(*columns).collect()[0].asDict()
    return int(values.pop(ROWS, rows)), values


def _metric_values(
    suite: Suite,
    frame: DataFrame,
    day: date,
    refs: References,
    rows: int,
    aggregates: dict[str, Any],
) -> dict[str, MetricValue]:
    out: dict[str, MetricValue] = {}
    for check in suite.checks:
        if check.metric is None:
            continue
        prefix = f"{check.id}__"
        own = {k[len(prefix) :]: v for k, v in aggregates.items() if k.startswith(prefix)}
        metric_input = MetricInput(
            suite.table, day, rows, own, frame.schema, refs, dict(check.params)
        )
        try:
            out[check.id] = metric(check.metric).finalize(metric_input)
        except Exception as exc:  # a broken metric fails its check, it does not pass it
            out[check.id] = MetricValue(None, {"error": f"{type(exc).__name__}: {exc}"[:500]})
    return out


def assemble(
    suite: Suite,
    gx_results: list[gx_adapter.GxResult],
    metric_values: dict[str, MetricValue],
    rows: int,
    base: dict[str, Any],
) -> list[CheckResult]:
    """One result per configured check: GX's, or a failure when GX returned none.

    A check of an empty batch fails whatever GX said (map expectations pass vacuously on
    no rows), except the schema checks, which describe the table rather than its rows.
    """
    by_id: dict[str, gx_adapter.GxResult] = {}
    duplicates: set[str] = set()
    for result in gx_results:
        if result.id in by_id:
            duplicates.add(result.id)
        by_id[result.id] = result
    out = []
    for check in suite.checks:
        value = metric_values.get(check.id)
        details = _config_details(check)
        fields = _from_gx(check, by_id.get(check.id), value, details)
        if check.id in duplicates:
            fields.update(success=False, observed_value="several results for one check")
            details["duplicate"] = True
        if check.expect == ROW_COUNT:
            details["rows"] = rows
        if rows == 0 and (check.expect or check.metric) not in SCHEMA_CHECKS:
            fields.update(success=False, observed_value="empty batch (0 rows)")
            details["empty_batch"] = True
        out.append(
            CheckResult(
                **base,
                expectation=check.id,
                expectation_type=check.kind,
                severity=check.severity,
                column=check.column,
                details=details,
                **fields,
            )
        )
    return out


def _from_gx(
    check: Check,
    result: gx_adapter.GxResult | None,
    value: MetricValue | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    if value is not None:
        details["metric"] = value.details
        if value.skipped:
            details["skipped"] = value.skipped
            return {"success": True, "observed_value": f"skipped: {value.skipped}"}
        if value.value is None:
            return {"success": False, "observed_value": "metric has no value"}
    if result is None:
        details["missing"] = True
        return {"success": False, "observed_value": "no result returned for this check"}
    if result.error:
        details["error"] = result.error
    observed = value.value if value is not None else result.observed
    return {
        "success": result.success,
        "observed_value": _observed(observed, result),
        "unexpected_count": None if value is not None else result.unexpected_count,
        "unexpected_percent": None if value is not None else result.unexpected_percent,
    }


def _config_details(check: Check) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if check.description:
        details["description"] = check.description
    if check.mostly is not None:
        details["mostly"] = check.mostly
    if check.metric is not None:
        details["bounds"] = {"min": check.min, "max": check.max}
    elif check.kwargs:
        details["kwargs"] = {k: v for k, v in check.kwargs.items() if k != "column_set"}
    return details


def _observed(observed: Any, result: gx_adapter.GxResult) -> str | None:
    if result.error:
        return f"error: {result.error}"[:300]
    if observed is None and result.element_count is not None:
        pct = result.unexpected_percent
        shown = "n/a" if pct is None else f"{pct:.3g}%"
        return f"{result.unexpected_count} of {result.element_count} unexpected ({shown})"
    if isinstance(observed, float):
        return f"{observed:.6g}"
    if observed is None:
        return None
    text = observed if isinstance(observed, str) else json.dumps(observed, default=str)
    return text[:300]


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
