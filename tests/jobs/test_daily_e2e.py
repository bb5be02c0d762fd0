"""End to end on generated raw input: raw -> bronze -> silver -> gold -> core, in process.

The oracle for gold row counts is computed with pandas straight from the raw parquet
files (latest ``updated_at`` per vehicle_id, status active), not by the pipeline.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from pyspark.sql import functions as F

from pipeline.runner import RunContext, Runner
from tables import specs
from tables.io import Lake

START = date(2026, 2, 2)
DAYS = 3


def _generate(raw_root, *, bad_row_share: float, listings: int = 300, seed: int = 11):
    from pipeline.sample.generator import generate

    return generate(
        raw_root=raw_root,
        start=START,
        days=DAYS,
        listings=listings,
        seed=seed,
        bad_row_share=bad_row_share,
    )


def _active_ids_from_raw(raw_root, day: date) -> set[int]:
    frame = pd.read_parquet(raw_root / "vehicle" / f"filedate={day.isoformat()}")
    frame = frame.sort_values("updated_at").drop_duplicates("vehicle_id", keep="last")
    return set(frame.loc[frame["status"] == "active", "vehicle_id"].astype(int))


@pytest.fixture(scope="module")
def clean_lake(spark, tmp_path_factory):
    """Three days generated without contract-breaking rows and run in order."""
    from pipeline.config import load_config

    root = tmp_path_factory.mktemp("clean")
    _generate(root / "raw", bad_row_share=0.0)
    config = load_config(
        "local",
        [
            f"paths.raw_root={root / 'raw'}",
            f"paths.lake_root={root / 'lake'}",
            f"paths.landing_root={root / 'lake/landing'}",
            f"paths.core_root={root / 'lake/core'}",
            f"paths.reports_root={root / 'reports'}",
            f"paths.lock_root={root / 'lake/_locks'}",
            "run.retries=0",
        ],
    )
    for offset in range(DAYS):
        Runner(RunContext(spark=spark, config=config)).run_date(START + timedelta(days=offset))
    return root, config


def test_gold_rows_equal_distinct_active_listings(spark, clean_lake):
    root, config = clean_lake
    lake = Lake(spark, config.paths)
    core = lake.read(specs.CORE["inventory_activity"])
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        expected = _active_ids_from_raw(root / "raw", day)
        got = {r[0] for r in core.where(F.col("filedate") == day).select("vehicle_id").collect()}
        assert got == expected, day
    assert core.groupBy("filedate", "vehicle_id").count().where("count > 1").count() == 0


def test_lifecycle_moves_forward_across_days(spark, clean_lake):
    _, config = clean_lake
    gold = Lake(spark, config.paths).read(specs.CORE["inventory_activity"])
    last = START + timedelta(days=DAYS - 1)
    rows = gold.where(F.col("filedate") == last)
    # Listings active on every day were first seen on START at the latest.
    assert rows.where(F.col("days_on_market") > DAYS - 1).count() == 0
    seen_from_start = rows.where(F.col("first_seen_date") == START)
    assert seen_from_start.count() > 0
    assert seen_from_start.where(F.col("days_on_market") != DAYS - 1).count() == 0
    assert rows.where(F.col("price_change_1d").isNotNull()).count() > 0


def _comparable(frame):
    """Set operations cannot take MAP columns: compare them as sorted JSON."""
    for field in frame.schema.fields:
        if field.dataType.typeName() == "map":
            frame = frame.withColumn(field.name, F.to_json(F.map_entries(field.name)))
    return frame


def test_core_equals_landing_for_published_dates(spark, clean_lake):
    _, config = clean_lake
    lake = Lake(spark, config.paths)
    for name in ("inventory_activity", "segment_activity"):
        landing, core = (
            _comparable(lake.read(specs.GOLD[name])),
            _comparable(lake.read(specs.CORE[name])),
        )
        assert landing.count() == core.count() > 0
        assert landing.exceptAll(core).count() == 0


def test_mart_totals_equal_inventory_sums(spark, clean_lake):
    _, config = clean_lake
    lake = Lake(spark, config.paths)
    inv = (
        lake.read(specs.CORE["inventory_activity"])
        .groupBy("filedate")
        .agg(F.count(F.lit(1)).alias("n"), F.sum("leads_total").alias("leads"))
    )
    mart = (
        lake.read(specs.CORE["segment_activity"])
        .groupBy("filedate")
        .agg(F.sum("active_listings").alias("n"), F.sum("leads_total").alias("leads"))
    )
    assert inv.exceptAll(mart).count() == 0


def test_quarantine_counts_add_up(spark, tmp_path, lake_config):
    _generate(tmp_path / "raw", bad_row_share=0.05, listings=200, seed=5)
    config = lake_config()
    day = START
    results = Runner(RunContext(spark=spark, config=config)).run_date(day)
    lake = Lake(spark, config.paths)
    raw = pd.read_parquet(tmp_path / "raw" / "vehicle" / f"filedate={day.isoformat()}")
    bronze = lake.read_dates(specs.BRONZE["vehicle"], [day]).count()
    quarantine = lake.read_dates(specs.QUARANTINE["vehicle"], [day])
    assert len(raw) == bronze + quarantine.count()
    assert quarantine.count() > 0
    reasons = {r[0] for r in quarantine.select("reason_code").distinct().collect()}
    assert {"invalid_vin", "negative_price", "invalid_zip"} <= reasons
    assert quarantine.where(F.col("_source_file").isNull() | F.col("record").isNull()).count() == 0
    ingest = results["ingest"].details
    assert ingest["vehicle"] == {"accepted": bronze, "quarantined": quarantine.count()}


def _content(lake: Lake, spec, day: date):
    """A table's rows for a date without run metadata, sorted, as plain tuples."""
    drop = {"run_id", "processed_at", "_run_id", "_ingest_ts"}
    frame = lake.read_dates(spec, [day])
    columns = [c for c in frame.columns if c not in drop]
    return sorted(
        (tuple(str(v) for v in row) for row in frame.select(*columns).collect()),
    )


def test_rerunning_a_date_three_times_changes_nothing(spark, tmp_path, lake_config):
    _generate(tmp_path / "raw", bad_row_share=0.02, listings=150, seed=9)
    config = lake_config()
    lake = Lake(spark, config.paths)
    first, second = START, START + timedelta(days=1)
    Runner(RunContext(spark=spark, config=config)).run_date(first)
    Runner(RunContext(spark=spark, config=config)).run_date(second)
    watched = [
        specs.BRONZE["vehicle"],
        specs.QUARANTINE["vehicle"],
        specs.LISTING_SNAPSHOT,
        specs.LISTING_STATE,
        specs.LISTING_ACTIVITY,
        specs.LISTING_FEATURES,
        specs.GOLD["inventory_activity"],
        specs.CORE["inventory_activity"],
        specs.CORE["segment_activity"],
    ]
    before = {(s.qualified, d): _content(lake, s, d) for s in watched for d in (first, second)}
    for _ in range(3):
        Runner(RunContext(spark=spark, config=config)).run_date(second)
    after = {(s.qualified, d): _content(lake, s, d) for s in watched for d in (first, second)}
    for key, rows in before.items():
        assert after[key] == rows, key
    assert before[(specs.CORE["inventory_activity"].qualified, second)]
