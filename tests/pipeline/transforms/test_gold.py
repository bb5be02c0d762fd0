"""Gold: inventory_activity (features + activity, zeros when none) and segment_activity."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from pipeline.transforms import gold
from tables import specs
from tables.specs import ACTIVITY_COLUMNS

D = date(2026, 3, 4)
D_BEFORE = date(2026, 3, 3)
CIVIC = {"make_name": "Honda", "model_name": "Civic", "model_year": 2022}
CAMRY = {"make_name": "Toyota", "model_name": "Camry", "model_year": 2021}
NY = {"dma_code": 501, "dma_name": "New York"}


def without_run_metadata(schema: T.StructType) -> T.StructType:
    return T.StructType([f for f in schema.fields if f.name not in ("run_id", "processed_at")])


def usd(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(f"{value}.00")


FEATURES = [
    {"filedate": D, "vehicle_id": 1, **CIVIC, **NY, "price": usd(20000), "days_on_market": 10},
    {"filedate": D, "vehicle_id": 2, **CIVIC, **NY, "price": usd(30000), "days_on_market": 4},
    {"filedate": D, "vehicle_id": 3, **CIVIC, "price": usd(25000), "days_on_market": 0},
    {"filedate": D, "vehicle_id": 4, **CAMRY, **NY, "price": None, "days_on_market": 7},
    {
        "filedate": D_BEFORE,
        "vehicle_id": 1,
        **CIVIC,
        **NY,
        "price": usd(21000),
        "days_on_market": 9,
    },
]


def act(day, vehicle_id, srp, featured, vdp, weighted, email=0, phone=0, chat=0, rate=None):
    total = srp + featured + vdp
    return {
        "filedate": day,
        "vehicle_id": vehicle_id,
        "srp_impressions": srp,
        "featured_impressions": featured,
        "vdp_impressions": vdp,
        "total_impressions": total,
        "weighted_impressions": weighted,
        "leads_total": email + phone + chat,
        "leads_email": email,
        "leads_phone": phone,
        "leads_chat": chat,
        "leads_text": 0,
        "leads_other": 0,
        "leads_per_1k_impressions": rate,
    }


ACTIVITY = [
    act(D, 1, 100, 20, 30, 220.5, email=2, phone=1, rate=20.0),
    act(D, 3, 0, 0, 0, 0.0, chat=1),
    act(D, 4, 40, 0, 10, 70.0, rate=0.0),
    act(D, 9, 5, 0, 0, 5.0, email=1, rate=200.0),  # not an active listing: not in gold
    act(D_BEFORE, 1, 10, 0, 0, 10.0, email=1, rate=100.0),
]


@pytest.fixture(scope="module")
def inventory(frame):
    features_schema = without_run_metadata(specs.LISTING_FEATURES.schema)
    activity_schema = without_run_metadata(specs.LISTING_ACTIVITY.schema)
    out = gold.inventory_activity(
        features=frame(features_schema, FEATURES), activity=frame(activity_schema, ACTIVITY)
    ).cache()
    yield out
    out.unpersist()


@pytest.fixture(scope="module")
def inventory_rows(inventory):
    return {(r["filedate"], r["vehicle_id"]): r for r in inventory.collect()}


def test_inventory_one_row_per_active_listing_and_day(inventory_rows):
    assert sorted(inventory_rows) == [(D_BEFORE, 1), (D, 1), (D, 2), (D, 3), (D, 4)]


def test_inventory_columns_are_the_gold_columns(inventory):
    expected = without_run_metadata(specs.GOLD["inventory_activity"].schema).fieldNames()
    assert inventory.columns == expected


def test_inventory_carries_activity_of_the_same_day(inventory_rows):
    row = inventory_rows[(D, 1)]
    assert (row["srp_impressions"], row["featured_impressions"], row["vdp_impressions"]) == (
        100,
        20,
        30,
    )
    assert row["total_impressions"] == 150
    assert row["weighted_impressions"] == pytest.approx(220.5)
    assert (row["leads_total"], row["leads_email"], row["leads_phone"]) == (3, 2, 1)
    assert row["leads_per_1k_impressions"] == pytest.approx(20.0)
    assert row["price"] == usd(20000)
    before = inventory_rows[(D_BEFORE, 1)]
    assert (before["total_impressions"], before["leads_total"]) == (10, 1)
    assert before["leads_per_1k_impressions"] == pytest.approx(100.0)


def test_inventory_fills_zero_activity_for_listings_without_any(inventory_rows):
    row = inventory_rows[(D, 2)]
    counts = [
        c for c in ACTIVITY_COLUMNS if c not in ("weighted_impressions", "leads_per_1k_impressions")
    ]
    assert {c: row[c] for c in counts} == dict.fromkeys(counts, 0)
    assert row["weighted_impressions"] == 0.0
    assert row["leads_per_1k_impressions"] is None


def test_inventory_leads_without_impressions_have_no_rate(inventory_rows):
    row = inventory_rows[(D, 3)]
    assert (row["total_impressions"], row["leads_total"], row["leads_chat"]) == (0, 1, 1)
    assert row["leads_per_1k_impressions"] is None


def test_inventory_impressions_without_leads_rate_zero(inventory_rows):
    row = inventory_rows[(D, 4)]
    assert (row["total_impressions"], row["leads_total"]) == (50, 0)
    assert row["leads_per_1k_impressions"] == 0.0


@pytest.fixture(scope="module")
def segments(inventory):
    out = gold.segment_activity(inventory)
    return out, {
        (r["filedate"], r["make_name"], r["model_name"], r["model_year"], r["dma_code"]): r
        for r in out.collect()
    }


SEGMENT_COLUMNS = (
    "dma_name",
    "active_listings",
    "median_price",
    "avg_days_on_market",
    "total_impressions",
    "weighted_impressions",
    "vdp_impressions",
    "leads_total",
    "leads_per_1k_impressions",
)


def median(value: int) -> Decimal:
    return Decimal(f"{value}.0000")


def test_segment_activity_rows(segments):
    _, rows = segments
    got = {key: tuple(r[c] for c in SEGMENT_COLUMNS) for key, r in rows.items()}
    assert got == {
        # listings 1 and 2: median (20000 + 30000) / 2, days (10 + 4) / 2, 3 leads / 150 imps
        (D, "Honda", "Civic", 2022, 501): (
            "New York",
            2,
            median(25000),
            7.0,
            150,
            220.5,
            30,
            3,
            20.0,
        ),
        # listing 3 has no DMA: its own segment with a null DMA
        (D, "Honda", "Civic", 2022, None): (None, 1, median(25000), 0.0, 0, 0.0, 0, 1, None),
        # listing 4 has no price: no median
        (D, "Toyota", "Camry", 2021, 501): ("New York", 1, None, 7.0, 50, 70.0, 10, 0, 0.0),
        (D_BEFORE, "Honda", "Civic", 2022, 501): (
            "New York",
            1,
            median(21000),
            9.0,
            10,
            10.0,
            0,
            1,
            100.0,
        ),
    }


def test_segment_activity_totals_equal_sums_over_inventory(inventory_rows, segments):
    _, rows = segments
    for column in ("total_impressions", "vdp_impressions", "leads_total"):
        assert sum(r[column] for r in rows.values()) == sum(
            r[column] for r in inventory_rows.values()
        )
    assert sum(r["weighted_impressions"] for r in rows.values()) == pytest.approx(
        sum(r["weighted_impressions"] for r in inventory_rows.values())
    )
    assert sum(r["active_listings"] for r in rows.values()) == len(inventory_rows)


def test_segment_activity_columns_are_the_gold_columns(segments):
    out, _ = segments
    expected = without_run_metadata(specs.GOLD["segment_activity"].schema).fieldNames()
    assert out.columns == expected


def test_with_run_metadata(inventory):
    processed_at = datetime(2026, 3, 5, 4, 0, tzinfo=UTC)
    row = gold.with_run_metadata(inventory, run_id="r-9", processed_at=processed_at).first()
    assert row["run_id"] == "r-9"
    assert row["processed_at"].astimezone(UTC) == processed_at
