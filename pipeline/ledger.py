"""The run ledger: a Delta table (``ops.run_ledger``) of what ran, on which inputs, how.

One row per run, date and stage with: run id, command, status (running, succeeded,
failed, skipped, waiting_for_input), start and end, rows in and out, input table versions
and the raw file manifest, output table versions, code version, config hash, gate verdict,
input fingerprint, the run ids of the earlier dates the date was computed from, and the
last error.

Writes are appends (cheap, atomic, crash safe): the runner appends a *running* row when a
date starts, before it writes any table, and the final rows when the date ends. Readers
keep the latest row per (run id, date, stage) (``recorded_at``, ``seq``), so the view is
one row per key; ``maintain`` compacts the table itself to that view. A run killed
mid-date thus leaves a *running* row behind, which marks the date as not done.

Derived from the rows (:class:`LedgerView`):

- a date's *latest computing attempt*: the latest run that worked on it (skipped and
  waiting-for-input attempts, and the ``publish`` command, do not count);
- *done*: that attempt completed (publish succeeded) and its input fingerprint equals
  the current one (``pipeline.inputs``); *stale*: completed, but a date it was computed
  from has been recomputed since.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import structlog
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from pipeline.config import Config
from pipeline.inputs import DateInputs
from tables import specs
from tables.io import Lake

log = structlog.get_logger("inventory_activity.ledger")

RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
WAITING = "waiting_for_input"
STATUSES = (RUNNING, SUCCEEDED, FAILED, SKIPPED, WAITING)
FINAL_STAGE = "publish"

SPEC = specs.RUN_LEDGER
_SEQ = itertools.count(1)


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetime (naive values are taken as UTC, as the runner's clock is)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


# ------------------------------------------------------------------------- the view


@dataclass
class Attempt:
    """The rows of one run for one date."""

    run_id: str
    day: date
    command: str
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def started(self) -> datetime:
        times = [r["started_at"] or r["recorded_at"] for r in self.stages.values()]
        return min(_utc(t) for t in times)

    @property
    def statuses(self) -> set[str]:
        return {r["status"] for r in self.stages.values()}

    @property
    def kind(self) -> str:
        """compute, skipped, waiting or publish (the publish command)."""
        if self.command == "publish":
            return "publish"
        if self.statuses == {SKIPPED}:
            return "skipped"
        if WAITING in self.statuses:
            return "waiting"
        return "compute"

    @property
    def complete(self) -> bool:
        return self.stages.get(FINAL_STAGE, {}).get("status") == SUCCEEDED

    @property
    def failed(self) -> bool:
        return FAILED in self.statuses

    @property
    def fingerprint(self) -> str | None:
        return next((r["input_fingerprint"] for r in self.stages.values()), None)

    @property
    def depends_on(self) -> dict[str, str | None]:
        text = next((r["depends_on"] for r in self.stages.values() if r["depends_on"]), None)
        return _loads(text) or {}

    def errors(self) -> dict[str, str]:
        return {s: r["error"] for s, r in self.stages.items() if r["status"] == FAILED}


class LedgerView:
    """Queries over ledger rows (already reduced to the latest row per key)."""

    def __init__(self, rows: Iterable[dict[str, Any]]):
        self._attempts: dict[date, dict[str, Attempt]] = {}
        for row in rows:
            per_day = self._attempts.setdefault(row["filedate"], {})
            attempt = per_day.setdefault(
                row["run_id"], Attempt(row["run_id"], row["filedate"], row["command"])
            )
            attempt.stages[row["stage"]] = row

    def dates(self) -> list[date]:
        return sorted(self._attempts)

    def attempts(self, day: date) -> list[Attempt]:
        return sorted(self._attempts.get(day, {}).values(), key=lambda a: a.started)

    def latest(self, day: date, *kinds: str) -> Attempt | None:
        chosen = [a for a in self.attempts(day) if not kinds or a.kind in kinds]
        return chosen[-1] if chosen else None

    def latest_compute(self, day: date) -> Attempt | None:
        return self.latest(day, "compute")

    def completion(self, day: date) -> str | None:
        """Run id of the latest computing attempt that completed the date."""
        done = [a for a in self.attempts(day) if a.kind == "compute" and a.complete]
        return done[-1].run_id if done else None

    def completions(self) -> dict[date, str | None]:
        return {d: self.completion(d) for d in self.dates()}

    def is_done(self, day: date, fingerprint: str) -> bool:
        """The latest computing attempt completed, with the same input fingerprint."""
        attempt = self.latest_compute(day)
        return bool(attempt and attempt.complete and attempt.fingerprint == fingerprint)

    def is_stale(self, day: date) -> bool:
        """Completed, but an earlier date it read was completed by another run since."""
        attempt = self.latest_compute(day)
        if attempt is None or not attempt.complete:
            return False
        return any(
            self.completion(date.fromisoformat(d)) != run_id
            for d, run_id in attempt.depends_on.items()
        )

    def done_dates(self, start: date, end: date) -> set[date]:
        """Dates in [start, end] completed by their latest computing run and not stale."""
        return {
            d
            for d in self.dates()
            if start <= d <= end
            and (a := self.latest_compute(d)) is not None
            and a.complete
            and not self.is_stale(d)
        }


def latest_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The latest row per (run_id, filedate, stage) by (recorded_at, seq)."""
    best: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["run_id"], row["filedate"], row["stage"])
        order = (_utc(row["recorded_at"]), row["seq"] or 0)
        current = best.get(key)
        if current is None or order >= (_utc(current["recorded_at"]), current["seq"] or 0):
            best[key] = row
    return list(best.values())


# ------------------------------------------------------------------------ the table


class Ledger:
    """Records stage rows for the runner and answers done/stale questions.

    Rows are buffered and appended by :meth:`flush` (one Delta commit); the table is read
    once and kept in memory together with this process's own rows.
    """

    def __init__(self, spark: SparkSession, config: Config, *, lake: Lake | None = None):
        self.spark = spark
        self.config = config
        self.lake = lake or Lake(spark, config.paths)
        self._rows: dict[tuple, dict[str, Any]] | None = None
        self._pending: dict[tuple, dict[str, Any]] = {}
        self._attempts: dict[tuple[str, date], DateInputs] = {}
        self._lock = threading.Lock()
        self._host = socket.gethostname()

    # ------------------------------------------------------------------ reading
    def _load(self) -> dict[tuple, dict[str, Any]]:
        if self._rows is None:
            rows = read_rows(self.spark, self.lake)
            self._rows = {(r["run_id"], r["filedate"], r["stage"]): r for r in rows}
        return self._rows

    def view(self) -> LedgerView:
        with self._lock:
            return LedgerView(list(self._load().values()))

    # ------------------------------------------------------------------ writing
    def begin(self, run_id: str, inputs: DateInputs) -> None:
        """Attach a date's inputs to every row this run records for that date."""
        self._attempts[(run_id, inputs.day)] = inputs

    def record(
        self,
        ctx: Any,
        *,
        day: date,
        stage: str,
        status: str,
        started: datetime | None = None,
        rows_in: int | None = None,
        rows_out: int | None = None,
        details: dict[str, Any] | None = None,
        error: str | None = None,
        **extra: Any,
    ) -> None:
        """Buffer the row of (run, date, stage); a later record of the key replaces it."""
        ended = None if status == RUNNING else _utc(ctx.clock())
        started = _utc(started) or ended or _utc(ctx.clock())
        row = self._base_row(ctx.run_id, ctx.command, day, stage)
        row.update(
            status=status,
            started_at=started,
            ended_at=ended,
            duration_s=round((ended - started).total_seconds(), 3) if ended else None,
            rows_in=rows_in,
            rows_out=rows_out,
            details=_json(details) if details else None,
            error=error,
            gate_verdict=(details or {}).get("verdict") if stage.startswith("gate_") else None,
        )
        for name in ("input_versions", "output_versions"):
            if extra.get(name) is not None:
                row[name] = _json(extra[name])
        if extra.get("gate_verdict") is not None:
            row["gate_verdict"] = extra["gate_verdict"]
        self._put(row)

    def update(self, run_id: str, day: date, stage: str, **values: Any) -> None:
        """Change fields of a recorded row (e.g. output versions known after a flush)."""
        with self._lock:
            key = (run_id, day, stage)
            current = self._pending.get(key) or self._load().get(key)
        if current is None:
            return
        row = dict(current)
        for name, value in values.items():
            row[name] = _json(value) if name.endswith(("_versions", "details")) else value
        row.update(recorded_at=_now(), seq=next(_SEQ))
        self._put(row)

    def _base_row(self, run_id: str, command: str, day: date, stage: str) -> dict[str, Any]:
        inputs = self._attempts.get((run_id, day))
        row: dict[str, Any] = dict.fromkeys(SPEC.columns)
        row.update(
            run_id=run_id,
            command=command,
            filedate=day,
            stage=stage,
            host=self._host,
            pid=os.getpid(),
            recorded_at=_now(),
            seq=next(_SEQ),
        )
        if inputs is not None:
            row.update(
                raw_manifest_hash=inputs.manifest_hash,
                depends_on=_json(inputs.depends_on),
                input_fingerprint=inputs.fingerprint,
                code_version=inputs.code_version,
                config_hash=inputs.config_hash,
            )
            if stage == "ingest":
                row["raw_manifest"] = _json([list(f) for f in inputs.files])
        return row

    def _put(self, row: dict[str, Any]) -> None:
        key = (row["run_id"], row["filedate"], row["stage"])
        with self._lock:
            self._load()[key] = row
            self._pending[key] = row

    def flush(self) -> None:
        """Append the buffered rows in one commit (nothing to do when none)."""
        with self._lock:
            rows = list(self._pending.values())
            self._pending = {}
        if not rows:
            return
        frame = self.spark.createDataFrame(
            [tuple(r[c] for c in SPEC.columns) for r in rows], SPEC.schema
        )
        try:
            self.lake.append(SPEC, frame)
        except Exception:
            with self._lock:  # keep them for the next flush
                for row in rows:
                    self._pending.setdefault((row["run_id"], row["filedate"], row["stage"]), row)
            raise
        log.debug("ledger rows written", rows=len(rows))

    def compact(self) -> int:
        """Rewrite the table as its view: one row per (run, date, stage). Returns rows."""
        rows = read_rows(self.spark, self.lake)
        frame = self.spark.createDataFrame(
            [tuple(r[c] for c in SPEC.columns) for r in rows], SPEC.schema
        )
        frame.coalesce(1).write.format("delta").mode("overwrite").save(self.lake.path(SPEC))
        self._rows = None
        return len(rows)


def read_rows(spark: SparkSession, lake: Lake) -> list[dict[str, Any]]:
    """All ledger rows, reduced to the latest per (run, date, stage); [] before any run."""
    if not lake.exists(SPEC):
        return []
    frame = lake.read(SPEC)
    present = [c for c in SPEC.columns if c in frame.columns]
    rows = [r.asDict() for r in frame.select(*present).collect()]
    for row in rows:
        for column in SPEC.columns:
            row.setdefault(column, None)
        for column in ("started_at", "ended_at", "recorded_at"):
            row[column] = _utc(_as_local(row[column]))
    return latest_rows(rows)


def _as_local(value: datetime | None) -> datetime | None:
    """PySpark returns naive datetimes in the process's local time zone: make them aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.astimezone()


def done_dates(*args: Any, spark: SparkSession | None = None) -> set[date]:
    """Dates in [start, end] that are done according to the ledger (not stale).

    ``done_dates(config, start, end)`` or ``done_dates(spark, config, start, end)``; a
    session is built from the configuration when none is given. This reads the ledger
    only; ``run``/``backfill`` also compare the raw files and code/config versions.
    """
    if args and isinstance(args[0], SparkSession):
        spark, args = args[0], args[1:]
    config, start, end = args
    if spark is None:
        from pipeline.spark import build_spark  # heavy: only when no session is given

        spark = build_spark(config.spark)
    lake = Lake(spark, config.paths)
    return LedgerView(read_rows(spark, lake)).done_dates(start, end)


def ledger_frame(spark: SparkSession, config: Config):
    """The ledger view as a DataFrame (one row per run, date and stage) for ad-hoc SQL."""
    lake = Lake(spark, config.paths)
    if not lake.exists(SPEC):
        return spark.createDataFrame([], SPEC.schema)
    frame = lake.read(SPEC)
    latest = frame.groupBy("run_id", "filedate", "stage").agg(
        F.max(F.struct("recorded_at", "seq")).alias("_latest")
    )
    return (
        frame.join(
            latest,
            ["run_id", "filedate", "stage"],
        )
        .where(F.struct("recorded_at", "seq") == F.col("_latest"))
        .drop("_latest")
    )
