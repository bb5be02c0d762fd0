"""Tests of the used-EV feed importer: a tiny hand-made feed, then the real public data."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import types as T

from pipeline.sample.import_ev import import_ev, listing_vehicle_id
from tables.raw_contract import RAW_TABLES

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
FEED = DATA / "usedevpricetracker"
DMA_CSV = DATA / "zip_to_dma" / "zip_to_dma.csv"
HAVE_DATA = FEED.is_dir() and DMA_CSV.is_file()
SKIP_REASON = f"real data not found at {DATA} (expected ../shared/data beside the project)"
WINDOW_A = (date(2025, 11, 4), date(2025, 11, 8))
WINDOW_B = (date(2025, 11, 6), date(2025, 11, 10))

# ---- helpers ----------------------------------------------------------------------------


def real_data(test):
    """Mark a test as reading ../shared/data and skip it (with the reason) when absent."""
    return pytest.mark.real_data(pytest.mark.skipif(not HAVE_DATA, reason=SKIP_REASON)(test))


SPARK_TO_ARROW = {
    T.LongType: pa.int64(),
    T.IntegerType: pa.int32(),
    T.DoubleType: pa.float64(),
    T.BooleanType: pa.bool_(),
    T.StringType: pa.string(),
    T.DateType: pa.date32(),
    T.TimestampType: pa.timestamp("us", tz="UTC"),
}


def expected_schema(name: str) -> list[tuple[str, pa.DataType]]:
    out = []
    for field in RAW_TABLES[name].schema.fields:
        dtype = field.dataType
        if isinstance(dtype, T.DecimalType):
            out.append((field.name, pa.decimal128(dtype.precision, dtype.scale)))
        else:
            out.append((field.name, SPARK_TO_ARROW[type(dtype)]))
    return out


def part_file(root: Path, table: str, day: date) -> Path:
    return root / table / f"filedate={day.isoformat()}" / "part-00000.parquet"


def read(root: Path, table: str, day: date) -> pd.DataFrame:
    return pq.read_table(part_file(root, table, day)).to_pandas()


def dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def feed_listings(source: str, day: date) -> list[dict]:
    return json.loads((FEED / source / f"{day.isoformat()}.json").read_text())["listings"]


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)


def listing(listing_id: str, price: int, listing_date: str, vin: str | None = None) -> dict:
    return {
        "id": listing_id,
        "vin": vin,
        "make": "Hyundai",
        "model": "Ioniq 5",
        "year": 2023,
        "trim": "5 SEL",
        "normalized_trim": "SEL",
        "price": price,
        "mileage": 20000,
        "location": "CarMax",
        "url": f"https://www.carmax.com/car/{listing_id}",
        "listing_date": listing_date,
    }


def write_feed(folder: Path, source: str, day: str, listings: list[dict]) -> None:
    path = folder / source / f"{day}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"source": source, "scraped_at": f"{day}T02:00:00.000Z", "listings": listings}
    path.write_text(json.dumps(payload))


# ---- a tiny hand-made feed (no real data needed) ----------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, dict]:
    """carmax: A+B on 1 Jan, A on 2 Jan, no file 3 Jan, A+C on 4 Jan (C listed 'tomorrow');
    plattauto: D on 3 Jan only. autotrader: a file on 2 Jan."""
    src = tmp_path_factory.mktemp("feed")
    a = listing("100", 30000, "2025-12-20", vin="KM8KNDAF0PU229247")
    b = listing("200", 28000, "2026-01-01")
    write_feed(src, "carmax", "2026-01-01", [a, b])
    write_feed(src, "carmax", "2026-01-02", [a | {"price": 29500}])
    write_feed(
        src, "carmax", "2026-01-04", [a | {"price": 29500}, listing("300", 27000, "2026-01-05")]
    )
    write_feed(src, "plattauto", "2026-01-03", [listing("400", 25000, "2026-01-03")])
    write_feed(src, "autotrader", "2026-01-02", [listing("autotrader-1", 29000, "2026-01-02")])
    root = tmp_path_factory.mktemp("tiny_raw")
    return root, import_ev(source_dir=src, raw_root=root, dma_csv=None)


def test_tiny_status_from_presence_and_missing_days(tiny):
    root, summary = tiny
    days = [date(2026, 1, d) for d in (1, 2, 3, 4)]
    assert list(summary["vehicle"]) == [d.isoformat() for d in days]
    a, b, c = (listing_vehicle_id("carmax", i) for i in ("100", "200", "300"))
    d = listing_vehicle_id("plattauto", "400")
    snaps = [read(root, "vehicle", day).set_index("vehicle_id")["status"] for day in days]
    assert snaps[0].to_dict() == {a: "active", b: "active"}
    assert snaps[1].to_dict() == {a: "active", b: "sold"}
    assert snaps[2].to_dict() == {d: "active"}  # carmax has no file: no rows, nothing sold
    assert snaps[3].to_dict() == {a: "active", c: "active"}  # plattauto absent: D not sold


def test_tiny_values_and_timestamps(tiny):
    root, _ = tiny
    jan2 = read(root, "vehicle", date(2026, 1, 2)).set_index("vehicle_id")
    a, b = listing_vehicle_id("carmax", "100"), listing_vehicle_id("carmax", "200")
    assert float(jan2.loc[a, "price"]) == 29500.0
    assert float(jan2.loc[b, "price"]) == 28000.0  # the sold row keeps its last price
    assert str(jan2.loc[a, "listed_at"]) == "2025-12-20 00:00:00+00:00"
    assert str(jan2.loc[b, "updated_at"]) == "2026-01-02 02:00:00+00:00"
    jan4 = read(root, "vehicle", date(2026, 1, 4)).set_index("vehicle_id")
    c = listing_vehicle_id("carmax", "300")
    assert str(jan4.loc[c, "listed_at"]) == "2026-01-04 00:00:00+00:00"  # first seen
    assert jan4.loc[a, "vin"] == "KM8KNDAF0PU229247"
    assert jan4["stock_type_id"].eq(2).all()


def test_tiny_empty_dma_and_competitor_copy(tiny, tmp_path):
    root, summary = tiny
    for day in summary["dma_zip"]:
        table = pq.read_table(part_file(root, "dma_zip", date.fromisoformat(day)))
        assert table.num_rows == 0
        assert [(f.name, f.type) for f in table.schema] == expected_schema("dma_zip")
    assert summary["competitor"] == {"autotrader": {"2026-01-02": 1}}


def test_window_without_files_is_an_error(tmp_path):
    write_feed(tmp_path / "src", "carmax", "2026-01-01", [listing("1", 1, "2026-01-01")])
    with pytest.raises(ValueError, match="no carmax/carvana/plattauto files"):
        import_ev(
            source_dir=tmp_path / "src",
            raw_root=tmp_path / "raw",
            dma_csv=None,
            start=date(2027, 1, 1),
        )


# ---- the real public data ----------------------------------------------------------------


@pytest.fixture(scope="module")
def window_a(tmp_path_factory) -> tuple[Path, dict]:
    if not HAVE_DATA:
        pytest.skip(SKIP_REASON)
    root = tmp_path_factory.mktemp("ev_a")
    summary = import_ev(
        source_dir=FEED, raw_root=root, dma_csv=DMA_CSV, start=WINDOW_A[0], end=WINDOW_A[1]
    )
    return root, summary


@pytest.fixture(scope="module")
def window_b(tmp_path_factory) -> tuple[Path, dict]:
    if not HAVE_DATA:
        pytest.skip(SKIP_REASON)
    root = tmp_path_factory.mktemp("ev_b")
    summary = import_ev(
        source_dir=FEED, raw_root=root, dma_csv=None, start=WINDOW_B[0], end=WINDOW_B[1]
    )
    return root, summary


@real_data
def test_real_window_types_and_summary(window_a):
    root, summary = window_a
    window = dates(*WINDOW_A)
    assert set(summary) == set(RAW_TABLES) | {"competitor"}
    for name in RAW_TABLES:
        assert list(summary[name]) == [d.isoformat() for d in window]
        for day in window:
            schema = pq.read_schema(part_file(root, name, day))
            assert [(f.name, f.type) for f in schema] == expected_schema(name), name
            assert (
                pq.read_metadata(part_file(root, name, day)).num_rows
                == (summary[name][day.isoformat()])
            )
    assert not (root / "vehicle" / "filedate=2025-11-09").exists()


@real_data
def test_real_vehicle_ids_stable_across_windows(window_a, window_b):
    (root_a, _), (root_b, _) = window_a, window_b
    for day in dates(WINDOW_B[0], WINDOW_A[1]):
        for table in ("vehicle", "make", "make_model", "vehicle_trim", "customer", "zip_code"):
            a, b = read(root_a, table, day), read(root_b, table, day)
            pd.testing.assert_frame_equal(sort_rows(a), sort_rows(b), obj=f"{table} {day}")
    first = feed_listings("carmax", WINDOW_B[0])[0]
    ids = set(read(root_a, "vehicle", WINDOW_B[0])["vehicle_id"])
    assert listing_vehicle_id("carmax", first["id"]) in ids


@real_data
def test_real_disappearing_listing_is_sold_once(window_a):
    root, _ = window_a
    d1, d2, d3 = dates(date(2025, 11, 5), date(2025, 11, 7))
    ids = [{item["id"] for item in feed_listings("carmax", d)} for d in (d1, d2, d3)]
    gone = sorted(ids[0] - ids[1] - ids[2])
    assert gone, "the window should contain a carmax listing that disappears"
    vehicle_ids = {listing_vehicle_id("carmax", i) for i in gone}
    on_d2 = read(root, "vehicle", d2)
    sold = on_d2[on_d2["vehicle_id"].isin(vehicle_ids)]
    assert len(sold) == len(vehicle_ids)
    assert (sold["status"] == "sold").all()
    assert not read(root, "vehicle", d3)["vehicle_id"].isin(vehicle_ids).any()
    assert (read(root, "vehicle", d1).set_index("vehicle_id").loc[sorted(vehicle_ids), "status"]
            == "active").all()  # fmt: skip


@real_data
def test_real_rows_follow_the_feed(window_a):
    root, _ = window_a
    for day in dates(*WINDOW_A):
        vehicles = read(root, "vehicle", day)
        active = vehicles[vehicles["status"] == "active"]
        expected = sum(
            len(feed_listings(s, day))
            for s in ("carmax", "carvana", "plattauto")
            if (FEED / s / f"{day.isoformat()}.json").exists()
        )
        assert len(active) == expected
        assert set(vehicles["status"]) <= {"active", "sold"}
        assert (vehicles["listed_at"] <= vehicles["updated_at"]).all()
        assert (vehicles["updated_at"].dt.date == day).all()
        assert (vehicles["stock_type_id"] == 2).all()
        imp = read(root, "imp_daily", day)
        assert imp["vehicle_id"].isin(active["vehicle_id"]).all() and len(imp) > 0
        daily = read(root, "vehicle_daily", day)
        assert set(daily["vehicle_id"]) == set(active["vehicle_id"])


@real_data
def test_real_autotrader_copied_byte_for_byte(window_a):
    root, summary = window_a
    copied = sorted((root / "competitor" / "autotrader").iterdir())
    assert [p.name for p in copied] == [f"{d.isoformat()}.json" for d in dates(*WINDOW_A)]
    for path in copied:
        assert path.read_bytes() == (FEED / "autotrader" / path.name).read_bytes()
    assert sorted((root / "competitor").iterdir()) == [root / "competitor" / "autotrader"]
    assert summary["competitor"]["autotrader"]["2025-11-04"] == len(
        feed_listings("autotrader", date(2025, 11, 4))
    )


@real_data
def test_real_dma_rows_come_from_the_csv(window_a, window_b):
    root, _ = window_a
    with DMA_CSV.open(newline="") as handle:
        csv_rows = {r["zip_code"]: r for r in csv.DictReader(handle)}
    day = WINDOW_A[0]
    zips = read(root, "zip_code", day)
    dma = read(root, "dma_zip", day)
    assert len(dma) > 0
    assert dma["zip_code_id"].isin(zips["zip_code_id"]).all()
    for row in dma.itertuples():
        source = csv_rows[f"{row.zip_code_id:05d}"]
        assert row.dma_code == int(source["dma_code"])
        assert row.dma_name == source["dma_description_clean"]
    expected = sum(f"{z:05d}" in csv_rows for z in zips["zip_code_id"])
    assert len(dma) == expected
    assert read(root, "vehicle", day)["zip_code"].isin(zips["zip_code"]).all()
    root_b, _ = window_b
    assert pq.read_metadata(part_file(root_b, "dma_zip", WINDOW_B[0])).num_rows == 0
