"""The job runner: executes the daily job's steps for one date, in stage order.

Stages of a date D: ingest (raw -> bronze + quarantine), silver, gold (landing), gates,
publish (landing -> core). Each write replaces exactly its date window, so a stage can be
retried and a date rerun any number of times with the same result. The runner owns
logging (structlog context: run id, stage, table, date), the ledger and retries.

Scheduling across dates (skip when done, cascade to later dates, batches, the lock) is
:mod:`pipeline.orchestrator`; this module runs the stages of one date.
"""

from __future__ import annotations

import contextvars
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from jobs import daily
from pipeline import __version__, faults
from pipeline.config import Config
from pipeline.errors import InputNotReady, PipelineError, QualityGateFailed
from pipeline.transforms import bronze, gold
from pipeline.transforms.contract_rules import rules_for
from tables import raw_io, specs
from tables.io import Lake
from tables.raw_contract import RAW_TABLES

log = structlog.get_logger("inventory_activity.runner")

STAGES = ("ingest", "gate_bronze", "silver", "gate_silver", "gold", "gate_gold", "publish")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@dataclass
class StageResult:
    stage: str
    day: date
    rows_in: int = 0
    rows_out: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class Gate:
    """Quality gate interface: ``check`` raises QualityGateFailed on a blocking failure."""

    def check(self, runner: Runner, *, layer: str, days: list[date]) -> str:  # pragma: no cover
        return "skipped"


@dataclass
class RunContext:
    spark: SparkSession
    config: Config
    run_id: str = field(default_factory=new_run_id)
    command: str = "run"
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None)

    @property
    def lake(self) -> Lake:
        return Lake(
            self.spark,
            self.config.paths,
            files_per_partition=self.config.run.output_files_per_partition,
        )


class Runner:
    """Runs the stages of the daily job for a date.

    ``ledger`` (optional) receives a row per stage; ``lake`` replaces the context's lake
    (a :class:`pipeline.staging.StagedLake` for backfill batches); ``guard`` is called
    before every stage (the orchestrator passes the run lock's check, so a run whose lock
    was taken over stops before its next write).
    """

    def __init__(
        self,
        ctx: RunContext,
        *,
        gate: Gate | None = None,
        ledger=None,
        lake: Lake | None = None,
        guard: Callable[[], None] | None = None,
    ):
        self.ctx = ctx
        self.spark = ctx.spark
        self.config = ctx.config
        self.lake = lake or ctx.lake
        self.gate = gate or _default_gate()
        self.ledger = ledger
        self.guard = guard

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def _bound(self, **context: Any) -> Iterator[None]:
        with structlog.contextvars.bound_contextvars(run_id=self.ctx.run_id, **context):
            yield

    def _stage(
        self,
        stage: str,
        day: date,
        work: Callable[[], StageResult],
        *,
        reads: tuple[specs.TableSpec, ...] = (),
        writes: tuple[specs.TableSpec, ...] = (),
    ) -> StageResult:
        """Run one stage with logging, ledger rows and retries of unexpected errors.

        ``reads`` and ``writes`` name the tables whose Delta versions the ledger records
        before and after the stage.
        """
        with self._bound(stage=stage, date=day.isoformat()):
            if self.guard is not None:
                self.guard()
            started = self.ctx.clock()
            t0 = time.monotonic()
            inputs = self._versions(reads)
            self._record(day, stage, "running", started=started, input_versions=inputs)
            log.info("stage started")
            try:
                result = self._with_retries(work)
            except Exception as exc:
                self._record_error(day, stage, started, exc, inputs)
                log.error(
                    "stage failed",
                    error=str(exc) if isinstance(exc, PipelineError) else _short(exc),
                )
                raise
            self._record(
                day,
                stage,
                "succeeded",
                started=started,
                rows_in=result.rows_in,
                rows_out=result.rows_out,
                details=result.details,
                input_versions=inputs,
                output_versions=self._versions(writes),
            )
            log.info(
                "stage finished",
                rows_in=result.rows_in,
                rows_out=result.rows_out,
                seconds=round(time.monotonic() - t0, 2),
            )
            return result

    def _with_retries(self, work: Callable[[], StageResult]) -> StageResult:
        """``work()``, retried ``run.retries`` times on unexpected errors (never on
        PipelineErrors: bad input or a failed gate does not get better by retrying)."""
        attempts = 1 + max(self.config.run.retries, 0)
        for attempt in range(1, attempts + 1):
            try:
                return work()
            except PipelineError:
                raise
            except Exception as exc:
                if attempt == attempts:
                    raise
                log.warning("stage attempt failed; retrying", attempt=attempt, error=_short(exc))
                time.sleep(self.config.run.retry_wait_seconds)
        raise AssertionError("unreachable")

    def _record(self, day: date, stage: str, status: str, **fields: Any) -> None:
        if self.ledger is not None:
            self.ledger.record(self.ctx, day=day, stage=stage, status=status, **fields)

    def _record_error(
        self, day: date, stage: str, started: datetime, exc: BaseException, inputs: Any
    ) -> None:
        """A failed stage; a missing raw partition is 'waiting_for_input', not a failure."""
        status = "waiting_for_input" if isinstance(exc, InputNotReady) else "failed"
        verdict = "failed" if isinstance(exc, QualityGateFailed) else None
        message = str(exc) if isinstance(exc, PipelineError) else _short(exc)
        self._record(
            day,
            stage,
            status,
            started=started,
            error=message[:2000],
            input_versions=inputs,
            gate_verdict=verdict,
        )

    def _versions(self, tables: tuple[specs.TableSpec, ...]) -> dict[str, int] | None:
        """Delta versions of ``tables`` (only when a ledger records them; staged: none)."""
        if self.ledger is None or not tables or getattr(self.lake, "base", None) is not None:
            return None
        versions = {}
        for spec in tables:
            version = table_version(self.spark, self.lake.path(spec))
            if version is not None:
                versions[spec.qualified] = version
        return versions

    # ---------------------------------------------------------------- the stages
    def required_raw_tables(self) -> list[str]:
        return list(RAW_TABLES)

    def check_inputs(self, day: date) -> list[raw_io.RawPartition]:
        return raw_io.require(
            self.spark, self.config.paths.raw_root, self.required_raw_tables(), day
        )

    def ingest(self, day: date) -> StageResult:
        """Raw partitions of ``day`` -> bronze tables and quarantine, typed and tagged."""
        partitions = self.check_inputs(day)
        # Read (and contract-check) every file before anything is written.
        frames = {p.table: raw_io.read_partition(self.spark, p) for p in partitions}
        competitor_paths = raw_io.competitor_files(
            self.spark, self.config.paths.raw_root, day, self.config.competitors.sources
        )
        frames["competitor_listing"] = bronze.flatten_competitors(
            raw_io.read_competitors(self.spark, competitor_paths)
        )
        result = StageResult("ingest", day)
        outcomes = self._parallel(
            {t: partial(self._ingest_table, t, f, day) for t, f in frames.items()}
        )
        for table, (accepted, rejected) in outcomes.items():
            result.rows_in += accepted + rejected
            result.rows_out += accepted
            result.details[table] = {"accepted": accepted, "quarantined": rejected}
        return result

    def _parallel(self, work: dict[str, Callable[[], Any]]) -> dict[str, Any]:
        """Run independent table writes concurrently (Spark schedules jobs from threads).

        Small tables are dominated by driver-side latency (Delta log, listing), so a few
        threads cut ingest time; structlog context is copied into each thread.
        """
        workers = max(1, self.config.run.parallel_writes)
        if workers == 1:
            return {name: fn() for name, fn in work.items()}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {
                name: pool.submit(contextvars.copy_context().run, fn) for name, fn in work.items()
            }
            return {name: future.result() for name, future in futures.items()}

    def _ingest_table(self, table: str, frame: DataFrame, day: date) -> tuple[int, int]:
        spec = specs.BRONZE[table]
        structlog.contextvars.bind_contextvars(table=f"bronze.{table}")
        tagged = bronze.tag(frame, filedate=day, run_id=self.ctx.run_id, ingest_ts=self.ctx.clock())
        rules = rules_for(table, max_price=self.config.rules.max_price)
        classified = bronze.classify(tagged, rules=rules).persist()
        try:
            counts = {
                r["ok"]: r["n"]
                for r in classified.groupBy(F.col(bronze.REASON).isNull().alias("ok"))
                .count()
                .withColumnRenamed("count", "n")
                .collect()
            }
            record_columns = [c for c in frame.columns if c not in ("_source_file",)]
            self.lake.replace_dates(spec, bronze.accepted(classified, columns=spec.columns), [day])
            quarantine = specs.QUARANTINE[table]
            if counts.get(False, 0) or self.lake.exists(quarantine):
                self.lake.replace_dates(
                    quarantine,
                    bronze.rejected(classified, record_columns=record_columns),
                    [day],
                )
        finally:
            classified.unpersist()
        accepted, rejected = counts.get(True, 0), counts.get(False, 0)
        if rejected:
            log.warning("rows quarantined", rows=rejected)
        return accepted, rejected

    def window_dates(self, step: daily.Step, day: date) -> list[date]:
        """The run date plus the earlier dates of the step's lookback that were processed."""
        back = step.lookback(self.config)
        if back <= 0:
            return [day]
        earliest = day - timedelta(days=back)
        processed = self.processed_dates(earliest, day - timedelta(days=1))
        return sorted({*processed, day})

    def processed_dates(self, start: date, end: date) -> list[date]:
        spec = specs.LISTING_FEATURES
        if not self.lake.exists(spec):
            return []
        rows = self.lake.read_window(spec, start, end).select(specs.PARTITION).distinct().collect()
        return sorted(r[0] for r in rows)

    def read_input(self, source: daily.Input, day: date, days: list[date]) -> DataFrame:
        if source.latest_before:
            return self._latest_before(source.table, day)
        if source.whole_window:
            return self.lake.read_window(source.table, min(days), max(days))
        return self.lake.read_dates(source.table, source.dates(day))

    def _latest_before(self, spec: specs.TableSpec, day: date) -> DataFrame:
        if not self.lake.exists(spec):
            return self.spark.createDataFrame([], spec.schema)
        frame = self.lake.read(spec)
        latest = (
            frame.where(F.col(specs.PARTITION) < F.lit(day)).agg(F.max(specs.PARTITION)).first()[0]
        )
        if latest is None:
            return self.spark.createDataFrame([], spec.schema)
        return frame.where(F.col(specs.PARTITION) == F.lit(latest))

    def run_step(self, step: daily.Step, day: date) -> tuple[list[date], int]:
        days = self.window_dates(step, day)
        with self._bound(table=step.output.qualified):
            inputs = {name: self.read_input(src, day, days) for name, src in step.inputs.items()}
            params = step.params(self.config, day, (min(days), max(days)))
            output = step.transform(**inputs, **params)
            output = gold.with_run_metadata(
                output, run_id=self.ctx.run_id, processed_at=self.ctx.clock()
            ).persist()
            try:
                rows = output.where(F.col(specs.PARTITION).isin(days)).count()
                written = faults.during_write(output, step.output.qualified)
                self.lake.merge_dates(step.output, written, days)
            finally:
                output.unpersist()
            log.info("table written", rows=rows, dates=[d.isoformat() for d in days])
        return days, rows

    def run_steps(self, stage: str, steps: tuple[daily.Step, ...], day: date) -> StageResult:
        result = StageResult(stage, day)
        for step in steps:
            days, rows = self.run_step(step, day)
            result.rows_out += rows
            result.details[step.name] = {"rows": rows, "dates": [d.isoformat() for d in days]}
        return result

    def publish(self, days: list[date]) -> StageResult:
        """Copy the dates' landing partitions into core, one replaceWhere commit per table."""
        result = StageResult("publish", max(days))
        for name in daily.PUBLISH_TABLES:
            landing, core = specs.GOLD[name], specs.CORE[name]
            with self._bound(table=core.qualified):
                frame = self.lake.read_dates(landing, days)
                rows = frame.count()
                self.lake.replace_dates(core, frame, days)
                log.info("published", rows=rows, dates=[d.isoformat() for d in days])
            result.rows_out += rows
            result.details[name] = rows
        return result

    # ------------------------------------------------------------------- a date
    def run_date(self, day: date, *, publish: bool = True) -> dict[str, StageResult]:
        """All stages for ``day``; raises on failure (nothing published then).

        ``publish=False`` stops after the gold gate (a backfill batch publishes all its
        dates at once after writing them); ``results["gold_days"]`` lists the dates the
        gold stage wrote (the day and its lookback window).
        """
        results: dict[str, Any] = {}
        with self._bound(date=day.isoformat()):
            log.info("run started", command=self.ctx.command, code_version=__version__)
            results["ingest"] = self._stage(
                "ingest", day, lambda: self.ingest(day), writes=INGEST_TABLES
            )
            self.gate_stage("bronze", [day], day)
            results["silver"] = self._steps_stage("silver", daily.SILVER_STEPS, day)
            self.gate_stage("silver", [day], day)
            results["gold"] = self._steps_stage("gold", daily.GOLD_STEPS, day)
            gold_days = [
                date.fromisoformat(d)
                for d in results["gold"].details["inventory_activity"]["dates"]
            ]
            results["gold_days"] = gold_days
            self.gate_stage("gold", gold_days, day)
            if publish:
                results["publish"] = self.publish_stage(day, gold_days)
            log.info("run finished" if publish else "run computed; publish deferred")
        return results

    def _steps_stage(self, stage: str, steps: tuple[daily.Step, ...], day: date) -> StageResult:
        reads = tuple(dict.fromkeys(src.table for step in steps for src in step.inputs.values()))
        writes = tuple(step.output for step in steps)
        return self._stage(
            stage, day, lambda: self.run_steps(stage, steps, day), reads=reads, writes=writes
        )

    def publish_stage(self, day: date, days: list[date]) -> StageResult:
        """The publish stage of ``day``: landing -> core for ``days``."""
        return self._stage(
            "publish",
            day,
            lambda: self.publish(days),
            reads=tuple(specs.GOLD[n] for n in daily.PUBLISH_TABLES),
            writes=tuple(specs.CORE[n] for n in daily.PUBLISH_TABLES),
        )

    def gate_stage(self, layer: str, days: list[date], day: date) -> None:
        if not self.config.quality.enabled:
            return
        stage = f"gate_{layer}"
        self._stage(
            stage,
            day,
            lambda: StageResult(
                stage, day, details={"verdict": self.gate.check(self, layer=layer, days=days)}
            ),
            reads=LAYER_TABLES.get(layer, ()),
            writes=(specs.DQ_RESULTS,),
        )


INGEST_TABLES = (*specs.BRONZE.values(), *specs.QUARANTINE.values())
LAYER_TABLES = {
    "bronze": tuple(specs.BRONZE.values()),
    "silver": tuple(specs.SILVER.values()),
    "gold": tuple(specs.GOLD.values()),
}


def table_version(spark: SparkSession, path: str) -> int | None:
    """Current Delta version of the table at ``path`` (None when there is none).

    Asks the JVM's cached DeltaLog (one listing of ``_delta_log``), which is far cheaper
    than ``DESCRIBE HISTORY``; falls back to the history when that API is unavailable.
    """
    jvm = spark.sparkContext._jvm
    try:
        none = jvm.scala.Option.empty()
        log_ = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
        version = int(log_.update(False, none, none).version())
        return version if version >= 0 else None
    except Exception:  # an internal API: fall back to the public one
        if not DeltaTable.isDeltaTable(spark, path):
            return None
        return int(DeltaTable.forPath(spark, path).history(1).select("version").first()[0])


def _default_gate() -> Gate:
    try:
        from quality.gate import QualityGate  # optional until quality exists
    except ImportError:
        return Gate()
    return QualityGate()


def _short(exc: BaseException) -> str:
    """The informative first line of an error (for Py4J errors: the Java exception)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if lines and lines[0].startswith("An error occurred while calling") and len(lines) > 1:
        return f"{lines[0]} {lines[1].lstrip(': ')}"[:500]
    return (lines[0] if lines else type(exc).__name__)[:500]
