"""Facts from the lake that metric checks compare a batch against.

- Row-count history for the band: the rows each earlier gate recorded for the table in
  ``dq_results`` (one small read per gate); tables without recorded history (a lake built
  with the gates off) fall back to counting their own partitions, all in one Spark job.
- Row counts of other tables on a date (yesterday's silver active listings, today's
  silver for gold's row count): counted from the table's partitions.
- Quarantine counts by reason: the quarantine tables' partitions of the date.
- Mart totals: sums over gold inventory_activity of the date.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from quality.metrics import inventory_totals_columns
from quality.suite import ROW_COUNT, spec_for
from tables import specs
from tables.io import Lake, window_predicate

DQ = specs.DQ_RESULTS


class LakeReferences:
    """Row counts, quarantine counts and mart totals read from one lake (cached)."""

    def __init__(self, lake: Lake):
        self.lake = lake
        self._history: dict[str, dict[date, int]] = {}
        self._counts: dict[tuple[str, date, date], dict[date, int]] = {}
        self._quarantine: dict[date, dict[str, dict[str, int]]] = {}
        self._totals: dict[date, dict[str, float]] = {}

    # ------------------------------------------------------------------- history
    def prepare_history(self, tables: list[str], start: date, end: date) -> None:
        """Recorded row counts of ``tables`` for [start, end]; partition counts as fallback."""
        recorded: dict[str, dict[date, int]] = {t: {} for t in tables}
        if self.lake.exists(DQ):
            rows = (
                self.lake.read(DQ)
                .where(window_predicate(start, end))
                .where(F.col("expectation_type") == ROW_COUNT)
                .where(F.col("table_name").isin(tables))
                .select(
                    "table_name",
                    specs.PARTITION,
                    F.get_json_object("details", "$.rows").cast("long").alias("rows"),
                )
                .collect()
            )
            for row in rows:
                if row["rows"] is not None:
                    recorded[row["table_name"]][row[specs.PARTITION]] = int(row["rows"])
        missing = [t for t in tables if not recorded[t]]
        if missing:
            recorded.update(self._partition_counts(missing, start, end))
        for table in tables:
            self._history[table] = recorded.get(table, {})

    def history_counts(self, table: str, start: date, end: date) -> dict[date, int]:
        """Rows per earlier date of ``table`` in [start, end] (dates without rows left out)."""
        if table not in self._history:
            self.prepare_history([table], start, end)
        return {d: n for d, n in self._history[table].items() if start <= d <= end and n}

    # ---------------------------------------------------------------- row counts
    def counts(self, table: str, start: date, end: date) -> dict[date, int]:
        """Rows per date of ``table`` in [start, end], counted from its partitions."""
        key = (table, start, end)
        if key not in self._counts:
            self._counts[key] = self._partition_counts([table], start, end).get(table, {})
        return dict(self._counts[key])

    def _partition_counts(
        self, tables: list[str], start: date, end: date
    ) -> dict[str, dict[date, int]]:
        frames = [
            self.lake.read(spec_for(t))
            .where(window_predicate(start, end))
            .select(specs.PARTITION, F.lit(t).alias("table"))
            for t in tables
            if self.lake.exists(spec_for(t))
        ]
        out: dict[str, dict[date, int]] = {t: {} for t in tables}
        if frames:
            for row in _union(frames).groupBy("table", specs.PARTITION).count().collect():
                out[row["table"]][row[specs.PARTITION]] = int(row["count"])
        return out

    # ---------------------------------------------------------------- quarantine
    def quarantine_counts(self, table: str, day: date) -> dict[str, int]:
        """Quarantined rows of bronze ``table`` on ``day`` by reason code."""
        if day not in self._quarantine:
            self._quarantine[day] = self._read_quarantine(day)
        return dict(self._quarantine[day].get(table, {}))

    def _read_quarantine(self, day: date) -> dict[str, dict[str, int]]:
        frames = [
            self.lake.read(spec)
            .where(window_predicate(day, day))
            .select(F.lit(name).alias("table"), "reason_code")
            for name, spec in specs.QUARANTINE.items()
            if self.lake.exists(spec)
        ]
        out: dict[str, dict[str, int]] = {}
        if frames:
            for row in _union(frames).groupBy("table", "reason_code").count().collect():
                reason = row["reason_code"] or "unknown"
                out.setdefault(row["table"], {})[reason] = int(row["count"])
        return out

    # --------------------------------------------------------------------- totals
    def inventory_totals(self, day: date) -> dict[str, float]:
        """Totals over gold inventory_activity of ``day`` that the mart must match."""
        if day not in self._totals:
            frame = self.lake.read_dates(specs.GOLD["inventory_activity"], [day])
            row = frame.agg(*inventory_totals_columns()).collect()[0]
            self._totals[day] = {k: float(v or 0) for k, v in row.asDict().items()}
        return dict(self._totals[day])


def _union(frames: list[DataFrame]) -> DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out
