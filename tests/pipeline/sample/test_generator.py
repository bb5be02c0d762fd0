"""Tests of the synthetic raw-data generator (numpy + pyarrow only, no Spark session)."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import types as T

from pipeline.sample.generator import (
    IMP_BAD_KINDS,
    LEAD_BAD_KINDS,
    VEHICLE_BAD_KINDS,
    generate,
    tier_listings,
)
from tables.raw_contract import (
    COMPETITOR_LISTING_SCHEMA,
    LEAD_TYPES,
    PAGE_TYPES,
    RAW_TABLES,
    VEHICLE_STATUSES,
)

START = date(2025, 3, 1)
DAYS = 4
TARGET = 2000
DATES = [START + timedelta(days=i) for i in range(DAYS)]
SOURCES = ("autotrader", "cargurus", "truecar")

# ---- helpers (independent of the generator's own code) ---------------------------------

# What Spark reads back as each contract type (the brief's list, written out again here).
SPARK_TO_ARROW = {
    T.LongType: pa.int64(),
    T.IntegerType: pa.int32(),
    T.DoubleType: pa.float64(),
    T.BooleanType: pa.bool_(),
    T.StringType: pa.string(),
    T.DateType: pa.date32(),
    T.TimestampType: pa.timestamp("us", tz="UTC"),
}

VIN_VALUES = {str(d): d for d in range(10)} | {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8, "J": 1, "K": 2, "L": 3,
    "M": 4, "N": 5, "P": 7, "R": 9, "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8,
    "Z": 9,
}  # fmt: skip
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def expected_schema(name: str) -> list[tuple[str, pa.DataType]]:
    out = []
    for field in RAW_TABLES[name].schema.fields:
        dtype = field.dataType
        if isinstance(dtype, T.DecimalType):
            out.append((field.name, pa.decimal128(dtype.precision, dtype.scale)))
        else:
            out.append((field.name, SPARK_TO_ARROW[type(dtype)]))
    return out


def vin_valid(vin: str) -> bool:
    if len(vin) != 17 or any(c not in VIN_VALUES for c in vin):
        return False
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True))
    return vin[8] == "0123456789X"[total % 11]


def part_file(root: Path, table: str, day: date) -> Path:
    return root / table / f"filedate={day.isoformat()}" / "part-00000.parquet"


def read(root: Path, table: str, day: date) -> pd.DataFrame:
    return pq.read_table(part_file(root, table, day)).to_pandas()


def read_all(root: Path, table: str) -> pd.DataFrame:
    frames = [read(root, table, d).assign(filedate=d) for d in DATES]
    return pd.concat(frames, ignore_index=True)


def vehicle_kinds(row: dict, zips: set[str]) -> set[str]:
    """Contract violations of one vehicle row (names of the generator's bad-row kinds)."""
    kinds = set()
    vin = row["vin"]
    if vin is not None:
        if len(vin) != 17:
            kinds.add("vin_length")
        elif set(vin) & set("IOQ"):
            kinds.add("vin_char")
        elif not vin_valid(vin):
            kinds.add("vin_check")
    if row["listed_at"] > row["updated_at"]:
        kinds.add("listed_after_updated")
    if row["listed_at"].year < 1990:
        kinds.add("listed_1900")
    if row["price"] is not None and row["price"] < 0:
        kinds.add("negative_price")
    if not re.fullmatch(r"\d{5}", row["zip_code"] or ""):
        kinds.add("malformed_zip")
    elif row["zip_code"] not in zips:
        kinds.add("unknown_zip")
    if row["status"] not in VEHICLE_STATUSES:
        kinds.add("bad_status")
    if row["vehicle_id"] is None:
        kinds.add("null_vehicle_id")
    return kinds


def imp_kinds(row: dict) -> set[str]:
    kinds = set()
    if row["impressions"] < 0:
        kinds.add("negative_impressions")
    if row["page_type"] not in PAGE_TYPES:
        kinds.add("unknown_page_type")
    if row["page_type"] == "srp" and row["position"] is None:
        kinds.add("srp_null_position")
    return kinds


def lead_kinds(row: dict) -> set[str]:
    kinds = set()
    if row["lead_type"] not in LEAD_TYPES:
        kinds.add("unknown_lead_type")
    if row["lead_id"] is None:
        kinds.add("null_lead_id")
    return kinds


def day_violations(root: Path, day: date) -> dict[str, Counter]:
    zips = set(read(root, "zip_code", day)["zip_code"])
    tables = {
        name: pq.read_table(part_file(root, name, day)).to_pylist()
        for name in ("vehicle", "imp_daily", "dw_lead")
    }
    return {
        "vehicle": Counter(k for r in tables["vehicle"] for k in vehicle_kinds(r, zips)),
        "imp_daily": Counter(k for r in tables["imp_daily"] for k in imp_kinds(r)),
        "dw_lead": Counter(k for r in tables["dw_lead"] for k in lead_kinds(r)),
    }


def good_vehicle_rows(root: Path, day: date) -> pd.DataFrame:
    zips = set(read(root, "zip_code", day)["zip_code"])
    rows = pq.read_table(part_file(root, "vehicle", day)).to_pylist()
    return pd.DataFrame([r for r in rows if not vehicle_kinds(r, zips)])


def latest(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per vehicle_id: the latest updated_at wins."""
    ordered = rows.sort_values(["vehicle_id", "updated_at", "photo_count"], kind="stable")
    return ordered.drop_duplicates("vehicle_id", keep="last").set_index("vehicle_id")


def file_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("clean")
    summary = generate(
        raw_root=root, start=START, days=DAYS, listings=TARGET, seed=11, bad_row_share=0.0
    )
    return root, summary


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("dirty")
    summary = generate(
        raw_root=root, start=START, days=DAYS, listings=TARGET, seed=12, bad_row_share=0.02
    )
    return root, summary


# ---- tests ------------------------------------------------------------------------------


def test_tier_listings():
    assert tier_listings("S") == 10_000
    assert tier_listings("M") == 200_000
    assert tier_listings("l") == 1_000_000
    with pytest.raises(ValueError, match="unknown tier"):
        tier_listings("XL")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"days": 0}, "days"), ({"listings": 0}, "listings"), ({"bad_row_share": -0.1}, "share")],
)
def test_rejects_bad_arguments(tmp_path, kwargs, message):
    args = {"raw_root": tmp_path, "start": START, "days": 1, "listings": 10, "seed": 1}
    with pytest.raises(ValueError, match=message):
        generate(**(args | kwargs))


def test_vin_checker_accepts_known_real_vins():
    # Known-valid VINs (the second is from the real used-EV feed); then one digit changed.
    assert vin_valid("1HGCM82633A004352")
    assert vin_valid("KM8KNDAF0PU229247")
    assert not vin_valid("1HGCM82643A004352")


@pytest.mark.parametrize("fixture", ["clean", "dirty"])
def test_parquet_types_equal_the_contract(request, fixture):
    root, _ = request.getfixturevalue(fixture)
    for name in RAW_TABLES:
        for day in DATES:
            schema = pq.read_schema(part_file(root, name, day))
            got = [(f.name, f.type) for f in schema]
            assert got == expected_schema(name), f"{name} {day}"


def test_layout_and_summary(clean):
    root, summary = clean
    assert set(summary) == set(RAW_TABLES) | {"competitor"}
    for name in RAW_TABLES:
        folders = sorted(p.name for p in (root / name).iterdir())
        assert folders == [f"filedate={d.isoformat()}" for d in DATES]
        for day in DATES:
            files = list((root / name / f"filedate={day.isoformat()}").iterdir())
            assert [f.name for f in files] == ["part-00000.parquet"]
            rows = pq.read_metadata(files[0]).num_rows
            assert summary[name][day.isoformat()] == rows
            if name not in ("dw_lead",):
                assert rows > 0, f"{name} {day} is empty"
    assert set(summary["competitor"]) == set(SOURCES)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    args = {"start": START, "days": 2, "listings": 300, "bad_row_share": 0.01}
    first = generate(raw_root=tmp_path / "a", seed=5, **args)
    second = generate(raw_root=tmp_path / "b", seed=5, **args)
    generate(raw_root=tmp_path / "c", seed=6, **args)
    assert first == second
    a, b, c = (file_hashes(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys()
    for table in ("vehicle", "imp_daily", "dw_lead", "customer"):
        key = str(Path(table) / f"filedate={START.isoformat()}" / "part-00000.parquet")
        assert a[key] != c[key], table


def test_clean_run_has_no_contract_breaking_rows(clean):
    root, _ = clean
    for day in DATES:
        found = day_violations(root, day)
        assert found == {"vehicle": Counter(), "imp_daily": Counter(), "dw_lead": Counter()}


def test_vins_valid_and_some_naturally_null(clean):
    root, _ = clean
    vehicles = read_all(root, "vehicle")
    vins = vehicles["vin"].dropna()
    assert all(vin_valid(v) for v in vins)
    null_share = vehicles["vin"].isna().mean()
    assert 0.01 < null_share < 0.06
    assert vehicles["price"].isna().any()


def test_dirty_run_has_every_bad_kind_every_day(dirty):
    root, summary = dirty
    for day in DATES:
        found = day_violations(root, day)
        assert set(found["vehicle"]) == set(VEHICLE_BAD_KINDS), day
        assert set(found["imp_daily"]) == set(IMP_BAD_KINDS), day
        assert set(found["dw_lead"]) == set(LEAD_BAD_KINDS), day
        bad_vehicle_rows = summary["vehicle"][day.isoformat()] - len(good_vehicle_rows(root, day))
        assert 0.01 * TARGET < bad_vehicle_rows < 0.04 * TARGET


@pytest.mark.parametrize("fixture", ["clean", "dirty"])
def test_active_count_stays_near_target(request, fixture):
    root, _ = request.getfixturevalue(fixture)
    for day in DATES:
        active = (latest(good_vehicle_rows(root, day))["status"] == "active").sum()
        assert abs(active - TARGET) <= 0.15 * TARGET, (day, active)


def test_duplicate_deliveries_and_ties(clean):
    root, _ = clean
    for day in DATES:
        rows = read(root, "vehicle", day)
        per_id = rows.groupby("vehicle_id")["updated_at"].agg(["count", "nunique"])
        assert (per_id["count"] > 1).sum() >= 0.005 * TARGET
        assert ((per_id["count"] > 1) & (per_id["nunique"] > 1)).any()
        assert ((per_id["count"] > 1) & (per_id["nunique"] < per_id["count"])).any()


def test_listing_lifecycle(clean):
    root, _ = clean
    days = [latest(read(root, "vehicle", d)) for d in DATES]
    for day, snap in zip(DATES, days, strict=True):
        assert (snap["listed_at"] <= snap["updated_at"]).all()
        assert (snap["updated_at"].dt.date == day).all()
    statuses = Counter(s for snap in days for s in snap["status"])
    assert {"active", "pending", "sold", "removed"} <= set(statuses)
    for before, after in itertools.pairwise(days):
        gone = before.index[before["status"].isin(["sold", "removed"])]
        assert not after.index.isin(gone).any()
        both = before.index.intersection(after.index)
        assert (before.loc[both, "vin"].fillna("") == after.loc[both, "vin"].fillna("")).all()
        assert (before.loc[both, "listed_at"] == after.loc[both, "listed_at"]).all()
        change = (after.loc[both, "price"] - before.loc[both, "price"]).dropna()
        assert (change < 0).any() and (change > 0).any()
        new = after.index.difference(before.index)
        assert len(new) > 0
        assert (after.loc[new, "listed_at"].dt.date == after.loc[new, "updated_at"].dt.date).all()


def test_late_and_redelivered_leads(clean):
    root, _ = clean
    leads = read_all(root, "dw_lead")
    lag = (leads["filedate"] - leads["lead_ts"].dt.date).map(lambda d: d.days)
    assert set(lag) == {0, 1, 2}
    for offset in (1, 2):
        late = leads[lag == offset]
        assert set(late["filedate"]) == set(DATES[offset:]), offset
    last = DATES[-1]
    assert set(leads.loc[leads["lead_ts"].dt.date == last, "filedate"]) == {last}
    assert set(leads.loc[leads["lead_ts"].dt.date == DATES[-2], "filedate"]) <= set(DATES[-2:])
    copies = leads.groupby("lead_id").size()
    redelivered = copies[copies > 1].index
    assert len(redelivered) > 0
    assert copies.max() == 2
    dupes = leads[leads["lead_id"].isin(redelivered)].drop(columns="filedate")
    assert len(dupes.drop_duplicates()) == len(redelivered)
    assert set(leads["status"]) == {"valid", "spam", "test"}
    assert set(leads["lead_type"]) == set(LEAD_TYPES)


def test_leads_point_at_active_listings_of_their_day(clean):
    root, _ = clean
    leads = read_all(root, "dw_lead")
    for day in DATES:
        snap = latest(read(root, "vehicle", day))
        active = snap[snap["status"] == "active"]
        of_day = leads[leads["lead_ts"].dt.date == day]
        assert of_day["vehicle_id"].isin(active.index).all()
        owners = active.loc[of_day["vehicle_id"], "customer_id"].to_numpy()
        assert (owners == of_day["customer_id"].to_numpy()).all()


def test_impressions_shape(clean):
    root, _ = clean
    for day in DATES:
        imp = read(root, "imp_daily", day)
        snap = latest(read(root, "vehicle", day))
        active = snap.index[snap["status"] == "active"]
        assert (imp["event_date"] == day).all()
        assert imp["vehicle_id"].isin(active).all()
        assert (imp["impressions"] > 0).all()
        assert set(imp["device"]) == {"desktop", "mobile", "tablet"}
        srp, featured, vdp = (imp[imp["page_type"] == p] for p in PAGE_TYPES)
        assert srp["position"].between(1, 50).all()
        assert featured["position"].between(1, 10).all()
        assert vdp["position"].isna().all()
        assert len(featured) > 0
        assert 3 <= len(imp) / len(active) <= 30
        keys = ["vehicle_id", "page_type", "position", "device"]
        assert not imp[keys].astype(str).duplicated().any()


def test_cheaper_listings_get_more_impressions(clean):
    root, _ = clean
    day = DATES[1]
    imp = read(root, "imp_daily", day)
    badge = read(root, "vehicle_daily", day).set_index("vehicle_id")["deal_badge"]
    srp = imp[imp["page_type"] == "srp"]
    per_listing = srp.groupby("vehicle_id")["impressions"].sum()
    best_pos = srp.groupby("vehicle_id")["position"].min()
    frame = pd.DataFrame({"imps": per_listing, "pos": best_pos, "badge": badge}).fillna(0)
    by_badge = frame.groupby("badge").mean()
    assert by_badge.loc["great", "imps"] > 1.5 * by_badge.loc["high", "imps"]
    assert by_badge.loc["great", "pos"] < by_badge.loc["high", "pos"]


def test_vehicle_daily(clean):
    root, _ = clean
    for day in DATES:
        daily = read(root, "vehicle_daily", day)
        snap = latest(read(root, "vehicle", day))
        active = snap.index[snap["status"] == "active"]
        assert sorted(daily["vehicle_id"]) == sorted(active)
        assert set(daily["deal_badge"]) == {"great", "good", "fair", "high", "none"}
        assert 0.02 < daily["is_featured"].mean() < 0.25
        assert 0.1 < daily["has_video"].mean() < 0.4


def test_dimensions_are_consistent(clean):
    root, _ = clean
    day = DATES[-1]
    dims = {name: read(root, name, day) for name, t in RAW_TABLES.items() if t.kind != "fact"}
    vehicles = read_all(root, "vehicle")
    assert vehicles["zip_code"].isin(dims["zip_code"]["zip_code"]).all()
    assert vehicles["customer_id"].isin(dims["customer"]["customer_id"]).all()
    for col, dim in [("make_id", "make"), ("model_id", "make_model"), ("trim_id", "vehicle_trim"),
                     ("model_year_id", "model_year"), ("bodystyle_id", "bodystyle"),
                     ("stock_type_id", "stock_type")]:  # fmt: skip
        assert vehicles[col].isin(dims[dim][col]).all(), col
    no_dma = ~dims["zip_code"]["zip_code_id"].isin(dims["dma_zip"]["zip_code_id"])
    assert 0 < no_dma.sum() < 0.05 * len(no_dma)
    assert set(dims["stock_type"]["stock_type_name"]) == {"new", "used", "cpo"}
    assert dims["customer"]["purchase_flag"].any() and not dims["customer"]["purchase_flag"].all()
    assert dims["dealer_sales_locations"]["zip_code"].isin(dims["zip_code"]["zip_code"]).all()
    reviews = dims["dealer_review"]
    assert reviews["rating"].between(1, 5).all()
    assert (reviews["review_ts"].dt.date <= day).all()
    rollup = dims["dealer_review_rollup"].set_index("customer_id")
    expected = reviews.groupby("customer_id")["rating"].agg(["mean", "count"])
    assert sorted(rollup.index) == sorted(expected.index)
    assert (rollup["review_count"] == expected.loc[rollup.index, "count"]).all()
    assert ((rollup["avg_rating"] - expected.loc[rollup.index, "mean"]).abs() <= 0.005).all()
    models = dims["vehicle_review_rollup"]
    assert not models.duplicated(["make_id", "model_id", "year"]).any()
    assert models["year"].between(2015, 2025).all()


def test_dimension_ids_stable_across_days(clean):
    root, _ = clean
    for name, table in RAW_TABLES.items():
        if table.kind == "fact" or name.startswith("dealer_review"):
            continue
        first = pq.read_table(part_file(root, name, DATES[0]))
        assert all(pq.read_table(part_file(root, name, d)).equals(first) for d in DATES[1:]), name
    counts = [len(read(root, "dealer_review", d)) for d in DATES]
    assert counts == sorted(counts)


def test_competitor_feeds(clean):
    root, summary = clean
    documented = {f.name for f in COMPETITOR_LISTING_SCHEMA.fields}
    for day in DATES:
        ours = latest(read(root, "vehicle", day))
        ours = ours[(ours["status"] == "active") & ours["vin"].notna()]
        our_price = ours.set_index("vin")["price"].astype(float)
        for source in SOURCES:
            path = root / "competitor" / source / f"{day.isoformat()}.json"
            payload = json.loads(path.read_text())
            assert {"source", "scraped_at", "listings"} <= set(payload)
            assert payload["source"] == source
            scraped = datetime.fromisoformat(payload["scraped_at"])
            assert scraped.tzinfo == UTC and scraped.date() == day
            listings = pd.DataFrame(payload["listings"])
            assert len(listings) == summary["competitor"][source][day.isoformat()]
            assert set(listings.columns) == documented
            assert listings["id"].is_unique
            matched = listings[listings["vin"].isin(our_price.index)]
            assert 0.05 * len(ours) < len(matched) < 0.5 * len(ours)
            assert (~listings["vin"].isin(our_price.index)).sum() > 0
            ratio = matched["price"].to_numpy() / our_price.loc[matched["vin"]].to_numpy()
            assert ((ratio > 0.895) & (ratio < 1.105)).all(), source
