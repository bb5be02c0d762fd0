"""The benchmark harness: one process, one sitting, side by side on the same input.

Phases (each timed, with peak memory of the driver JVM and of Python):

0. warm-up: a tiny date through the whole pipeline on a scratch lake (JIT, class loading),
   so that every measured phase runs in a warm JVM;
1. run: the full daily run of the tier's first date on a fresh lake, time per stage;
2. floor: read the same raw inputs, write a Delta table of the gold table's size;
3. peer: the gold ``inventory_activity`` step, the pipeline's own (Delta in, MERGE out) and
   DuckDB's (the same silver rows exported to parquet), both run twice, the warm run
   counts; the two outputs are compared row by row;
4. rerun: the same date again (forced: everything is recomputed and rewritten);
5. history: ``history_days`` consecutive dates of a (smaller) tier on a fresh lake, the
   last day's run against the first, plus file counts and sizes of the last partition.

The record is appended as one JSON line to ``<results_dir>/bench.jsonl`` and the history
chart is redrawn as ``<results_dir>/bench.svg``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import structlog
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from bench import chart, floor, peer
from bench.memory import PeakSampler
from jobs import daily
from pipeline.config import Config
from pipeline.runner import RunContext, Runner
from tables import specs
from tables.io import Lake

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = "bench.jsonl"
CHART_FILE = "bench.svg"
PARTIAL_FILE = "bench.partial.tmp"  # ignored by git (bench/results/*.tmp)
TARGETS = {
    "pipeline_over_floor": 2.0,
    "gold_over_duckdb": 5.0,
    "gates_share": 0.15,
    "rerun_over_first": 1.1,
    "day_last_over_day1": 1.1,
    "driver_memory_gib": 4.0,
}
SCHEMA_VERSION = 1


@dataclass
class BenchOptions:
    tier: str | None = "M"
    listings: int | None = None  # overrides the tier's size (e.g. a tiny smoke run)
    seed: int = 42
    start: date = date(2026, 1, 5)
    history_tier: str | None = "S"
    history_listings: int | None = None
    history_days: int = 30  # 0: no history phase
    workdir: Path = PROJECT_ROOT / "data" / "bench"
    results_dir: Path = PROJECT_ROOT / "bench" / "results"
    warmup: bool = True
    duckdb_threads: int = field(default_factory=lambda: os.cpu_count() or 2)
    quiet: bool = True  # drop the runner's INFO log lines (timings are still captured)
    chart: bool = True


# --------------------------------------------------------------------------- helpers
def _size(tier: str | None, listings: int | None) -> tuple[str, int]:
    from pipeline.sample.generator import tier_listings

    if listings:
        return f"n{listings}", int(listings)
    if not tier:
        raise ValueError("a tier or a number of listings is required")
    return tier.upper(), tier_listings(tier)


def ensure_raw(
    workdir: Path, label: str, listings: int, *, seed: int, start: date, days: int
) -> tuple[Path, float | None]:
    """Generated raw input for (size, seed, start, days), reused when already there.

    Returns the raw root and the generation time (None when reused).
    """
    from pipeline.sample.generator import generate

    root = workdir / "raw" / f"{label}-s{seed}-{start.isoformat()}-{days}d"
    marker = root / "_bench_generated.json"
    if marker.exists():
        return root, None
    if root.exists():
        shutil.rmtree(root)
    t0 = time.perf_counter()
    generate(raw_root=root, start=start, days=days, listings=listings, seed=seed)
    seconds = time.perf_counter() - t0
    marker.write_text(
        json.dumps({"listings": listings, "seed": seed, "start": str(start), "days": days})
    )
    return root, round(seconds, 2)


def lake_config(config: Config, raw_root: Path, lake: Path) -> Config:
    """``config`` pointed at a fresh lake under ``lake`` reading ``raw_root``."""
    if lake.exists():
        shutil.rmtree(lake)
    paths = dataclasses.replace(
        config.paths,
        raw_root=str(raw_root),
        lake_root=str(lake),
        landing_root=str(lake / "landing"),
        core_root=str(lake / "core"),
        reports_root=str(lake / "_reports"),
        lock_root=str(lake / "_locks"),
    )
    return dataclasses.replace(config, paths=paths)


class StageLog:
    """Collects the runner's ``stage finished`` events (stage, seconds) from structlog."""

    def __init__(self, *, quiet: bool):
        self.quiet = quiet
        self.events: list[dict[str, Any]] = []

    def __call__(self, logger, method: str, event_dict: dict) -> dict:
        if event_dict.get("event") == "stage finished":
            context = {**structlog.contextvars.get_contextvars(), **event_dict}
            self.events.append(
                {"stage": context.get("stage"), "seconds": float(context.get("seconds") or 0.0)}
            )
        if self.quiet and (
            method in ("debug", "info") or event_dict.get("event") == "rows quarantined"
        ):
            raise structlog.DropEvent
        return event_dict

    def take(self) -> dict[str, float]:
        stages: dict[str, float] = {}
        for event in self.events:
            stages[event["stage"]] = round(stages.get(event["stage"], 0.0) + event["seconds"], 2)
        self.events = []
        return stages


@contextmanager
def capture_stages(*, quiet: bool) -> Iterator[StageLog]:
    config = structlog.get_config()
    previous = list(config["processors"])
    stage_log = StageLog(quiet=quiet)
    structlog.configure(processors=[stage_log, *previous])
    try:
        yield stage_log
    finally:
        structlog.configure(processors=previous)


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(PROJECT_ROOT), *args],
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    status = git("status", "--porcelain")
    return {
        "commit": git("rev-parse", "HEAD") or None,
        "branch": git("rev-parse", "--abbrev-ref", "HEAD") or None,
        "dirty": bool(status),
        "changed_files": len(status.splitlines()) if status else 0,
    }


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    return info


def _versions(spark: SparkSession) -> dict[str, Any]:
    def dist(name: str) -> str | None:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    try:
        java = spark.sparkContext._jvm.java.lang.System.getProperty("java.version")
    except Exception:
        java = None
    return {
        "python": platform.python_version(),
        "java": java,
        "spark": spark.version,
        "pyspark": dist("pyspark"),
        "delta_spark": dist("delta-spark"),
        "duckdb": dist("duckdb"),
        "pyarrow": dist("pyarrow"),
        "inventory_activity": dist("inventory-activity"),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or not b:
        return None
    return round(a / b, 3)


def _spark_conf(spark: SparkSession) -> dict[str, str | None]:
    keys = (
        "spark.master",
        "spark.driver.memory",
        "spark.sql.shuffle.partitions",
        "spark.sql.adaptive.enabled",
        "spark.sql.autoBroadcastJoinThreshold",
        "spark.databricks.delta.snapshotPartitions",
    )
    return {k: spark.conf.get(k, None) for k in keys}


# ----------------------------------------------------------------------------- phases
@dataclass
class Bench:
    spark: SparkSession
    config: Config
    options: BenchOptions
    out: Callable[[str], None] = print
    stage_log: StageLog | None = None
    record: dict[str, Any] | None = None  # the record so far (saved after each history day)

    def say(self, text: str) -> None:
        self.out(text)

    def daily_run(self, config: Config, day: date, *, command: str = "bench") -> dict[str, Any]:
        """One ``run_date`` with its wall time, stage times, rows and memory peaks."""
        runner = Runner(RunContext(spark=self.spark, config=config, command=command))
        assert self.stage_log is not None
        self.stage_log.take()
        with PeakSampler(self.spark) as sampler:
            t0 = time.perf_counter()
            results = runner.run_date(day)
            seconds = time.perf_counter() - t0
        stages = self.stage_log.take()
        ingest = results["ingest"]
        gold_rows = results["gold"].details.get("inventory_activity", {}).get("rows", 0)
        gold_dates = results["gold"].details.get("inventory_activity", {}).get("dates", [])
        return {
            "date": day.isoformat(),
            "seconds": round(seconds, 2),
            "stages": stages,
            "rows": {
                "raw_in": ingest.rows_in,
                "quarantined": ingest.rows_in - ingest.rows_out,
                "gold": gold_rows,
                "gold_dates": gold_dates,
            },
            "rows_per_s": {
                "raw_in": round(ingest.rows_in / seconds, 1) if seconds else None,
                "gold": round(gold_rows / seconds, 1) if seconds else None,
            },
            "memory": sampler.peaks.as_dict(),
        }

    # phase 0
    def warmup(self) -> dict[str, Any]:
        raw, _ = ensure_raw(
            self.options.workdir, "n300", 300, seed=7, start=self.options.start, days=1
        )
        config = lake_config(self.config, raw, self.options.workdir / "lake-warmup")
        result = self.daily_run(config, self.options.start, command="bench-warmup")
        return {"seconds": result["seconds"]}

    # phase 2
    def floor(self, config: Config, day: date, rows: int) -> dict[str, Any]:
        with PeakSampler(self.spark) as sampler:
            result = floor.run_floor(
                self.spark,
                raw_root=config.paths.raw_root,
                day=day,
                out=self.options.workdir / "floor" / "gold_sized",
                rows=rows,
            )
        result["memory"] = sampler.peaks.as_dict()
        return result

    # phase 3
    def peer(self, config: Config, day: date) -> dict[str, Any]:
        step = daily.GOLD_STEPS[0]
        assert step.name == "inventory_activity"
        runner = Runner(RunContext(spark=self.spark, config=config, command="bench-peer"))
        lake = Lake(self.spark, config.paths)
        days = runner.window_dates(step, day)
        start, end = min(days), max(days)
        folder = self.options.workdir / "peer"
        folder.mkdir(parents=True, exist_ok=True)
        features, activity = folder / "listing_features", folder / "listing_activity"
        exported = {
            "listing_features": peer.export_parquet(
                lake.read_window(specs.LISTING_FEATURES, start, end), features
            ),
            "listing_activity": peer.export_parquet(
                lake.read_window(specs.LISTING_ACTIVITY, start, end), activity
            ),
        }
        spark_runs = []
        with PeakSampler(self.spark) as sampler:
            for _ in range(2):
                t0 = time.perf_counter()
                runner.run_step(step, day)
                spark_runs.append(round(time.perf_counter() - t0, 2))
        spark_memory = sampler.peaks.as_dict()
        duck_out = folder / "duckdb_inventory_activity.parquet"
        duck_runs = []
        with PeakSampler(None) as duck_sampler:
            for _ in range(2):
                seconds, duck_rows = peer.run_duckdb(
                    features, activity, duck_out, start, end, threads=self.options.duckdb_threads
                )
                duck_runs.append(round(seconds, 3))
        spark_gold = folder / "spark_inventory_activity"
        peer.export_parquet(lake.read_window(step.output, start, end), spark_gold)
        check = peer.compare(spark_gold, duck_out)
        return {
            "dates": [d.isoformat() for d in days],
            "exported_rows": exported,
            "spark_gold_seconds": spark_runs,
            "duckdb_seconds": duck_runs,
            "duckdb_rows": duck_rows,
            "duckdb_threads": self.options.duckdb_threads,
            "check": check,
            "memory": {
                "spark": spark_memory,
                "duckdb_python_rss_peak_mb": duck_sampler.peaks.python_rss_peak_mb,
            },
        }

    # phase 5
    def history(self) -> dict[str, Any]:
        opts = self.options
        label, listings = _size(opts.history_tier, opts.history_listings)
        raw, generated = ensure_raw(
            opts.workdir, label, listings, seed=opts.seed, start=opts.start, days=opts.history_days
        )
        config = lake_config(self.config, raw, opts.workdir / "lake-history")
        days = []
        for i in range(opts.history_days):
            day = opts.start + timedelta(days=i)
            result = self.daily_run(config, day)
            days.append(
                {k: result[k] for k in ("date", "seconds", "stages", "memory")}
                | {"gold_rows": result["rows"]["gold"]}
            )
            self.say(
                f"  history day {i + 1:>2}/{opts.history_days} {day}: {result['seconds']:.1f}s"
            )
            if self.record is not None:
                self.record["history"] = {"tier": label, "listings": listings, "days": days}
                save_partial(self.record, opts)
        return {
            "tier": label,
            "listings": listings,
            "generate_seconds": generated,
            "days": days,
            "files": file_stats(
                self.spark, config, [opts.start, opts.start + timedelta(days=opts.history_days - 1)]
            ),
        }


def file_stats(spark: SparkSession, config: Config, days: list[date]) -> dict[str, Any]:
    """Per table: live files and bytes in the first and last date, and Delta log size."""
    lake = Lake(spark, config.paths)
    tables = {
        "bronze.imp_daily": specs.BRONZE["imp_daily"],
        "silver.listing_snapshot": specs.LISTING_SNAPSHOT,
        "silver.listing_state": specs.LISTING_STATE,
        "silver.listing_activity": specs.LISTING_ACTIVITY,
        "silver.listing_features": specs.LISTING_FEATURES,
        "gold.inventory_activity": specs.GOLD["inventory_activity"],
        "core.inventory_activity": specs.CORE["inventory_activity"],
    }
    out: dict[str, Any] = {}
    for name, spec in tables.items():
        if not lake.exists(spec):
            continue
        rows = (
            lake.read_dates(spec, days)
            .select(specs.PARTITION, F.input_file_name().alias("f"))
            .distinct()
            .collect()
        )
        per_day: dict[str, dict[str, int]] = {}
        for r in rows:
            path = r["f"].removeprefix("file:")
            entry = per_day.setdefault(r[specs.PARTITION].isoformat(), {"files": 0, "bytes": 0})
            entry["files"] += 1
            with contextlib.suppress(OSError):
                entry["bytes"] += os.path.getsize(path)
        log_dir = Path(lake.path(spec).removeprefix("file:")) / "_delta_log"
        commits = len(list(log_dir.glob("*.json"))) if log_dir.exists() else None
        checkpoints = len(list(log_dir.glob("*.checkpoint*.parquet"))) if log_dir.exists() else None
        out[name] = {"by_date": per_day, "log_commits": commits, "log_checkpoints": checkpoints}
    return out


# ---------------------------------------------------------------------------- driver
def run(spark: SparkSession, config: Config, options: BenchOptions, out=print) -> dict[str, Any]:
    """Run every phase, append the JSON line, redraw the chart; returns the record."""
    options.workdir = Path(options.workdir).resolve()
    options.results_dir = Path(options.results_dir).resolve()
    options.workdir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    record: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "started_at": started.isoformat(timespec="seconds"),
        "machine": _machine(),
        "git": _git(),
        "versions": _versions(spark),
        "spark_conf": _spark_conf(spark),
        "config_fingerprint": config.fingerprint(),
        "quality_enabled": config.quality.enabled,
    }
    label, listings = _size(options.tier, options.listings)
    record.update({"tier": label, "listings": listings, "date": options.start.isoformat()})
    out(
        f"bench: tier {label} ({listings} listings), date {options.start}, "
        f"workdir {options.workdir}"
    )
    with capture_stages(quiet=options.quiet) as stage_log:
        bench = Bench(spark, config, options, out, stage_log, record)
        same_input = (
            options.history_days > 0
            and options.history_listings == options.listings
            and (options.history_tier or "").upper() == (options.tier or "").upper()
        )
        raw_days = options.history_days if same_input else 1
        raw, generated = ensure_raw(
            options.workdir, label, listings, seed=options.seed, start=options.start, days=raw_days
        )
        record["generate_seconds"] = generated
        made = f"generated in {generated:.1f}s" if generated else "reused"
        out(f"  raw input {raw} ({made})")

        def phase(name: str, work: Callable[[], Any]) -> Any:
            """Run one phase; a failure is recorded and the later phases still run."""
            try:
                record[name] = work()
            except Exception as exc:  # a benchmark reports what it could measure
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                record[name] = {"error": f"{type(exc).__name__}: {first}"}
                record.setdefault("errors", []).append(name)
                out(f"  {name}: FAILED {record[name]['error']}")
            save_partial(record, options)
            return record[name]

        if options.warmup:
            phase("warmup", bench.warmup)
            out(f"  0. warm-up run: {record['warmup'].get('seconds', '-')}s")
        config_main = lake_config(config, raw, options.workdir / "lake-main")
        day = options.start

        first = phase("run", lambda: bench.daily_run(config_main, day))
        out(f"  1. daily run: {first.get('seconds', '-')}s  stages {first.get('stages')}")

        gold_rows = (first.get("rows") or {}).get("gold") or 1
        floor_ = phase("floor", lambda: bench.floor(config_main, day, rows=gold_rows))
        out(f"  2. floor: {floor_.get('seconds', '-')}s")

        if "error" not in first:
            p = phase("peer", lambda: bench.peer(config_main, day))
            if "error" not in p:
                out(
                    f"  3. gold step: spark {p['spark_gold_seconds']}s, duckdb "
                    f"{p['duckdb_seconds']}s, same rows: {p['check']['same_rows']}"
                )

        rerun = phase("rerun", lambda: bench.daily_run(config_main, day, command="bench-rerun"))
        out(f"  4. forced rerun: {rerun.get('seconds', '-')}s  stages {rerun.get('stages')}")

        if options.history_days > 0:
            out(f"  5. history: {options.history_days} days")
            phase("history", bench.history)
    record["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    record["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    record["ratios"] = ratios(record)
    record["targets"] = TARGETS
    append(record, options)
    out(summary(record))
    return record


def ratios(record: dict[str, Any]) -> dict[str, float | None]:
    run_, rerun = record.get("run") or {}, record.get("rerun") or {}
    seconds = run_.get("seconds")
    stages = run_.get("stages") or {}
    gates = sum(v for k, v in stages.items() if k.startswith("gate_"))
    peer_ = record.get("peer") or {}
    history = (record.get("history") or {}).get("days") or []
    memory = [
        (run_.get("memory") or {}).get("java_rss_peak_mb"),
        (rerun.get("memory") or {}).get("java_rss_peak_mb"),
    ]
    memory = [m for m in memory if m]
    return {
        "pipeline_over_floor": _ratio(seconds, (record.get("floor") or {}).get("seconds")),
        "gold_over_duckdb": _ratio(
            (peer_.get("spark_gold_seconds") or [None])[-1],
            (peer_.get("duckdb_seconds") or [None])[-1],
        ),
        "gates_share": round(gates / seconds, 3) if seconds else None,
        "rerun_over_first": _ratio(rerun.get("seconds"), seconds),
        "day_last_over_day1": (
            _ratio(history[-1]["seconds"], history[0]["seconds"]) if len(history) > 1 else None
        ),
        "day_last_over_day3": (
            _ratio(history[-1]["seconds"], history[2]["seconds"]) if len(history) > 3 else None
        ),
        "driver_memory_gib": round(max(memory) / 1024, 2) if memory else None,
    }


def save_partial(record: dict[str, Any], options: BenchOptions) -> None:
    """The record so far, so that an interrupted sitting still shows its figures."""
    options.results_dir.mkdir(parents=True, exist_ok=True)
    (options.results_dir / PARTIAL_FILE).write_text(json.dumps(record, default=str, indent=1))


def append(record: dict[str, Any], options: BenchOptions) -> None:
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / RESULTS_FILE
    with path.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")
    (options.results_dir / PARTIAL_FILE).unlink(missing_ok=True)
    if options.chart:
        chart.write_svg(load(path), options.results_dir / CHART_FILE)


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summary(record: dict[str, Any]) -> str:
    r = record["ratios"]
    run_ = record.get("run") or {}
    history = record.get("history") or {}
    machine = record["machine"]
    lines = [
        "",
        f"tier {record['tier']} ({record['listings']} listings) on {machine.get('cpus')} cores, "
        f"load {machine['loadavg_start']} -> {machine['loadavg_end']}",
    ]
    if "seconds" in run_:
        lines += [
            f"daily run {run_['seconds']:.1f}s, {run_['rows']['raw_in']} raw rows "
            f"({run_['rows_per_s']['raw_in']:.0f}/s), {run_['rows']['gold']} gold rows "
            f"({run_['rows_per_s']['gold']:.0f}/s)",
            "stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in run_["stages"].items()),
            "memory: " + ", ".join(f"{k} {v}" for k, v in run_["memory"].items()),
        ]
    if record.get("peer", {}).get("check"):
        lines.append(f"peer check: {record['peer']['check']}")
    if record.get("errors"):
        lines.append(f"FAILED phases: {record['errors']}")
    lines += ["", f"{'ratio':<24}{'value':>10}{'target':>10}"]
    labels = {
        "pipeline_over_floor": "pipeline / floor",
        "gold_over_duckdb": "gold step / DuckDB",
        "gates_share": "gates share of run",
        "rerun_over_first": "forced rerun / first",
        "day_last_over_day1": (
            f"day {len(history.get('days') or [])} / day 1 ({history.get('tier', '-')})"
        ),
        "day_last_over_day3": "  (day last / day 3)",
        "driver_memory_gib": "driver JVM RSS GiB",
    }
    for key, label in labels.items():
        value = r.get(key)
        target = TARGETS.get(key)
        shown = "-" if value is None else f"{value:.3f}"
        lines.append(f"{label:<24}{shown:>10}{'' if target is None else f'<= {target:g}':>10}")
    return "\n".join(lines)


def finalize_partial(results_dir: Path, note: str) -> dict[str, Any]:
    """Append the record of an interrupted sitting (``bench.partial.tmp``) as a JSON line,
    marked ``interrupted`` with ``note``; its ratios cover the phases that finished (the
    history ratio uses the last day reached)."""
    results_dir = Path(results_dir)
    record = json.loads((results_dir / PARTIAL_FILE).read_text())
    record["interrupted"] = True
    record.setdefault("notes", []).append(note)
    record["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    record["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    record["ratios"] = ratios(record)
    record["targets"] = TARGETS
    append(record, BenchOptions(results_dir=results_dir))
    return record


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - convenience
    from pipeline.cli import main as cli_main

    return cli_main(["bench", *(argv if argv is not None else sys.argv[1:])])
