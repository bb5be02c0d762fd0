"""Whole runs: blocking failures exit 3 before publish with core unchanged; warnings publish.

Each run starts from the session lake (day 1 published) and a copy of day 2's generated
raw input in which one layer's checks are broken. A run breaks every check of its layer
that an input can reach; test_gate.py proves that each of them alone fails the gate.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from pipeline.cli import main
from pipeline.errors import ExitCode, QualityGateFailed
from tables import specs
from tests.quality.conftest import D2, core_state, dq_rows, without_rules
from tests.quality.scenarios import break_bronze, break_silver


def _failed(rows: dict, table: str, severity: str) -> set[str]:
    return {
        check
        for (t, check), row in rows.items()
        if t == table and not row["success"] and row["severity"] == severity
    }


def _cli_args(quality_lake, raw) -> list[str]:
    args = []
    for item in [*quality_lake.paths(raw), "run.retries=0"]:
        args += ["--set", item]
    return args


def test_bronze_blocking_failures_exit_3_through_the_cli(quality_lake, monkeypatch, capsys):
    raw = quality_lake.scenario("bronze")
    expected = break_bronze(raw, D2)
    lake = quality_lake.lake()
    before = core_state(lake)
    without_rules(monkeypatch, tables=set(specs.BRONZE))

    code = main(["run", "--date", D2.isoformat(), *_cli_args(quality_lake, raw)])

    err = capsys.readouterr().err
    assert code == ExitCode.QUALITY_FAILED, err
    assert "quality gate failed at bronze" in err and "nothing was published" in err
    assert core_state(lake) == before
    rows = dq_rows(lake, D2)
    for table, checks in expected.items():
        assert _failed(rows, table, "blocking") >= checks, table
    assert {r["layer"] for r in rows.values()} == {"bronze"}  # later layers never ran
    report = quality_lake.root / "reports" / f"dq-report-{D2.isoformat()}.html"
    assert "id='verdict' class='verdict v-failed'>FAILED<" in report.read_text()


def test_silver_blocking_failures_stop_the_run_before_gold(quality_lake):
    raw = quality_lake.scenario("silver")
    expected = break_silver(raw, D2)
    lake = quality_lake.lake()
    before = core_state(lake)
    runner = quality_lake.runner(quality_lake.config(raw_root=raw))

    with pytest.raises(QualityGateFailed) as error:
        runner.run_date(D2)

    assert error.value.exit_code == ExitCode.QUALITY_FAILED
    assert "quality gate failed at silver" in str(error.value)
    assert core_state(lake) == before
    rows = dq_rows(lake, D2)
    assert _failed(rows, "silver.listing_features", "blocking") == expected
    assert not any(t.startswith("gold.") for t, _ in rows)
    assert all(r["success"] or r["severity"] == "warning" for (t, _), r in rows.items()
               if t.startswith("bronze."))  # fmt: skip


def test_gold_blocking_failures_leave_core_unchanged(quality_lake, monkeypatch):
    from pyspark.sql import Window

    from pipeline.transforms import gold

    real_inventory, real_segments = gold.inventory_activity, gold.segment_activity
    broken = {
        0: None,  # dropped: one row fewer than silver's active listings
        1: ("make_name", None), 2: ("model_name", None), 3: ("model_year", None),
        4: ("total_impressions", None), 5: ("total_impressions", -5),
        6: ("leads_total", None), 7: ("leads_total", -1),
    }  # fmt: skip

    def inventory(**kwargs):
        frame = real_inventory(**kwargs)
        i = F.row_number().over(Window.partitionBy("filedate").orderBy("vehicle_id")) - 1
        frame = frame.withColumn("__i", i).where(F.col("__i") != 0)
        for index, (column, value) in ((k, v) for k, v in broken.items() if v):
            typed = F.lit(value).cast(frame.schema[column].dataType)
            frame = frame.withColumn(
                column, F.when(F.col("__i") == index, typed).otherwise(F.col(column))
            )
        return frame.drop("__i")

    def segments(inventory):
        frame = real_segments(inventory)
        return frame.withColumn("leads_total", F.col("leads_total") + F.lit(1000))

    monkeypatch.setattr(gold, "inventory_activity", inventory)
    monkeypatch.setattr(gold, "segment_activity", segments)
    raw = quality_lake.scenario("gold")
    lake = quality_lake.lake()
    before = core_state(lake)

    with pytest.raises(QualityGateFailed) as error:
        quality_lake.runner(quality_lake.config(raw_root=raw)).run_date(D2)

    assert error.value.exit_code == ExitCode.QUALITY_FAILED
    assert core_state(lake) == before
    rows = dq_rows(lake, D2)
    assert _failed(rows, "gold.inventory_activity", "blocking") == {
        "rows_equal_silver_active", "make_not_null", "model_not_null", "model_year_not_null",
        "total_impressions_not_null", "total_impressions_not_negative",
        "leads_total_not_null", "leads_total_not_negative",
    }  # fmt: skip
    assert _failed(rows, "gold.segment_activity", "blocking") == {"mart_totals_match_inventory"}
    assert not _failed(rows, "silver.listing_features", "blocking")


def test_warnings_are_reported_and_the_date_is_published(quality_lake, warned_run):
    lake = quality_lake.lake()
    assert "publish" in warned_run.results
    for name, (version, content) in warned_run.after.items():
        assert version > warned_run.before[name][0], name
        assert content != warned_run.before[name][1], name
    core = lake.read_dates(specs.CORE["inventory_activity"], [D2]).count()
    assert core == lake.read_dates(specs.GOLD["inventory_activity"], [D2]).count() > 0
    rows = dq_rows(lake, D2)
    assert not [k for k, r in rows.items() if not r["success"] and r["severity"] == "blocking"]
    html = warned_run.report.read_text()
    assert "PASSED WITH WARNINGS" in html
    for table, checks in warned_run.expected.items():
        assert _failed(rows, table, "warning") >= checks, table
        for check in checks:
            assert f"data-table='{table}' data-check='{check}' data-status='warning'" in html


def test_every_warning_expectation_is_exercised(quality_lake, warned_run):
    from quality.suite import LAYERS, load_suites

    config = quality_lake.config()
    warnings = {
        (s.table, c.id)
        for layer in LAYERS
        for s in load_suites(config, layer)
        for c in s.checks
        if c.severity == "warning"
    }
    shared = {"row_count_not_spiked", "quarantine_rate"}  # the same include in every suite
    covered = {(t, c) for t, checks in warned_run.expected.items() for c in checks}
    assert {(t, c) for t, c in warnings if c not in shared} - covered == set()
    assert {c for _, c in covered} >= shared


def test_quarantine_counts_by_reason_reach_dq_results_and_the_report(quality_lake, warned_run):
    import json

    rows = dq_rows(quality_lake.lake(), D2)
    vehicle = json.loads(rows[("bronze.vehicle", "quarantine_rate")]["details"])["metric"]
    assert vehicle["by_reason"] == {"negative_price": vehicle["quarantined"]}
    assert vehicle["quarantined"] > 0
    competitor = json.loads(rows[("bronze.competitor_listing", "quarantine_rate")]["details"])
    assert competitor["metric"]["by_reason"] == {"unreadable_file": 5}
    html = warned_run.report.read_text()
    assert "<td>bronze.vehicle</td><td>negative_price</td>" in html
    assert "<td>bronze.competitor_listing</td><td>unreadable_file</td><td>5</td>" in html
