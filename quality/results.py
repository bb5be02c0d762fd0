"""Check results and the ``ops.dq_results`` Delta table.

One :class:`CheckResult` per configured expectation, table and date. A gate writes the
results of its layer with one ``replaceWhere`` on (filedate, layer), so rerunning a date
or re-validating it replaces its rows rather than adding to them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from tables import specs
from tables.io import Lake, dates_predicate, window_predicate

SPEC = specs.DQ_RESULTS
LAYERS = ("bronze", "silver", "gold")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one configured expectation on one table and date."""

    filedate: date
    layer: str
    table_name: str
    expectation: str
    expectation_type: str
    severity: str
    success: bool
    column: str | None = None
    observed_value: str | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    validated_at: datetime | None = None

    @property
    def status(self) -> str:
        """passed, skipped, warning (failed warning) or failed (failed blocking)."""
        if self.success:
            return "skipped" if self.details.get("skipped") else "passed"
        return "failed" if self.blocks else "warning"

    @property
    def blocks(self) -> bool:
        """A failed blocking check, or a check GX returned no result for (fail closed)."""
        return not self.success and (self.severity == "blocking" or self.details.get("missing"))

    def row(self) -> tuple:
        values = asdict(self)
        values["details"] = json.dumps(self.details, sort_keys=True, default=str)
        return tuple(values[name] for name in SPEC.columns)


def from_row(row: Any) -> CheckResult:
    """A :class:`CheckResult` from a ``dq_results`` row."""
    values = row.asDict()
    values["details"] = json.loads(values.get("details") or "{}")
    return CheckResult(**{k: values[k] for k in SPEC.columns})


def to_frame(spark: SparkSession, results: list[CheckResult]) -> DataFrame:
    return spark.createDataFrame([r.row() for r in results], schema=SPEC.schema)


def write_results(lake: Lake, layer: str, days: list[date], results: list[CheckResult]) -> None:
    """Replace the rows of ``layer`` and of every later layer for ``days``, one commit.

    Later layers go too: after bronze is validated again, silver and gold results of the
    date describe data that no longer exists until their gates run again.
    """
    lake.ensure(SPEC)
    later = LAYERS[LAYERS.index(layer) :]
    quoted = ", ".join(f"'{name}'" for name in later)
    predicate = f"{dates_predicate(days)} AND layer IN ({quoted})"
    frame = to_frame(lake.spark, results).coalesce(1)
    (
        frame.write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", predicate)
        .save(lake.path(SPEC))
    )


def read_results(lake: Lake, start: date, end: date) -> list[CheckResult]:
    """Every stored result with a filedate in [start, end]."""
    if not lake.exists(SPEC):
        return []
    frame = lake.read(SPEC).where(window_predicate(start, end))
    return [from_row(r) for r in frame.orderBy(F.col(specs.PARTITION)).collect()]
