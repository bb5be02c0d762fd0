"""The CLI end to end, in process (it reuses the test SparkSession): bad input handling."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from pipeline.cli import main
from pipeline.errors import ExitCode
from tests.raw_factory import vehicle, write_day, write_raw

DAY = date(2026, 3, 2)


def _paths(tmp_path) -> list[str]:
    lake = tmp_path / "lake"
    return [
        "--set", f"paths.raw_root={tmp_path / 'raw'}",
        "--set", f"paths.lake_root={lake}",
        "--set", f"paths.landing_root={lake / 'landing'}",
        "--set", f"paths.core_root={lake / 'core'}",
        "--set", f"paths.reports_root={tmp_path / 'reports'}",
        "--set", f"paths.lock_root={lake / '_locks'}",
        "--set", "run.retries=0",
    ]  # fmt: skip


def _written_tables(tmp_path) -> list[str]:
    lake = tmp_path / "lake"
    return sorted(str(p.parent.relative_to(lake)) for p in lake.rglob("_delta_log"))


def test_bad_date_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--date", "2026-02-30"])
    assert exit_info.value.code == ExitCode.USAGE
    assert "'2026-02-30' is not a date in the form YYYY-MM-DD" in capsys.readouterr().err


def test_unknown_config_key_is_a_usage_error(tmp_path, capsys):
    code = main(["run", "--date", "2026-03-02", "--set", "rules.lookbak=1"])
    assert code == ExitCode.USAGE
    assert "unknown key 'rules.lookbak'" in capsys.readouterr().err


def test_missing_partition_is_input_not_ready_and_writes_nothing(spark, tmp_path, capsys):
    write_day(tmp_path / "raw", DAY, vehicles=[vehicle(1, DAY)], skip=("dma_zip",))
    code = main(["run", "--date", DAY.isoformat(), *_paths(tmp_path)])
    err = capsys.readouterr().err
    assert code == ExitCode.INPUT_NOT_READY
    assert f"dma_zip/filedate={DAY.isoformat()}" in err
    assert [t for t in _written_tables(tmp_path) if not t.startswith("ops")] == []


def test_unreadable_file_names_the_file_and_writes_nothing(spark, tmp_path, capsys):
    write_day(tmp_path / "raw", DAY, vehicles=[vehicle(1, DAY)])
    broken = tmp_path / "raw" / "imp_daily" / f"filedate={DAY.isoformat()}" / "part-00001.parquet"
    broken.write_bytes(b"this is not parquet")
    code = main(["run", "--date", DAY.isoformat(), *_paths(tmp_path)])
    err = capsys.readouterr().err
    assert code == ExitCode.FAILURE
    assert "raw table 'imp_daily'" in err and "part-00001.parquet" in err
    assert "Traceback" not in err
    assert [t for t in _written_tables(tmp_path) if not t.startswith("ops")] == []


def test_wrong_column_type_names_table_file_and_column(spark, tmp_path, capsys):
    write_day(tmp_path / "raw", DAY, vehicles=[vehicle(1, DAY)], skip=("vehicle",))
    row = vehicle(1, DAY)
    row["price"] = "20000"
    write_raw(tmp_path / "raw", "vehicle", DAY, [row], overrides={"price": pa.string()})
    code = main(["run", "--date", DAY.isoformat(), *_paths(tmp_path)])
    err = capsys.readouterr().err
    assert code == ExitCode.FAILURE
    assert "raw table 'vehicle'" in err
    assert "column 'price' has type string, the contract says decimal(12,2)" in err
    assert [t for t in _written_tables(tmp_path) if not t.startswith("ops")] == []


def test_lossless_widening_is_accepted(spark, tmp_path, capsys):
    write_day(tmp_path / "raw", DAY, vehicles=[vehicle(1, DAY)], skip=("vehicle",))
    write_raw(
        tmp_path / "raw",
        "vehicle",
        DAY,
        [vehicle(1, DAY), vehicle(2, DAY)],
        overrides={"vehicle_id": pa.int32(), "mileage": pa.int16()},
    )
    # the day has no leads or impressions, which the (separately tested) gates would block
    args = ["run", "--date", DAY.isoformat(), *_paths(tmp_path), "--set", "quality.enabled=false"]
    code = main(args)
    out, err = capsys.readouterr()
    assert code == ExitCode.SUCCESS, out + err[-3000:]
    assert "inventory_activity rows 2" in out
