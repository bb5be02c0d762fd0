"""Silver activity: weighted impressions and valid leads per listing and day.

Weights (SPEC 4): srp 1.0 and featured 1.5 times 1 / log2(position + 1); vdp 3.0 times 1.
Hand values: 1/log2(2) = 1, 1/log2(4) = 0.5, 1/log2(8) = 1/3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipeline.transforms.silver_activity import (
    daily_impressions,
    daily_leads,
    impression_weight,
    listing_activity,
    unique_leads,
)
from tables import specs
from tables.raw_contract import LEAD_TYPES

D0 = date(2026, 3, 1)
D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)
D3 = date(2026, 3, 4)

WEIGHTS = {
    "page_weights": {"srp": 1.0, "featured": 1.5, "vdp": 3.0},
    "position_weighted_pages": ("srp", "featured"),
}
LEAD_PARAMS = {"valid_status": "valid", "lead_types": LEAD_TYPES}


def utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def imp(vehicle_id: int, page: str, position: int | None, n: int, day: date = D2) -> dict:
    return {
        "event_date": day,
        "vehicle_id": vehicle_id,
        "page_type": page,
        "position": position,
        "device": "desktop",
        "impressions": n,
    }


# ------------------------------------------------------------------ impression weight


@pytest.mark.parametrize(
    ("page", "position", "expected"),
    [
        ("srp", 1, 1.0),
        ("srp", 3, 0.5),
        ("srp", 7, 1 / 3),
        ("featured", 1, 1.5),
        ("featured", 3, 0.75),
        ("vdp", None, 3.0),
        ("vdp", 7, 3.0),  # no position weight on a detail page
    ],
)
def test_impression_weight(bronze_rows, page, position, expected):
    df = bronze_rows("imp_daily", [imp(1, page, position, 1)], filedate=D2)
    (row,) = df.select(impression_weight(**WEIGHTS).alias("w")).collect()
    assert row["w"] == pytest.approx(expected, rel=1e-12)


IMPRESSIONS = [
    # vehicle 1 on D2: weighted 10*1 + 4*0.5 + 2*1.5 + 24*3 = 10 + 2 + 3 + 72 = 87
    imp(1, "srp", 1, 10),
    imp(1, "srp", 3, 4),
    imp(1, "featured", 1, 2),
    imp(1, "vdp", None, 24),
    # vehicle 2 on D2: weighted 4*1.5*0.5 + 3*1/3 = 3 + 1 = 4
    imp(2, "featured", 3, 4),
    imp(2, "srp", 7, 3),
    # vehicle 2 on D1: a row with zero impressions
    imp(2, "srp", 1, 0, day=D1),
    # vehicle 1 on D0: outside the [D1, D3] window
    imp(1, "srp", 1, 1000, day=D0),
]


def test_daily_impressions_by_page_total_and_weighted(bronze_rows):
    df = bronze_rows("imp_daily", IMPRESSIONS[:6], filedate=D2)
    rows = {r["vehicle_id"]: r for r in daily_impressions(df, **WEIGHTS).collect()}
    assert sorted(rows) == [1, 2]
    one, two = rows[1], rows[2]
    assert one["filedate"] == D2
    assert (one["srp_impressions"], one["featured_impressions"], one["vdp_impressions"]) == (
        14,
        2,
        24,
    )
    assert one["total_impressions"] == 40
    assert one["weighted_impressions"] == pytest.approx(87.0)
    assert (two["srp_impressions"], two["featured_impressions"], two["vdp_impressions"]) == (
        3,
        4,
        0,
    )
    assert two["total_impressions"] == 7
    assert two["weighted_impressions"] == pytest.approx(4.0)


def test_vdp_ten_impressions_weigh_thirty(bronze_rows):
    df = bronze_rows("imp_daily", [imp(9, "vdp", None, 10)], filedate=D2)
    (row,) = daily_impressions(df, **WEIGHTS).collect()
    assert row["weighted_impressions"] == pytest.approx(30.0)
    assert row["vdp_impressions"] == 10


def test_weights_come_from_configuration(bronze_rows):
    df = bronze_rows("imp_daily", [imp(1, "srp", 3, 4), imp(1, "vdp", None, 2)], filedate=D2)
    (row,) = daily_impressions(
        df, page_weights={"srp": 2.0, "vdp": 1.0}, position_weighted_pages=("srp",)
    ).collect()
    assert row["weighted_impressions"] == pytest.approx(4 * 2.0 * 0.5 + 2 * 1.0)


# ---------------------------------------------------------------------------- leads


def lead(lead_id, vehicle_id, lead_type, lead_ts, status, delivered, source="file:/raw/a"):
    return {
        "filedate": delivered,
        "lead_id": lead_id,
        "vehicle_id": vehicle_id,
        "customer_id": 10,
        "lead_type": lead_type,
        "lead_ts": lead_ts,
        "status": status,
        "_source_file": source,
    }


LEADS = [
    lead("L1", 1, "email", utc(D2, 10), "valid", D2),
    # re-delivered the next day, unchanged: counted once
    lead("L2", 1, "phone", utc(D2, 23, 30), "valid", D2),
    lead("L2", 1, "phone", utc(D2, 23, 30), "valid", D3),
    # re-delivered later as spam: not counted
    lead("L3", 1, "chat", utc(D2, 12), "valid", D2),
    lead("L3", 1, "chat", utc(D2, 12), "spam", D3),
    # late: a lead of D1 delivered on D3 counts on D1
    lead("L4", 1, "text", utc(D1, 22), "valid", D3),
    lead("L5", 2, "email", utc(D2, 8), "test", D2),
    lead("L6", 2, "other", utc(D2, 9), "spam", D2),
    # UTC day boundaries
    lead("L7", 3, "phone", utc(D3, 0, 0, 0), "valid", D3),
    lead("L8", 3, "email", utc(D2, 23, 59, 59), "valid", D3),
    # lead day before the window
    lead("L9", 3, "chat", utc(D0, 12), "valid", D1),
    # spam first, then corrected to valid: the latest delivery wins
    lead("L10", 4, "other", utc(D3, 9), "spam", D3, source="file:/raw/a"),
    lead("L10", 4, "other", utc(D3, 9), "valid", D3, source="file:/raw/b"),
]
LEAD_COUNT_COLUMNS = ("leads_total", *(f"leads_{t}" for t in LEAD_TYPES))


def lead_counts(df) -> dict:
    return {(r["filedate"], r["vehicle_id"]): tuple(r[c] for c in LEAD_COUNT_COLUMNS) for r in df}


@pytest.fixture(scope="module")
def lead_frame(bronze_rows):
    return bronze_rows("dw_lead", LEADS)


def test_unique_leads_one_row_per_lead_id_latest_delivery(lead_frame):
    rows = {r["lead_id"]: r for r in unique_leads(lead_frame).collect()}
    assert sorted(rows) == sorted({r["lead_id"] for r in LEADS})
    assert rows["L2"]["filedate"] == D3
    assert rows["L3"]["status"] == "spam"
    assert rows["L10"]["status"] == "valid"  # same delivery day: the later file wins


def test_daily_leads(lead_frame):
    out = daily_leads(lead_frame, start=D1, end=D3, **LEAD_PARAMS).collect()
    #                  total email phone chat text other
    assert lead_counts(out) == {
        (D1, 1): (1, 0, 0, 0, 1, 0),
        (D2, 1): (2, 1, 1, 0, 0, 0),
        (D2, 3): (1, 1, 0, 0, 0, 0),
        (D3, 3): (1, 0, 1, 0, 0, 0),
        (D3, 4): (1, 0, 0, 0, 0, 1),
    }


def test_daily_leads_only_days_in_the_window(lead_frame):
    out = daily_leads(lead_frame, start=D2, end=D2, **LEAD_PARAMS).collect()
    assert lead_counts(out) == {
        (D2, 1): (2, 1, 1, 0, 0, 0),
        (D2, 3): (1, 1, 0, 0, 0, 0),
    }


def test_daily_leads_same_whatever_the_delivery_order(bronze_rows, lead_frame):
    reversed_frame = bronze_rows("dw_lead", list(reversed(LEADS))).repartition(3)
    forward = lead_counts(daily_leads(lead_frame, start=D1, end=D3, **LEAD_PARAMS).collect())
    backward = lead_counts(daily_leads(reversed_frame, start=D1, end=D3, **LEAD_PARAMS).collect())
    assert backward == forward


# ------------------------------------------------------------------ listing activity


@pytest.fixture(scope="module")
def activity(bronze_rows, lead_frame):
    impressions = bronze_rows("imp_daily", IMPRESSIONS)
    out = listing_activity(
        impressions=impressions, leads=lead_frame, start=D1, end=D3, **WEIGHTS, **LEAD_PARAMS
    )
    return {(r["filedate"], r["vehicle_id"]): r for r in out.collect()}


def test_activity_rows(activity):
    assert sorted(activity) == [
        (D1, 1),  # a late lead, no impressions
        (D1, 2),  # a zero-impression row
        (D2, 1),
        (D2, 2),
        (D2, 3),  # leads only
        (D3, 3),
        (D3, 4),
    ]


def test_activity_with_impressions_and_leads(activity):
    row = activity[(D2, 1)]
    assert (row["srp_impressions"], row["featured_impressions"], row["vdp_impressions"]) == (
        14,
        2,
        24,
    )
    assert row["total_impressions"] == 40
    assert row["weighted_impressions"] == pytest.approx(87.0)
    assert (row["leads_total"], row["leads_email"], row["leads_phone"]) == (2, 1, 1)
    assert row["leads_per_1k_impressions"] == pytest.approx(50.0)  # 2 * 1000 / 40


def test_activity_impressions_without_leads(activity):
    row = activity[(D2, 2)]
    assert row["total_impressions"] == 7
    assert row["weighted_impressions"] == pytest.approx(4.0)
    assert row["leads_total"] == 0
    assert row["leads_per_1k_impressions"] == 0.0


@pytest.mark.parametrize("key", [(D1, 1), (D2, 3), (D3, 3), (D3, 4)])
def test_activity_leads_without_impressions(activity, key):
    row = activity[key]
    assert row["total_impressions"] == 0
    assert row["srp_impressions"] == 0
    assert row["weighted_impressions"] == 0.0
    assert row["leads_total"] == 1
    assert row["leads_per_1k_impressions"] is None


def test_activity_zero_impressions_has_null_rate(activity):
    row = activity[(D1, 2)]
    assert row["total_impressions"] == 0
    assert row["leads_total"] == 0
    assert row["leads_per_1k_impressions"] is None


def test_activity_columns(bronze_rows, lead_frame):
    impressions = bronze_rows("imp_daily", IMPRESSIONS[:1])
    out = listing_activity(
        impressions=impressions, leads=lead_frame, start=D2, end=D2, **WEIGHTS, **LEAD_PARAMS
    )
    expected = [c for c in specs.LISTING_ACTIVITY.columns if c not in ("run_id", "processed_at")]
    assert out.columns == expected
    types = dict(out.dtypes)
    assert types["leads_total"] == "bigint"
    assert types["weighted_impressions"] == "double"
