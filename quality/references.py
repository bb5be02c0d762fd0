"""Facts from the lake that metric checks compare a batch against.

Row counts per date come from the tables' own partitions (bronze history for the row-count
band, yesterday's silver for the active-listing band, silver for gold's row count), the
quarantine counts from the quarantine tables and the mart totals from inventory_activity.
:meth:`LakeReferences.prefetch` reads the counts of many tables in one Spark job, so a
layer's gate costs one history query rather than one per table.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from quality.metrics import inventory_totals_columns
from quality.suite import spec_for
from tables import specs
from tables.io import Lake, window_predicate


class LakeReferences:
    """Row counts, quarantine counts and mart totals read from one lake (cached)."""

    def __init__(self, lake: Lake):
        self.lake = lake
        self._counts: dict[str, dict[date, int]] = {}
        self._covered: dict[str, tuple[date, date]] = {}
        self._quarantine: dict[date, dict[str, dict[str, int]]] = {}
        self._totals: dict[date, dict[str, float]] = {}

    # ---------------------------------------------------------------- row counts
    def prefetch(self, tables: list[str], start: date, end: date) -> None:
        """Per-date row counts of every table in [start, end], in one Spark job."""
        frames: list[DataFrame] = []
        for table in tables:
            spec = spec_for(table)
            if self.lake.exists(spec):
                frames.append(
                    self.lake.read(spec)
                    .where(window_predicate(start, end))
                    .groupBy(specs.PARTITION)
                    .count()
                    .withColumn("table", F.lit(table))
                )
        rows = _union(frames).collect() if frames else []
        for table in tables:
            self._counts[table] = {}
            self._covered[table] = (start, end)
        for row in rows:
            self._counts[row["table"]][row[specs.PARTITION]] = int(row["count"])

    def counts(self, table: str, start: date, end: date) -> dict[date, int]:
        """Rows per date of ``table`` in [start, end]; dates without rows are left out."""
        covered = self._covered.get(table)
        if covered is None or start < covered[0] or end > covered[1]:
            self.prefetch([table], start, end)
        return {d: n for d, n in self._counts[table].items() if start <= d <= end}

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
            .groupBy("reason_code")
            .count()
            .withColumn("table", F.lit(name))
            for name, spec in specs.QUARANTINE.items()
            if self.lake.exists(spec)
        ]
        out: dict[str, dict[str, int]] = {}
        for row in _union(frames).collect() if frames else []:
            reason = row["reason_code"] or "unknown"
            out.setdefault(row["table"], {})[reason] = int(row["count"])
        return out

    # --------------------------------------------------------------------- totals
    def inventory_totals(self, day: date) -> dict[str, float]:
        """Totals over gold inventory_activity of ``day`` that the mart must match."""
        if day not in self._totals:
            frame = self.lake.read_dates(specs.GOLD["inventory_activity"], [day])
            row = frame.agg(*inventory_totals_columns()).first()
            self._totals[day] = {k: float(v or 0) for k, v in row.asDict().items()}
        return dict(self._totals[day])


def _union(frames: list[DataFrame]) -> DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out
