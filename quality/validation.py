"""Validating one table's rows of one date: GX checks, metric checks, one result each.

:func:`validate_table` persists the batch, runs the suite's GX expectations on it (through
:mod:`quality.gx_adapter`), computes the metric checks with Spark and has GX check them,
then :func:`assemble` turns everything into exactly one :class:`CheckResult` per
configured check, failing checks that got no result, several results, or ran on an
empty batch.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipeline.config import Config
from quality import gx_adapter
from quality.derived import add_derived
from quality.metrics import ROWS, MetricInput, MetricValue, References, metric
from quality.results import CheckResult
from quality.suite import ROW_COUNT, SCHEMA_CHECKS, Check, Suite, resolve


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
        return f"{result.unexpected_count} of {result.element_count} rows unexpected"
    if isinstance(observed, float):
        return f"{observed:.6g}"
    if observed is None:
        return None
    text = observed if isinstance(observed, str) else json.dumps(observed, default=str)
    return text[:300]
