"""``run`` through the CLI in process: no-op reruns, --force, new raw files, input not ready,
quality gate failures, ``publish``, ``status`` and ``backfill`` arguments and progress."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F

from pipeline.cli import main
from pipeline.errors import ExitCode, QualityGateFailed
from pipeline.ledger import SKIPPED, WAITING, Ledger
from pipeline.logs import configure_logging
from pipeline.orchestrator import Orchestrator
from pipeline.progress import Progress
from pipeline.runner import Gate, RunContext, table_version
from tables import specs
from tables.io import Lake
from tests.raw_factory import vehicle, write_day, write_raw

D1 = date(2026, 4, 1)
WATCHED = (specs.LISTING_STATE, specs.LISTING_FEATURES, specs.GOLD["inventory_activity"])


@pytest.fixture(autouse=True)
def _logs_to_the_current_stderr():
    """Re-bind structlog to this test's stderr (a CLI call binds it to a captured stream)."""
    configure_logging(level="WARNING")


def paths(tmp_path) -> list[str]:
    lake = tmp_path / "lake"
    settings = {
        "paths.raw_root": tmp_path / "raw",
        "paths.lake_root": lake,
        "paths.landing_root": lake / "landing",
        "paths.core_root": lake / "core",
        "paths.reports_root": tmp_path / "reports",
        "paths.lock_root": lake / "_locks",
        "run.retries": 0,
        "quality.enabled": "false",
    }
    return [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]


def cli(capsys, tmp_path, *args: str) -> tuple[int, str, str]:
    code = main([*args, *paths(tmp_path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def config_of(lake_config, tmp_path):
    return lake_config("quality.enabled=false")


def versions(spark, config) -> dict[str, int | None]:
    lake = Lake(spark, config.paths)
    return {s.qualified: table_version(spark, lake.path(s)) for s in WATCHED}


def test_rerun_is_a_noop_force_recomputes_and_a_new_raw_file_recomputes(
    spark, tmp_path, capsys, lake_config
):
    config = config_of(lake_config, tmp_path)
    write_day(tmp_path / "raw", D1, vehicles=[vehicle(1, D1), vehicle(2, D1)])
    code, out, _ = cli(capsys, tmp_path, "run", "--date", D1.isoformat())
    assert code == ExitCode.SUCCESS and "inventory_activity rows 2" in out
    first = versions(spark, config)

    code, out, _ = cli(capsys, tmp_path, "run", "--date", D1.isoformat())
    assert code == ExitCode.SUCCESS
    assert f"{D1}: skipped - done, inputs unchanged since run" in out
    assert versions(spark, config) == first  # nothing written

    code, out, _ = cli(capsys, tmp_path, "run", "--date", D1.isoformat(), "--force")
    assert code == ExitCode.SUCCESS and "inventory_activity rows 2" in out
    forced = versions(spark, config)
    assert all(forced[t] > first[t] for t in first)

    write_raw(tmp_path / "raw", "vehicle", D1, [vehicle(3, D1)], name="part-00001.parquet")
    code, out, _ = cli(capsys, tmp_path, "run", "--date", D1.isoformat())
    assert code == ExitCode.SUCCESS and "inventory_activity rows 3" in out
    core = Lake(spark, config.paths).read_dates(specs.CORE["inventory_activity"], [D1])
    assert {r[0] for r in core.select("vehicle_id").collect()} == {1, 2, 3}

    view = Ledger(spark, config).view()
    attempts = view.attempts(D1)
    assert [a.kind for a in attempts] == ["compute", "skipped", "compute", "compute"]
    assert attempts[1].statuses == {SKIPPED}
    prints = [a.fingerprint for a in attempts]
    assert prints[0] == prints[1] == prints[2] != prints[3]
    manifest = json.loads(attempts[3].stages["ingest"]["raw_manifest"])
    assert any(
        path.endswith("vehicle/filedate=2026-04-01/part-00001.parquet") for path, *_ in manifest
    )

    # status: the date is done, by the last run; backfill over it skips it (JSON progress)
    code, out, _ = cli(capsys, tmp_path, "status", "--json")
    report = json.loads(out)
    assert report["lock"] is None
    assert [(e["date"], e["state"], e["run_id"]) for e in report["dates"]] == [
        (D1.isoformat(), "done", attempts[3].run_id)
    ]
    code, out, err = cli(capsys, tmp_path, "backfill", "--start", str(D1), "--end", str(D1))
    assert code == ExitCode.SUCCESS and "0 computed, 1 skipped, 0 failed" in out
    progress = [json.loads(line) for line in err.splitlines() if '"backfill progress"' in line]
    assert progress[-1]["dates_done"] == progress[-1]["dates_total"] == 1
    assert progress[-1]["status"] == "skipped" and "run_id" in progress[-1]


def test_missing_partition_records_waiting_for_input_and_writes_nothing(
    spark, tmp_path, capsys, lake_config
):
    write_day(tmp_path / "raw", D1, vehicles=[vehicle(1, D1)], skip=("dma_zip",))
    code, out, err = cli(capsys, tmp_path, "run", "--date", D1.isoformat())
    assert code == ExitCode.INPUT_NOT_READY
    assert "dma_zip/filedate=2026-04-01" in err and "waiting for input" in out
    lake = tmp_path / "lake"
    tables = sorted(str(p.parent.relative_to(lake)) for p in lake.rglob("_delta_log"))
    assert tables == ["ops/run_ledger"]
    (attempt,) = Ledger(spark, config_of(lake_config, tmp_path)).view().attempts(D1)
    assert attempt.kind == "waiting" and attempt.stages["ingest"]["status"] == WAITING
    assert "dma_zip" in attempt.stages["ingest"]["error"]
    code, out, _ = cli(capsys, tmp_path, "status")
    assert "waiting for input" in out and "dma_zip" in out


def test_failed_stage_shows_in_status_with_its_error(spark, tmp_path, capsys):
    write_day(tmp_path / "raw", D1, vehicles=[vehicle(1, D1)])
    folder = tmp_path / "raw" / "imp_daily" / f"filedate={D1.isoformat()}"
    (folder / "part-00001.parquet").write_bytes(b"this is not parquet")
    code, _, _ = cli(capsys, tmp_path, "run", "--date", D1.isoformat())
    assert code == ExitCode.FAILURE
    code, out, _ = cli(capsys, tmp_path, "status")
    assert code == ExitCode.SUCCESS
    line = next(x for x in out.splitlines() if x.startswith(D1.isoformat()))
    assert line.split()[1:3] == ["failed", "FAILED"]
    assert f"{D1} ingest: raw table 'imp_daily'" in out and "part-00001.parquet" in out


class GoldGate(Gate):
    """Passes bronze and silver; the gold layer passes only when ``ok``."""

    def __init__(self, ok: bool):
        self.ok = ok

    def check(self, runner, *, layer, days):
        if layer == "gold" and not self.ok:
            raise QualityGateFailed(f"gold gate failed for {days}: inventory_activity empty")
        return "passed"


def test_gate_failure_publishes_nothing_and_publish_follows_the_gate(
    spark, tmp_path, capsys, lake_config
):
    config = lake_config()  # quality enabled: gates run (stub gate)
    write_day(tmp_path / "raw", D1, vehicles=[vehicle(1, D1)])
    ledger = Ledger(spark, config)
    ctx = RunContext(spark=spark, config=config, command="run")
    failed = Orchestrator(ctx, ledger=ledger, gate=GoldGate(ok=False)).run(D1)
    assert failed.exit_code == ExitCode.QUALITY_FAILED
    assert not Lake(spark, config.paths).exists(specs.CORE["inventory_activity"])

    stages = Ledger(spark, config).view().latest_compute(D1).stages
    assert stages["gate_bronze"]["gate_verdict"] == "passed"
    assert (
        stages["gate_gold"]["status"] == "failed"
        and stages["gate_gold"]["gate_verdict"] == "failed"
    )
    assert "publish" not in stages
    ingest, silver = stages["ingest"], stages["silver"]
    assert ingest["code_version"] and ingest["config_hash"] and ingest["input_fingerprint"]
    assert "bronze.vehicle" in json.loads(ingest["output_versions"])
    assert "bronze.vehicle" in json.loads(silver["input_versions"])
    assert "silver.listing_state" in json.loads(silver["output_versions"])
    assert silver["rows_out"] > 0 and silver["ended_at"] >= silver["started_at"]

    code, _, err = cli(capsys, tmp_path, "publish", "--date", D1.isoformat())
    assert code == ExitCode.QUALITY_FAILED and "gold quality gate failed" in err
    code, _, err = cli(capsys, tmp_path, "publish", "--date", str(D1 + timedelta(days=1)))
    assert code == ExitCode.INPUT_NOT_READY and "run the date first" in err

    ctx = RunContext(spark=spark, config=config, command="run")
    fixed = Orchestrator(ctx, ledger=Ledger(spark, config), gate=GoldGate(ok=True)).run(D1)
    assert fixed.error is None and fixed.outcomes[0].status == "computed"  # not skipped
    code, out, _ = cli(capsys, tmp_path, "publish", "--date", D1.isoformat())
    assert code == ExitCode.SUCCESS and f"{D1}: published" in out
    core = Lake(spark, config.paths).read(specs.CORE["inventory_activity"])
    assert core.where(F.col("filedate") == D1).count() == 1
    view = Ledger(spark, config).view()
    assert [a.kind for a in view.attempts(D1)] == ["compute", "compute", "publish"]
    assert view.done_dates(D1, D1) == {D1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-04-02", "--end", "2026-04-01"], "is after --end"),
        (["--start", "2026-01-01", "--end", "2026-03-01"], "at most 28"),
        (["--start", "2026-04-01", "--end", "2026-04-02", "--batch-days", "0"], "--batch-days"),
    ],
)
def test_backfill_refuses_bad_ranges(tmp_path, capsys, args, message):
    code, _, err = cli(capsys, tmp_path, "backfill", *args)
    assert code == ExitCode.USAGE and message in err


def test_progress_line_on_a_terminal_and_json_elsewhere():
    ticks = iter([0.0, 10.0])
    terminal = io.StringIO()
    progress = Progress(total=3, stream=terminal, tty=True, monotonic=lambda: next(ticks))
    progress.update(D1, "computed", rows=120)
    assert "1/3 dates" in terminal.getvalue() and "rows 120" in terminal.getvalue()
    assert "ETA 0:00:20" in terminal.getvalue()  # 10 s per computed date, 2 left
    logs = io.StringIO()
    progress = Progress(total=2, stream=logs, tty=False, context={"run_id": "r1"})
    progress.update(D1, "skipped")
    event = json.loads(logs.getvalue())
    assert event["event"] == "backfill progress" and event["dates_done"] == 1
    assert (event["dates_total"], event["run_id"], event["eta_s"]) == (2, "r1", None)
