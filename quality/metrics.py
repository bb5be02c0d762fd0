"""Metrics computed with Spark for ``metric`` checks, where GX has no fitting expectation.

A metric contributes aggregate expressions evaluated on the batch (the gate runs all of a
table's aggregates plus the row count in one Spark job) and a ``finalize`` step that turns
them, the table's references from the lake (history, quarantine, other tables) and the
check's ``params`` into a :class:`MetricValue`. A value of ``None`` with ``skipped`` set
means the metric does not apply yet (for example no history); the gate records such a
check as passed-and-skipped. ``None`` without a reason is treated as a failure.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from quality.suite import spec_for

ROWS = "__rows"
MART_MEASURES = {
    "active_listings": None,  # None: the inventory row count
    "total_impressions": "total_impressions",
    "vdp_impressions": "vdp_impressions",
    "weighted_impressions": "weighted_impressions",
    "leads_total": "leads_total",
}


class References(Protocol):
    """Lake facts a metric may need; :class:`quality.references.LakeReferences` reads them."""

    def history_counts(self, table: str, start: date, end: date) -> dict[date, int]: ...

    def counts(self, table: str, start: date, end: date) -> dict[date, int]: ...

    def quarantine_counts(self, table: str, day: date) -> dict[str, int]: ...

    def inventory_totals(self, day: date) -> dict[str, float]: ...


@dataclass(frozen=True)
class MetricValue:
    value: float | None
    details: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None


@dataclass(frozen=True)
class MetricInput:
    table: str
    day: date
    rows: int
    aggregates: dict[str, Any]
    schema: StructType
    refs: References
    params: dict[str, Any]


@dataclass(frozen=True)
class Metric:
    finalize: Callable[[MetricInput], MetricValue]
    aggregates: Callable[[], dict[str, Column]] = dict


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 6)


# ------------------------------------------------------------------------------ metrics


def row_count_vs_median(m: MetricInput) -> MetricValue:
    """Today's rows / median rows of the trailing ``history_days`` partitions."""
    days = int(m.params.get("history_days", 7))
    start, end = m.day - timedelta(days=days), m.day - timedelta(days=1)
    history = m.refs.history_counts(m.table, start, end)
    details = {"rows": m.rows, "history": {d.isoformat(): n for d, n in sorted(history.items())}}
    if len(history) < int(m.params.get("min_history_days", 1)):
        return MetricValue(None, details, skipped=f"{len(history)} day(s) of history")
    median = statistics.median(history.values())
    details["median"] = median
    if median < float(m.params.get("min_median", 1)) or median == 0:
        return MetricValue(None, details, skipped=f"trailing median {median} too small for a band")
    return MetricValue(_ratio(m.rows, median), details)


def count_vs_previous_day(m: MetricInput) -> MetricValue:
    """Today's rows / the previous day's rows of the same table."""
    previous = m.day - timedelta(days=1)
    before = m.refs.counts(m.table, previous, previous).get(previous)
    details = {"rows": m.rows, "previous_day_rows": before}
    if not before:
        return MetricValue(None, details, skipped="no rows on the previous day")
    return MetricValue(_ratio(m.rows, before), details)


def row_count_minus(m: MetricInput) -> MetricValue:
    """Today's rows minus the rows of ``params.table`` on the same date."""
    other = m.params["table"]
    theirs = m.refs.counts(other, m.day, m.day).get(m.day, 0)
    return MetricValue(float(m.rows - theirs), {"rows": m.rows, other: theirs})


def schema_mismatches(m: MetricInput) -> MetricValue:
    """Number of spec columns missing from the batch or with another type."""
    found = {f.name: f.dataType.simpleString() for f in m.schema.fields}
    problems = []
    for column in spec_for(m.table).schema.fields:
        expected = column.dataType.simpleString()
        if column.name not in found:
            problems.append(f"{column.name}: missing (expected {expected})")
        elif found[column.name] != expected:
            problems.append(f"{column.name}: {found[column.name]} (expected {expected})")
    return MetricValue(float(len(problems)), {"mismatches": problems})


def quarantine_rate(m: MetricInput) -> MetricValue:
    """Share of the delivered rows that the contract rules sent to quarantine."""
    name = m.table.split(".", 1)[1]
    by_reason = m.refs.quarantine_counts(name, m.day)
    quarantined = sum(by_reason.values())
    details = {"accepted": m.rows, "quarantined": quarantined, "by_reason": by_reason}
    total = quarantined + m.rows
    return MetricValue(_ratio(quarantined, total) if total else 0.0, details)


def _match_aggregates() -> dict[str, Column]:
    has_vin = F.col("vin").isNotNull()
    return {
        "with_vin": F.sum(F.when(has_vin, 1).otherwise(0)),
        "matched": F.sum(F.when(has_vin & (F.col("competitor_count") > 0), 1).otherwise(0)),
    }


def competitor_match_rate(m: MetricInput) -> MetricValue:
    """Share of listings with a VIN that at least one competitor lists."""
    with_vin, matched = int(m.aggregates["with_vin"] or 0), int(m.aggregates["matched"] or 0)
    details = {"listings_with_vin": with_vin, "matched": matched}
    if not with_vin:
        return MetricValue(None, details, skipped="no listing has a VIN")
    return MetricValue(_ratio(matched, with_vin), details)


def _mart_aggregates() -> dict[str, Column]:
    return {f"sum_{k}": F.sum(k) for k in MART_MEASURES}


def mart_total_mismatches(m: MetricInput) -> MetricValue:
    """Number of mart measures whose total differs from the sum over inventory_activity."""
    totals = m.refs.inventory_totals(m.day)
    tolerance = float(m.params.get("tolerance", 1e-6))
    details: dict[str, Any] = {}
    mismatches = 0
    for measure in MART_MEASURES:
        mart = float(m.aggregates[f"sum_{measure}"] or 0)
        inventory = float(totals.get(measure) or 0)
        details[measure] = {"mart": mart, "inventory_activity": inventory}
        if abs(mart - inventory) > tolerance * max(1.0, abs(inventory)):
            mismatches += 1
    return MetricValue(float(mismatches), details)


METRICS: dict[str, Metric] = {
    "row_count_vs_median": Metric(row_count_vs_median),
    "count_vs_previous_day": Metric(count_vs_previous_day),
    "row_count_minus": Metric(row_count_minus),
    "schema_mismatches": Metric(schema_mismatches),
    "quarantine_rate": Metric(quarantine_rate),
    "competitor_match_rate": Metric(competitor_match_rate, _match_aggregates),
    "mart_total_mismatches": Metric(mart_total_mismatches, _mart_aggregates),
}


def metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric '{name}' (known: {sorted(METRICS)})") from None


def inventory_totals_columns() -> list[Column]:
    """Aggregates over inventory_activity that the mart's totals must equal."""
    return [
        (F.count(F.lit(1)) if col is None else F.sum(col)).alias(name)
        for name, col in MART_MEASURES.items()
    ]
