"""A lake whose writes are held in memory until a batch is complete (backfill batches).

:class:`StagedLake` wraps :class:`tables.io.Lake`. Writes to bronze, quarantine, silver and
gold are *staged*: the written frame is checkpointed locally (executor memory and disk,
lineage cut) and reads of those tables see the staged dates in place of the stored ones,
exactly as if the write had been committed. The runner's daily code path therefore runs
unchanged, date after date, on top of the staged results of the earlier dates of the batch,
and :meth:`StagedLake.flush` then writes every table's batch dates with one
``replaceWhere`` commit per table.

Because each date is computed by the same code on the same (staged) inputs as a daily
run, a batch gives the same tables as running its dates one by one, with a fraction of
the commits. A batch that fails is discarded (nothing of it reaches the lake). Other
layers (core, ops) are written through directly. Local checkpoints live on the executors:
losing one (e.g. a spot instance) fails the batch, and the next call redoes that batch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import reduce

import structlog
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from tables.io import Lake
from tables.specs import PARTITION, TableSpec

log = structlog.get_logger("inventory_activity.staging")

STAGED_LAYERS = ("bronze", "quarantine", "silver", "gold")
FLUSH_ORDER = STAGED_LAYERS


@dataclass
class _Write:
    """One staged write: a persisted frame and the dates it still provides."""

    frame: DataFrame
    days: set[date] = field(default_factory=set)


class StagedLake(Lake):
    """A :class:`Lake` that stages writes of bronze, quarantine, silver and gold tables."""

    def __init__(self, base: Lake):
        super().__init__(base.spark, base.paths, files_per_partition=base.files_per_partition)
        self.base = base
        self._known = base._known
        self._staged: dict[str, dict[date, _Write]] = {}
        self._specs: dict[str, TableSpec] = {}
        self._mutex = threading.Lock()

    # ------------------------------------------------------------------- helpers
    @staticmethod
    def stages(spec: TableSpec) -> bool:
        return spec.layer in STAGED_LAYERS

    def staged_days(self, spec: TableSpec) -> set[date]:
        with self._mutex:
            return set(self._staged.get(spec.qualified, {}))

    def _frames(self, spec: TableSpec, days: Iterable[date]) -> list[DataFrame]:
        wanted = set(days)
        with self._mutex:
            writes: dict[int, tuple[_Write, set[date]]] = {}
            for day, write in self._staged.get(spec.qualified, {}).items():
                if day in wanted:
                    writes.setdefault(id(write), (write, set()))[1].add(day)
        return [w.frame.where(F.col(PARTITION).isin(sorted(d))) for w, d in writes.values()]

    def _combine(self, spec: TableSpec, base: DataFrame | None, frames: list[DataFrame]):
        parts = ([base] if base is not None else []) + frames
        if not parts:
            return self.spark.createDataFrame([], spec.schema)
        columns = spec.columns
        return reduce(lambda a, b: a.unionByName(b), [p.select(*columns) for p in parts])

    # ------------------------------------------------------------------- readers
    def exists(self, spec: TableSpec) -> bool:
        return bool(self.staged_days(spec)) or self.base.exists(spec)

    def read(self, spec: TableSpec, *, version: int | None = None) -> DataFrame:
        staged = self.staged_days(spec)
        if version is not None or not staged:
            return self.base.read(spec, version=version)
        base = None
        if self.base.exists(spec):
            base = self.base.read(spec).where(~F.col(PARTITION).isin(sorted(staged)))
        return self._combine(spec, base, self._frames(spec, staged))

    def read_dates(self, spec: TableSpec, dates: Iterable[date]) -> DataFrame:
        wanted = set(dates)
        staged = self.staged_days(spec) & wanted
        if not staged:
            return self.base.read_dates(spec, wanted)
        rest = wanted - staged
        base = self.base.read_dates(spec, rest) if rest and self.base.exists(spec) else None
        return self._combine(spec, base, self._frames(spec, staged))

    def read_window(self, spec: TableSpec, start: date, end: date) -> DataFrame:
        staged = {d for d in self.staged_days(spec) if start <= d <= end}
        if not staged:
            return self.base.read_window(spec, start, end)
        base = None
        if self.base.exists(spec):
            base = self.base.read_window(spec, start, end).where(
                ~F.col(PARTITION).isin(sorted(staged))
            )
        return self._combine(spec, base, self._frames(spec, staged))

    def version(self, spec: TableSpec) -> int | None:
        return self.base.version(spec)

    def partitions(self, spec: TableSpec) -> list[date]:
        return sorted(set(self.base.partitions(spec)) | self.staged_days(spec))

    # ------------------------------------------------------------------- writers
    def ensure(self, spec: TableSpec) -> None:
        if not self.stages(spec):
            self.base.ensure(spec)

    def replace_dates(self, spec: TableSpec, df: DataFrame, days: Iterable[date]) -> None:
        """Stage: the dates read as ``df``'s rows from now on (flushed later)."""
        if not self.stages(spec):
            self.base.replace_dates(spec, df, days)
            return
        days = set(days)
        frame = self._conform(spec, df).where(F.col(PARTITION).isin(sorted(days)))
        # Materialise now (the inputs are still cached) and cut the lineage: later dates
        # read this frame, and a plan carrying every earlier date's plan grows without bound.
        frame = frame.localCheckpoint(eager=True)
        write = _Write(frame, set(days))
        with self._mutex:
            table = self._staged.setdefault(spec.qualified, {})
            self._specs[spec.qualified] = spec
            for day in days:
                old = table.get(day)
                table[day] = write
                if old is not None:
                    old.days.discard(day)

    def merge_dates(self, spec: TableSpec, df: DataFrame, days: Iterable[date]) -> None:
        self.replace_dates(spec, df, days)

    # ------------------------------------------------------------------- a batch
    def flush(self, layers: Iterable[str] = FLUSH_ORDER) -> dict[str, list[date]]:
        """Write every staged table of ``layers``: one replaceWhere commit per table."""
        written: dict[str, list[date]] = {}
        for layer in layers:
            for name in sorted(n for n, s in self._specs.items() if s.layer == layer):
                spec = self._specs[name]
                days = sorted(self.staged_days(spec))
                if not days:
                    continue
                frame = self._combine(spec, None, self._frames(spec, days))
                with structlog.contextvars.bound_contextvars(table=name):
                    if layer in ("silver", "gold"):
                        self.base.ensure(spec)
                    self.base.replace_dates(spec, frame, days)
                    log.info("batch written", dates=[d.isoformat() for d in days])
                written[name] = days
                self._drop(spec)
        return written

    def _drop(self, spec: TableSpec) -> None:
        # Checkpointed blocks are freed by Spark's context cleaner once unreferenced.
        with self._mutex:
            self._staged.pop(spec.qualified, None)

    def discard(self) -> None:
        """Forget everything staged (a failed batch)."""
        for spec in list(self._specs.values()):
            self._drop(spec)
