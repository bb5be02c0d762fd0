"""Silver snapshot: de-duplication of the vehicle delivery and active-listing selection."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from pyspark.sql import functions as F

from pipeline.transforms.silver_snapshot import (
    active_listings,
    dedupe_dimension,
    dedupe_vehicle,
)
from tables import specs

D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def prices(df) -> dict:
    return {(r["filedate"], r["vehicle_id"]): r["price"] for r in df.collect()}


def test_latest_updated_at_wins(bronze_rows):
    df = bronze_rows(
        "vehicle",
        [
            {"vehicle_id": 1, "price": Decimal("100.00"), "updated_at": at(8)},
            {"vehicle_id": 1, "price": Decimal("90.00"), "updated_at": at(10)},
            {"vehicle_id": 1, "price": Decimal("95.00"), "updated_at": at(9, 59)},
            {"vehicle_id": 2, "price": Decimal("500.00"), "updated_at": at(7)},
        ],
        filedate=D1,
    )
    assert prices(dedupe_vehicle(df)) == {
        (D1, 1): Decimal("90.00"),
        (D1, 2): Decimal("500.00"),
    }


def test_latest_row_wins_even_when_it_changes_status(bronze_rows):
    df = bronze_rows(
        "vehicle",
        [
            {"vehicle_id": 1, "status": "active", "updated_at": at(8)},
            {"vehicle_id": 1, "status": "sold", "updated_at": at(17)},
        ],
        filedate=D1,
    )
    rows = dedupe_vehicle(df).collect()
    assert [(r["vehicle_id"], r["status"]) for r in rows] == [(1, "sold")]


def test_tie_on_updated_at_is_broken_by_later_source_file(bronze_rows):
    rows = [
        {"vehicle_id": 1, "price": Decimal("100.00"), "_source_file": "file:/raw/part-b.parquet"},
        {"vehicle_id": 1, "price": Decimal("200.00"), "_source_file": "file:/raw/part-a.parquet"},
    ]
    forward = bronze_rows("vehicle", rows, filedate=D1)
    backward = bronze_rows("vehicle", list(reversed(rows)), filedate=D1)
    assert prices(dedupe_vehicle(forward)) == {(D1, 1): Decimal("100.00")}
    assert prices(dedupe_vehicle(backward)) == {(D1, 1): Decimal("100.00")}


def test_tie_within_one_file_has_the_same_winner_whatever_the_read_order(bronze_rows):
    """Same updated_at, same file: the winner depends on content only, not on row order,
    union order or partitioning."""
    rows = [
        {"vehicle_id": 7, "price": Decimal(f"{p}.00"), "mileage": p, "updated_at": at(12)}
        for p in (101, 202, 303, 404)
    ]
    one = bronze_rows("vehicle", rows, filedate=D1)
    reversed_rows = bronze_rows("vehicle", list(reversed(rows)), filedate=D1)
    split_a = bronze_rows("vehicle", rows[2:], filedate=D1)
    split_b = bronze_rows("vehicle", rows[:2], filedate=D1)
    unioned = split_a.union(split_b).repartition(3)
    shuffled = bronze_rows("vehicle", [rows[2], rows[0], rows[3], rows[1]], filedate=D1)

    winners = {
        name: dedupe_vehicle(df).collect()
        for name, df in {
            "one": one,
            "reversed": reversed_rows,
            "unioned": unioned,
            "shuffled": shuffled.coalesce(1),
        }.items()
    }
    assert len(winners["one"]) == 1
    assert winners["reversed"] == winners["one"]
    assert winners["unioned"] == winners["one"]
    assert winners["shuffled"] == winners["one"]
    # The winner is one of the delivered rows, whole (not a mix of columns).
    (winner,) = winners["one"]
    assert winner["mileage"] in {101, 202, 303, 404}
    assert winner["price"] == Decimal(winner["mileage"])


def test_different_days_keep_separate_rows(bronze_rows):
    day1 = bronze_rows(
        "vehicle",
        [
            {"vehicle_id": 1, "price": Decimal("100.00"), "updated_at": at(8, day=2)},
            {"vehicle_id": 1, "price": Decimal("110.00"), "updated_at": at(9, day=2)},
        ],
        filedate=D1,
    )
    day2 = bronze_rows(
        "vehicle",
        # An older updated_at on day 2 must not lose against day 1's row.
        [{"vehicle_id": 1, "price": Decimal("120.00"), "updated_at": at(7, day=2)}],
        filedate=D2,
    )
    assert prices(dedupe_vehicle(day1.union(day2))) == {
        (D1, 1): Decimal("110.00"),
        (D2, 1): Decimal("120.00"),
    }


def test_snapshot_columns_are_the_silver_snapshot_columns(bronze_rows):
    df = bronze_rows("vehicle", [{"vehicle_id": 1}], filedate=D1)
    expected = [c for c in specs.LISTING_SNAPSHOT.columns if c not in ("run_id", "processed_at")]
    assert dedupe_vehicle(df).columns == expected


def test_active_listings_keeps_only_status_active(bronze_rows):
    df = bronze_rows(
        "vehicle",
        [
            {"vehicle_id": 1, "status": "active"},
            {"vehicle_id": 2, "status": "pending"},
            {"vehicle_id": 3, "status": "sold"},
            {"vehicle_id": 4, "status": "removed"},
            # active earlier in the day, sold later: not active after de-duplication
            {"vehicle_id": 5, "status": "active", "updated_at": at(8)},
            {"vehicle_id": 5, "status": "sold", "updated_at": at(9)},
            # the other way round: active
            {"vehicle_id": 6, "status": "pending", "updated_at": at(8)},
            {"vehicle_id": 6, "status": "active", "updated_at": at(9)},
        ],
        filedate=D1,
    )
    active = active_listings(dedupe_vehicle(df))
    assert sorted(r["vehicle_id"] for r in active.collect()) == [1, 6]


def test_dedupe_dimension_one_row_per_key_and_no_metadata(bronze_rows):
    rows = [
        {"make_id": 1, "make_name": "Honda"},
        {"make_id": 1, "make_name": "Honda"},
        {"make_id": 2, "make_name": "Toyota", "_source_file": "file:/a"},
        {"make_id": 2, "make_name": "Toyota Motor", "_source_file": "file:/b"},
    ]
    forward = dedupe_dimension(bronze_rows("make", rows, filedate=D1), keys=["make_id"])
    backward = dedupe_dimension(
        bronze_rows("make", list(reversed(rows)), filedate=D1), keys=["make_id"]
    )
    assert forward.columns == ["make_id", "make_name"]
    # Same key in two files: the later source file name wins, as for the vehicle.
    assert {r["make_id"]: r["make_name"] for r in forward.collect()} == {
        1: "Honda",
        2: "Toyota Motor",
    }
    assert sorted(tuple(r) for r in backward.collect()) == sorted(
        tuple(r) for r in forward.collect()
    )
    assert forward.where(F.col("make_id") == 2).count() == 1
