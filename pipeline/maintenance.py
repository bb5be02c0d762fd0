"""Table maintenance: OPTIMIZE (compact small files) and VACUUM (delete unreferenced files).

VACUUM removes the data files of table versions older than the retention, after which
those versions cannot be read (time travel, ``RESTORE``, a reader still on an old
snapshot). The retention must therefore cover:

- 7 days: Delta's own safety floor (``spark.databricks.delta.retentionDurationCheck``)
  against deleting files that a concurrent or long-running reader or writer still uses;
- ``rules.lookback_days + run.backfill_max_days`` days: a rerun or backfill rewrites dates
  up to that far back, and the versions from before it are what an operator diffs against
  or restores if the rerun went wrong.

Maintenance takes the run lock, so it never runs while a run or backfill writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from pipeline.config import Config
from pipeline.errors import UsageError
from pipeline.ledger import Ledger
from tables import specs
from tables.io import Lake

log = structlog.get_logger("inventory_activity.maintenance")

DELTA_MIN_RETENTION_DAYS = 7


def minimum_retention_days(config: Config) -> int:
    """The shortest VACUUM retention this configuration allows, in days."""
    return max(DELTA_MIN_RETENTION_DAYS, config.rules.lookback_days + config.run.backfill_max_days)


def check_retention(days: int, config: Config) -> None:
    """Raise UsageError (exit 2) for a retention shorter than the safe minimum."""
    if days < DELTA_MIN_RETENTION_DAYS:
        raise UsageError(
            f"refusing VACUUM with a retention of {days} days: the minimum is "
            f"{DELTA_MIN_RETENTION_DAYS} days (Delta's safety floor for concurrent readers "
            "and writers)"
        )
    minimum = minimum_retention_days(config)
    if days < minimum:
        raise UsageError(
            f"refusing VACUUM with a retention of {days} days: it must cover the lookback "
            f"plus the longest backfill, rules.lookback_days ({config.rules.lookback_days}) + "
            f"run.backfill_max_days ({config.run.backfill_max_days}) = {minimum} days"
        )


def select_tables(lake: Lake, names: list[str] | None) -> list[specs.TableSpec]:
    """The existing tables named (``layer.table`` or a unique ``table``), or all of them."""
    every = specs.all_specs()
    if not names:
        return [s for s in every if lake.exists(s)]
    chosen = []
    for name in names:
        matches = [s for s in every if name in (s.qualified, s.name)]
        if len(matches) != 1:
            known = ", ".join(sorted(s.qualified for s in every))
            what = "is ambiguous" if matches else "is not a table"
            raise UsageError(f"--table {name} {what}; tables: {known}")
        chosen.append(matches[0])
    return [s for s in chosen if lake.exists(s)]


@dataclass
class TableResult:
    table: str
    files_removed: int
    files_added: int
    vacuumed: bool

    def line(self) -> str:
        return (
            f"{self.table}: optimize removed {self.files_removed} files, added "
            f"{self.files_added}; vacuum {'done' if self.vacuumed else 'skipped'}"
        )


def maintain_table(
    spark: SparkSession, config: Config, spec: specs.TableSpec, retention_days: int
) -> TableResult:
    """OPTIMIZE then VACUUM one table (the ledger is compacted to one row per key first)."""
    lake = Lake(spark, config.paths)
    with structlog.contextvars.bound_contextvars(table=spec.qualified):
        if spec is specs.RUN_LEDGER:
            log.info("ledger compacted", rows=Ledger(spark, config).compact())
        table = DeltaTable.forPath(spark, lake.path(spec))
        metrics = _metrics(table.optimize().executeCompaction().collect())
        table.vacuum(float(retention_days * 24))
        log.info("table maintained", retention_days=retention_days, **metrics)
    return TableResult(spec.qualified, metrics["files_removed"], metrics["files_added"], True)


def _metrics(rows: list[Any]) -> dict[str, int]:
    if not rows:
        return {"files_removed": 0, "files_added": 0}
    metrics = rows[0]["metrics"]
    return {
        "files_removed": int(metrics["numFilesRemoved"] or 0),
        "files_added": int(metrics["numFilesAdded"] or 0),
    }


def maintain(
    spark: SparkSession, config: Config, *, tables: list[str] | None, retention_days: int
) -> list[TableResult]:
    """Check the retention, then OPTIMIZE and VACUUM the chosen tables."""
    check_retention(retention_days, config)
    chosen = select_tables(Lake(spark, config.paths), tables)
    return [maintain_table(spark, config, spec, retention_days) for spec in chosen]
