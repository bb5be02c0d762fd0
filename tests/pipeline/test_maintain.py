"""``maintain``: unsafe VACUUM retentions refused, never under a held lock, OPTIMIZE works."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.cli import main
from pipeline.errors import ExitCode
from pipeline.ledger import RUNNING, SUCCEEDED, Ledger
from pipeline.lock import RunLock, lock_store
from pipeline.logs import configure_logging
from tables import specs
from tables.io import Lake

DAY = date(2026, 4, 1)


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
    }
    return [arg for key, value in settings.items() for arg in ("--set", f"{key}={value}")]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("3", "the minimum is 7 days"),
        ("10", "rules.lookback_days (2) + run.backfill_max_days (28) = 30 days"),
    ],
)
def test_unsafe_vacuum_retention_is_refused(tmp_path, capsys, days, message):
    code = main(["maintain", "--retention-days", days, *paths(tmp_path)])
    assert code == ExitCode.USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()


def test_maintain_never_runs_while_a_run_holds_the_lock(tmp_path, capsys, lake_config):
    holder = RunLock(
        lock_store(lake_config()),
        env="local",
        run_id="the-daily-run",
        command="run --date 2026-04-01",
        timeout_seconds=0,
        stale_seconds=600,
        heartbeat_seconds=30,
    )
    with holder:
        code = main(["maintain", "--set", "run.lock_timeout_seconds=1", *paths(tmp_path)])
    err = capsys.readouterr().err
    assert code == ExitCode.BUSY
    assert "the-daily-run" in err and "run --date 2026-04-01" in err
    assert not (tmp_path / "lake" / "ops").exists()


class _Ctx:
    run_id, command = "run-1", "run"

    @staticmethod
    def clock():
        return datetime.now(UTC).replace(tzinfo=None)


def test_maintain_optimizes_vacuums_and_compacts_the_ledger(spark, tmp_path, capsys, lake_config):
    config = lake_config()
    lake = Lake(spark, config.paths)
    spec = specs.BRONZE["make"]
    for make_id in (1, 2, 3):  # three files in one partition
        row = {"filedate": DAY, "make_id": make_id, "make_name": "Make"}
        lake.append(
            spec, spark.createDataFrame([{c: row.get(c) for c in spec.columns}], spec.schema)
        )
    ledger = Ledger(spark, config)
    ledger.record(_Ctx, day=DAY, stage="ingest", status=RUNNING)
    ledger.flush()
    ledger.record(_Ctx, day=DAY, stage="ingest", status=SUCCEEDED)
    ledger.flush()

    args = ["maintain", "--table", "bronze.make", "--table", "run_ledger", *paths(tmp_path)]
    code = main(args)
    out = capsys.readouterr().out
    assert code == ExitCode.SUCCESS, out
    assert "bronze.make: optimize removed 3 files, added 1; vacuum done" in out
    assert "maintained 2 tables; VACUUM retention 30 days (minimum 30)" in out
    assert lake.read(spec).count() == 3
    assert Lake(spark, config.paths).read(specs.RUN_LEDGER).count() == 1  # one row per key
    assert (
        spark.sql(f"DESCRIBE HISTORY delta.`{lake.path(spec)}`")
        .where("operation = 'VACUUM END'")
        .count()
        == 1
    )

    code = main(["maintain", "--table", "bronze.nope", *paths(tmp_path)])
    assert code == ExitCode.USAGE and "is not a table" in capsys.readouterr().err
