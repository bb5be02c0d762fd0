"""End to end through the CLI on 14 consecutive real days of the public used-EV data.

carmax, carvana and plattauto are the platform's listings; autotrader is a competitor
feed. Oracles are computed with pandas from the imported raw files and the source JSON,
never by the pipeline.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from pyspark.sql import functions as F

from pipeline.cli import main
from tables import specs
from tables.io import Lake
from tests.conftest import shared_data

START = date(2026, 1, 5)
DAYS = 14
pytestmark = pytest.mark.real_data


def _args(root) -> list[str]:
    lake = root / "lake"
    return [
        "--set", f"paths.raw_root={root / 'raw'}",
        "--set", f"paths.lake_root={lake}",
        "--set", f"paths.landing_root={lake / 'landing'}",
        "--set", f"paths.core_root={lake / 'core'}",
        "--set", f"paths.reports_root={root / 'reports'}",
        "--set", f"paths.lock_root={lake / '_locks'}",
        "--set", "run.retries=0",
        # The real feed has partial scrapes (carvana 2026-01-09: 110 KB against ~550 KB on
        # the days around it); the default bronze band gate blocks that date (observed
        # 0.42 of the trailing median), as it should in production. This test is about the
        # data flow over 14 consecutive real days, so it runs without the gates; the gates
        # have their own tests (tests/quality).
        "--set", "quality.enabled=false",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def ev_lake(spark, tmp_path_factory):
    source = shared_data("usedevpricetracker")
    dma_csv = shared_data("zip_to_dma", "zip_to_dma.csv")
    root = tmp_path_factory.mktemp("ev")
    end = START + timedelta(days=DAYS - 1)
    code = main(
        [
            "sample", "import-ev", "--source-dir", str(source), "--raw-root", str(root / "raw"),
            "--dma-csv", str(dma_csv), "--start", START.isoformat(), "--end", end.isoformat(),
            *_args(root),
        ]
    )  # fmt: skip
    assert code == 0
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        assert main(["run", "--date", day.isoformat(), *_args(root)]) == 0, day
    return root, source


def _config(root):
    from pipeline.config import load_config

    overrides = [a for a in _args(root) if a != "--set"]
    return load_config("local", overrides)


def _active_ids(root, day: date) -> set[int]:
    frame = pd.read_parquet(root / "raw" / "vehicle" / f"filedate={day.isoformat()}")
    frame = frame.sort_values("updated_at").drop_duplicates("vehicle_id", keep="last")
    return set(frame.loc[frame["status"] == "active", "vehicle_id"].astype(int))


def test_gold_rows_equal_distinct_active_listings(spark, ev_lake):
    root, _ = ev_lake
    core = Lake(spark, _config(root).paths).read(specs.CORE["inventory_activity"])
    per_day = {
        r[0]: r[1] for r in core.groupBy("filedate").agg(F.collect_set("vehicle_id")).collect()
    }
    assert sorted(per_day) == [START + timedelta(days=i) for i in range(DAYS)]
    for day, ids in per_day.items():
        assert set(ids) == _active_ids(root, day), day


def _autotrader_min_prices(source, day: date) -> dict[str, Decimal]:
    path = source / "autotrader" / f"{day.isoformat()}.json"
    if not path.exists():
        return {}
    prices: dict[str, Decimal] = {}
    for listing in json.loads(path.read_text())["listings"]:
        vin, price = (listing.get("vin") or "").upper(), listing.get("price")
        if vin and price and price > 0:
            prices[vin] = min(prices.get(vin, Decimal(str(price))), Decimal(str(price)))
    return prices


def test_real_vins_on_autotrader_get_competitor_prices(spark, ev_lake):
    root, source = ev_lake
    core = Lake(spark, _config(root).paths).read(specs.CORE["inventory_activity"])
    matched_days = 0
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        expected = _autotrader_min_prices(source, day)
        rows = core.where((F.col("filedate") == day) & F.col("vin").isNotNull()).select(
            "vin", "price", "competitor_count", "competitor_prices", "competitor_min_price",
            "price_vs_competitor_pct",
        ).collect()  # fmt: skip
        for row in rows:
            want = expected.get(row.vin.upper())
            if want is None:
                assert row.competitor_count == 0 and row.competitor_min_price is None
                continue
            assert row.competitor_count == 1
            assert row.competitor_prices["autotrader"] == want
            assert row.competitor_min_price == want
            if row.price is not None:
                pct = float((row.price - want) / want * 100)
                assert row.price_vs_competitor_pct == pytest.approx(pct)
        matched_days += any(r.competitor_count for r in rows)
    assert matched_days >= DAYS // 2, "real VINs should match autotrader on most days"


def test_days_on_market_grow_for_listings_present_throughout(spark, ev_lake):
    root, _ = ev_lake
    core = Lake(spark, _config(root).paths).read(specs.CORE["inventory_activity"])
    last = START + timedelta(days=DAYS - 1)
    stayers = core.where((F.col("filedate") == last) & (F.col("first_seen_date") == START)).select(
        "days_on_market"
    )
    assert stayers.count() > 0
    assert {r[0] for r in stayers.collect()} == {DAYS - 1}
