"""Readers and writers that apply the table specs: the only place that knows lake paths.

Writes are per date partition and idempotent:
- :meth:`Lake.merge_dates` (daily upserts of silver and gold) is a Delta MERGE on the spec's
  merge keys whose condition names the dates literally (Delta prunes to exactly those
  partitions): matched rows are updated, new rows inserted, and rows of those dates that
  the source lacks are deleted, so each date ends up equal to the source.
- :meth:`Lake.replace_window` overwrites a date range with ``replaceWhere`` in one commit.

Files: ``files_per_partition`` files per date. With one file per date the frame is
coalesced to one task instead of shuffled (the writer splits it by date): no shuffle
stage, no extra Spark job; callers persist what they write, so nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipeline.config import PathsConfig
from tables import fs
from tables.specs import PARTITION, TableSpec


def date_literal(day: date) -> str:
    return f"DATE'{day.isoformat()}'"


def dates_predicate(days: Iterable[date], column: str = PARTITION) -> str:
    days = sorted(set(days))
    if len(days) == 1:
        return f"{column} = {date_literal(days[0])}"
    return f"{column} IN ({', '.join(date_literal(d) for d in days)})"


def window_predicate(start: date, end: date, column: str = PARTITION) -> str:
    if start == end:
        return f"{column} = {date_literal(start)}"
    return f"{column} >= {date_literal(start)} AND {column} <= {date_literal(end)}"


class Lake:
    """Table locations for one environment plus the typed readers and writers."""

    def __init__(self, spark: SparkSession, paths: PathsConfig, *, files_per_partition: int = 1):
        self.spark = spark
        self.paths = paths
        self.files_per_partition = files_per_partition
        self._known: set[str] = set()

    # ------------------------------------------------------------------ locations
    def path(self, spec: TableSpec) -> str:
        root = {
            "gold": self.paths.landing_root,
            "core": self.paths.core_root,
        }.get(spec.layer)
        if root is not None:
            return f"{root.rstrip('/')}/{spec.name}"
        return f"{self.paths.lake_root.rstrip('/')}/{spec.layer}/{spec.name}"

    def exists(self, spec: TableSpec) -> bool:
        path = self.path(spec)
        if path in self._known:
            return True
        if DeltaTable.isDeltaTable(self.spark, path):
            self._known.add(path)
            return True
        return False

    def ensure(self, spec: TableSpec) -> None:
        """Create the table from its spec if it does not exist yet."""
        if self.exists(spec):
            return
        builder = (
            DeltaTable.createIfNotExists(self.spark)
            .location(fs.qualify(self.spark, self.path(spec)))  # a relative root works too
            .addColumns(spec.schema)
            .property("delta.appendOnly", "false")
        )
        if spec.partition:
            builder = builder.partitionedBy(spec.partition)
        builder.comment(f"{spec.description} Grain: {spec.grain}.").execute()
        self._known.add(self.path(spec))

    def version(self, spec: TableSpec) -> int | None:
        if not self.exists(spec):
            return None
        history = DeltaTable.forPath(self.spark, self.path(spec)).history(1)
        return int(history.select("version").first()[0])

    # -------------------------------------------------------------------- readers
    def read(self, spec: TableSpec, *, version: int | None = None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.path(spec))

    def read_dates(self, spec: TableSpec, dates: Iterable[date]) -> DataFrame:
        """Rows of the given filedates; an empty, typed frame when the table is missing."""
        wanted = sorted(set(dates))
        if not wanted or not self.exists(spec):
            return self.spark.createDataFrame([], spec.schema)
        return self.read(spec).where(F.col(PARTITION).isin(wanted))

    def read_window(self, spec: TableSpec, start: date, end: date) -> DataFrame:
        if not self.exists(spec):
            return self.spark.createDataFrame([], spec.schema)
        return self.read(spec).where(window_predicate(start, end))

    def partitions(self, spec: TableSpec) -> list[date]:
        if not self.exists(spec):
            return []
        rows = self.read(spec).select(PARTITION).distinct().collect()
        return sorted(r[0] for r in rows)

    # -------------------------------------------------------------------- writers
    def _conform(self, spec: TableSpec, df: DataFrame) -> DataFrame:
        missing = [c for c in spec.columns if c not in df.columns]
        if missing:
            raise ValueError(f"{spec.qualified}: frame lacks columns {missing}")
        return df.select(
            *[F.col(f.name).cast(f.dataType).alias(f.name) for f in spec.schema.fields]
        )

    def replace_window(self, spec: TableSpec, df: DataFrame, start: date, end: date) -> None:
        """Overwrite exactly the filedates in [start, end] with ``df`` in one commit."""
        self.replace_dates(spec, df, [start + timedelta(days=i) for i in range(_days(start, end))])

    def merge_dates(self, spec: TableSpec, df: DataFrame, days: Iterable[date]) -> None:
        """Upsert the given filedates in one MERGE commit; each ends up equal to ``df``'s rows.

        Rows are matched on the spec's merge keys; the condition names the partitions
        literally so Delta prunes to exactly those files; target rows of those dates that
        the source lacks are deleted. The table is created from its spec first, so it
        carries the spec's schema, nullability and comment.
        """
        days = sorted(set(days))
        self.ensure(spec)
        source = self._files(self._conform(spec, df).where(F.col(PARTITION).isin(days)), days)
        part = dates_predicate(days, column=f"t.{PARTITION}")
        keys = [k for k in spec.merge_keys if k != PARTITION]
        condition = " AND ".join(
            [part, f"t.{PARTITION} = s.{PARTITION}", *[f"t.{k} <=> s.{k}" for k in keys]]
        )
        (
            DeltaTable.forPath(self.spark, self.path(spec))
            .alias("t")
            .merge(source.alias("s"), condition)
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .whenNotMatchedBySourceDelete(condition=part)
            .execute()
        )

    def _files(self, frame: DataFrame, days: list[date]) -> DataFrame:
        """``files_per_partition`` files per date: one task (no shuffle) for one file."""
        if not self.files_per_partition:
            return frame
        if self.files_per_partition == 1:
            return frame.coalesce(1)
        return frame.repartition(self.files_per_partition * len(days), PARTITION)

    def replace_dates(self, spec: TableSpec, df: DataFrame, days: Iterable[date]) -> None:
        """Overwrite exactly the given filedates with ``df`` in one commit (replaceWhere).

        A table that does not exist yet is created by this same commit.
        """
        days = sorted(set(days))
        frame = self._files(self._conform(spec, df).where(F.col(PARTITION).isin(days)), days)
        writer = frame.write.format("delta").mode("overwrite")
        if self.exists(spec):
            writer = writer.option("replaceWhere", dates_predicate(days))
        else:
            writer = writer.partitionBy(PARTITION)
        writer.save(self.path(spec))
        self._known.add(self.path(spec))

    def append(self, spec: TableSpec, df: DataFrame) -> None:
        self.ensure(spec)
        self._conform(spec, df).coalesce(1).write.format("delta").mode("append").save(
            self.path(spec)
        )


def _days(start: date, end: date) -> int:
    return (end - start).days + 1
