"""Silver lifecycle: state carried day by day (next_state) and lifecycle features.

Three days of snapshots, hand-traced (prices in dollars, "-" = not in the snapshot):

    id  D-7 (Feb 25)    D1 (Mar 2)     D2 (Mar 3)       D3 (Mar 4)
    1   pending 21000   active 20000   active 19000     active 19500
    2   -               active 15000   pending 15000    active 14000   (goes pending, comes back)
    3   -               -              active 30000     active 29000   (new on D2)
    4   -               active 10000   active no price  active 9000    (price missing one day)
    5   sold no price   active 12000   active 12500     active 12500   (only an increase)
    6   -               active 8000    removed 8000     -              (leaves)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from pipeline.transforms.silver_lifecycle import lifecycle_features, next_state
from pipeline.transforms.silver_snapshot import active_listings
from tables import specs

D_MINUS_7 = date(2026, 2, 25)
D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)
D3 = date(2026, 3, 4)


def usd(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(f"{value}.00")


def snap_rows(*rows: tuple[int, str, int | None]) -> list[dict]:
    return [{"vehicle_id": v, "status": status, "price": usd(price)} for v, status, price in rows]


@pytest.fixture(scope="module")
def days(snapshot, frame):
    snapshots = {
        D_MINUS_7: snapshot(
            snap_rows((1, "pending", 21000), (5, "sold", None)), filedate=D_MINUS_7
        ),
        D1: snapshot(
            snap_rows(
                (1, "active", 20000),
                (2, "active", 15000),
                (4, "active", 10000),
                (5, "active", 12000),
                (6, "active", 8000),
            ),
            filedate=D1,
        ),
        D2: snapshot(
            snap_rows(
                (1, "active", 19000),
                (2, "pending", 15000),
                (3, "active", 30000),
                (4, "active", None),
                (5, "active", 12500),
                (6, "removed", 8000),
            ),
            filedate=D2,
        ),
        D3: snapshot(
            snap_rows(
                (1, "active", 19500),
                (2, "active", 14000),
                (3, "active", 29000),
                (4, "active", 9000),
                (5, "active", 12500),
            ),
            filedate=D3,
        ),
    }
    state_fields = [
        f for f in specs.LISTING_STATE.schema.fields if f.name not in ("run_id", "processed_at")
    ]
    state = frame(T.StructType(state_fields), [])
    states = {}
    for day in (D1, D2, D3):
        state = next_state(
            previous_state=state,
            active=active_listings(snapshots[day]),
            filedate=day,
            retention_days=365,
        ).cache()
        states[day] = state
    yield snapshots, states
    for cached in states.values():
        cached.unpersist()


def by_id(df, *columns: str) -> dict:
    return {r["vehicle_id"]: tuple(r[c] for c in columns) for r in df.collect()}


STATE_COLUMNS = ("first_seen_date", "last_active_date", "last_price", "price_drop_count")


def test_state_after_day_1(days):
    _, states = days
    assert by_id(states[D1], *STATE_COLUMNS) == {
        1: (D1, D1, usd(20000), 0),
        2: (D1, D1, usd(15000), 0),
        4: (D1, D1, usd(10000), 0),
        5: (D1, D1, usd(12000), 0),
        6: (D1, D1, usd(8000), 0),
    }
    assert {r["filedate"] for r in states[D1].collect()} == {D1}


def test_state_after_day_2(days):
    _, states = days
    assert by_id(states[D2], *STATE_COLUMNS) == {
        1: (D1, D2, usd(19000), 1),
        2: (D1, D1, usd(15000), 0),  # pending: carried, not active
        3: (D2, D2, usd(30000), 0),
        4: (D1, D2, usd(10000), 0),  # no price today: last known price kept
        5: (D1, D2, usd(12500), 0),  # an increase is not a drop
        6: (D1, D1, usd(8000), 0),  # removed: carried within retention
    }


def test_state_after_day_3(days):
    _, states = days
    assert by_id(states[D3], *STATE_COLUMNS) == {
        1: (D1, D3, usd(19500), 1),
        2: (D1, D3, usd(14000), 1),  # back from pending: first seen kept, drop vs 15000
        3: (D2, D3, usd(29000), 1),
        4: (D1, D3, usd(9000), 1),  # 10000 -> (none) -> 9000 is one drop
        5: (D1, D3, usd(12500), 0),
        6: (D1, D1, usd(8000), 0),
    }
    assert {r["filedate"] for r in states[D3].collect()} == {D3}


@pytest.mark.parametrize(
    ("retention_days", "expected_ids"),
    [(1, [1, 2, 3, 4, 5]), (2, [1, 2, 3, 4, 5, 6])],
)
def test_state_retention_drops_listings_inactive_too_long(days, retention_days, expected_ids):
    snapshots, states = days
    state = next_state(
        previous_state=states[D2],
        active=active_listings(snapshots[D3]),
        filedate=D3,
        retention_days=retention_days,
    )
    # D3 - 1 day = D2 > D1 (listing 6's last active day): dropped; D3 - 2 days = D1: kept.
    assert sorted(r["vehicle_id"] for r in state.collect()) == expected_ids


FEATURE_COLUMNS = ("first_seen_date", "days_on_market", "price_change_1d", "price_drop_count")


def test_features_day_1_first_day(days):
    snapshots, states = days
    out = lifecycle_features(
        active=active_listings(snapshots[D1]),
        state=states[D1],
        prices_before={1: snapshots[D2].limit(0)},
        filedate=D1,
    )
    assert by_id(out, *FEATURE_COLUMNS) == {
        1: (D1, 0, None, 0),
        2: (D1, 0, None, 0),
        4: (D1, 0, None, 0),
        5: (D1, 0, None, 0),
        6: (D1, 0, None, 0),
    }


def test_features_day_2(days):
    snapshots, states = days
    out = lifecycle_features(
        active=active_listings(snapshots[D2]),
        state=states[D2],
        prices_before={1: snapshots[D1]},
        filedate=D2,
    )
    assert by_id(out, *FEATURE_COLUMNS) == {
        1: (D1, 1, Decimal("-1000.00"), 1),
        3: (D2, 0, None, 0),  # absent the day before
        4: (D1, 1, None, 0),  # no price today
        5: (D1, 1, Decimal("500.00"), 0),
    }


@pytest.fixture(scope="module")
def day_3_features(days):
    snapshots, states = days
    return lifecycle_features(
        active=active_listings(snapshots[D3]),
        state=states[D3],
        prices_before={1: snapshots[D2], 7: snapshots[D_MINUS_7]},
        filedate=D3,
    )


def test_features_day_3(day_3_features):
    assert by_id(day_3_features, *FEATURE_COLUMNS, "price_change_7d") == {
        1: (D1, 2, Decimal("500.00"), 1, Decimal("-1500.00")),
        # pending on D2 but in D2's snapshot with a price: the 1-day change is known
        2: (D1, 2, Decimal("-1000.00"), 1, None),
        3: (D2, 1, Decimal("-1000.00"), 1, None),
        4: (D1, 2, None, 1, None),  # D2 had no price
        5: (D1, 2, Decimal("0.00"), 0, None),  # D-7 had no price
    }


def test_features_keep_one_row_per_active_listing_and_the_snapshot_columns(day_3_features):
    rows = day_3_features.collect()
    assert sorted(r["vehicle_id"] for r in rows) == [1, 2, 3, 4, 5]
    assert {r["status"] for r in rows} == {"active"}
    assert {r["filedate"] for r in rows} == {D3}
    assert {r["price"] for r in rows if r["vehicle_id"] == 1} == {usd(19500)}
    types = dict(day_3_features.dtypes)
    assert types["days_on_market"] == "int"
    assert types["price_change_1d"] == "decimal(12,2)"
    assert types["price_change_7d"] == "decimal(12,2)"
    assert types["price_drop_count"] == "int"
