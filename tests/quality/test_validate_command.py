"""``inventory-activity validate`` and ``report`` through the real CLI entry point."""

from __future__ import annotations

from datetime import date

from pipeline.cli import main
from pipeline.errors import ExitCode
from tests.quality.conftest import D2, dq_rows


def _args(quality_lake) -> list[str]:
    args = []
    for item in quality_lake.paths():
        args += ["--set", item]
    return args


def test_validate_reruns_the_gates_and_replaces_the_dates_rows(quality_lake, warned_run, capsys):
    lake = quality_lake.lake()
    before = dq_rows(lake, D2)
    report = warned_run.report
    old_html = report.read_text()
    extra = ["--set", "quality.row_count_floors.bronze.competitor_listing=100000"]

    code = main(["validate", "--date", D2.isoformat(), *_args(quality_lake), *extra])

    out = capsys.readouterr().out
    assert code == ExitCode.SUCCESS, out
    assert "bronze: passed_with_warnings" in out and "gold: passed_with_warnings" in out
    after = dq_rows(lake, D2)
    assert set(after) == set(before)  # one row per check: replaced, not appended
    assert len({r["run_id"] for r in after.values()}) == 1
    assert {r["run_id"] for r in after.values()} != {r["run_id"] for r in before.values()}
    # the gold lookback date was validated by the run; validate --date D2 leaves it alone
    assert dq_rows(lake, D2.replace(day=2))
    new_html = report.read_text()
    assert new_html != old_html and "PASSED WITH WARNINGS" in new_html
    assert f"report: {report}" in out

    assert main(["report", "--date", D2.isoformat(), *_args(quality_lake)]) == ExitCode.SUCCESS
    assert capsys.readouterr().out.strip() == str(report)


def test_report_of_a_date_never_validated_is_an_error(quality_lake, capsys):
    code = main(["report", "--date", "2026-03-01", *_args(quality_lake)])
    assert code == ExitCode.FAILURE
    assert "run `inventory-activity validate --date 2026-03-01`" in capsys.readouterr().err


def test_validate_a_date_missing_from_the_lake_fails_every_table(quality_lake, capsys):
    day = date(2026, 1, 20)
    code = main(["validate", "--date", day.isoformat(), *_args(quality_lake)])
    captured = capsys.readouterr()
    assert code == ExitCode.QUALITY_FAILED
    assert "bronze: failed" in captured.out and "gold: failed" in captured.out
    assert "bronze.vehicle:row_count_floor (observed empty batch (0 rows))" in captured.err
    rows = dq_rows(quality_lake.lake(), day)
    assert rows[("gold.inventory_activity", "row_count_floor")]["success"] is False
