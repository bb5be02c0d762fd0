"""Raw inputs for the quality tests: a generated day copied and edited row by row.

Every scenario starts from the generator's day 2 (so row counts stay within the band of
day 1 already in the lake) and changes a few rows with plain Python, so each defect is
visible in the test that introduces it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

Rows = list[dict[str, Any]]
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def copy_day(source: Path, target: Path, day: date) -> Path:
    """Copy every raw partition and competitor file of ``day`` from ``source`` to ``target``."""
    for table in source.iterdir():
        if table.name == "competitor":
            for feed in table.iterdir():
                src = feed / f"{day.isoformat()}.json"
                if src.exists():
                    (target / "competitor" / feed.name).mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, target / "competitor" / feed.name / src.name)
            continue
        part = table / f"filedate={day.isoformat()}"
        if part.exists():
            shutil.copytree(part, target / table.name / part.name)
    return target


def edit(raw: Path, table: str, day: date, change: Callable[[Rows], Rows | None]) -> None:
    """Rewrite a raw partition with ``change(rows)`` (in place or returned), same schema."""
    folder = raw / table / f"filedate={day.isoformat()}"
    files = sorted(folder.glob("*.parquet"))
    data = pa.concat_tables([pq.read_table(f) for f in files])
    rows = data.to_pylist()
    changed = change(rows)
    rows = rows if changed is None else changed
    for f in files:
        f.unlink()
    pq.write_table(pa.Table.from_pylist(rows, schema=data.schema), folder / "part-00000.parquet")


def edit_competitors(raw: Path, day: date, change: Callable[[str, Rows], None]) -> None:
    for path in sorted((raw / "competitor").glob(f"*/{day.isoformat()}.json")):
        payload = json.loads(path.read_text())
        change(path.parent.name, payload["listings"])
        path.write_text(json.dumps(payload))


def every(rows: Rows, share: float, offset: int = 0) -> Rows:
    """A deterministic ``share`` of ``rows`` (at least one), starting at ``offset``."""
    step = max(1, round(1 / share))
    return rows[offset::step]


def bad_check_digit(vin: str) -> str:
    """The VIN with its 9th character replaced by a wrong check digit."""
    wrong = "0" if vin[8] != "0" else "1"
    return vin[:8] + wrong + vin[9:]


def ts(day: date, days: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(days=days)


@dataclass(frozen=True)
class Defect:
    """One row-level change meant to break one check of one table."""

    table: str
    check: str
    change: Callable[[Rows], Any]


def nulls(column: str, n: int = 1) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        for row in rows[:n]:
            row[column] = None

    return change


def set_value(column: str, value: Any, share: float | None = None, at: int = 0):
    def change(rows: Rows) -> None:
        targets = every(rows, share, at) if share else rows[at : at + 1]
        for row in targets:
            row[column] = value

    return change


PRICE_ONE = Decimal("1.00")


# ------------------------------------------------------------------ run scenarios


def _rows_at_least(rows: Rows, n: int) -> Rows:
    """``rows`` padded with copies of its first row up to ``n`` rows."""
    while len(rows) < n:
        rows.append(dict(rows[0]))
    return rows


def _set(rows: Rows, index: int, **values: Any) -> None:
    rows[index].update(values)


def break_bronze(raw: Path, day: date) -> dict[str, set[str]]:
    """Break every bronze blocking check an input can break; the checks expected to fail.

    Run it with the contract rules switched off: most of these rows would otherwise be
    quarantined (the gate is the second line of defence behind the rules).
    """
    expected: dict[str, set[str]] = {}

    def vehicle(rows: Rows) -> None:
        _set(rows, 0, vehicle_id=None)
        _set(rows, 1, updated_at=None)
        _set(rows, 2, status=None)
        _set(rows, 3, status="bogus")
        _set(rows, 4, vin="ABC")
        for row in rows[8::4]:
            if row["vin"]:
                row["vin"] = bad_check_digit(row["vin"])
        for row in rows[5::10]:
            row["price"] = PRICE_ONE
        for row in rows[6::10]:
            row["mileage"] = 5_000_000
        _set(rows, 7, updated_at=ts(day, 5))
        _set(rows, 9, listed_at=datetime(1980, 1, 1, tzinfo=UTC))

    edit(raw, "vehicle", day, vehicle)
    expected["bronze.vehicle"] = {
        "vehicle_id_not_null", "updated_at_not_null", "status_not_null", "status_in_set",
        "vin_format", "vin_check_digit_block", "price_in_range", "mileage_in_range",
        "updated_at_in_range", "listed_at_in_range",
    }  # fmt: skip

    def imp(rows: Rows) -> None:
        for i, column in enumerate(("event_date", "vehicle_id", "page_type", "impressions")):
            rows[i][column] = None
        _set(rows, 4, page_type="popup")
        _set(rows, 5, impressions=-1)
        _set(rows, 6, event_date=day - timedelta(days=1))

    edit(raw, "imp_daily", day, imp)
    expected["bronze.imp_daily"] = {
        "event_date_not_null", "vehicle_id_not_null", "page_type_not_null",
        "impressions_not_null", "page_type_in_set", "impressions_not_negative",
        "event_date_is_filedate",
    }  # fmt: skip

    def lead(rows: Rows) -> Rows:
        rows = _rows_at_least(rows, 8)
        for i, column in enumerate(("lead_id", "vehicle_id", "lead_ts", "status", "lead_type")):
            rows[i][column] = None
        _set(rows, 5, lead_type="fax")
        _set(rows, 6, status="bogus")
        _set(rows, 7, lead_ts=ts(day, -30))
        return rows

    edit(raw, "dw_lead", day, lead)
    expected["bronze.dw_lead"] = {
        "lead_id_not_null", "vehicle_id_not_null", "lead_ts_not_null", "status_not_null",
        "lead_type_not_null", "lead_type_in_set", "status_in_set", "lead_ts_in_range",
    }  # fmt: skip

    simple = {
        "vehicle_daily": [("vehicle_id", None), ("deal_badge", "superb")],
        "stock_type": [("stock_type_id", None), ("stock_type_name", None),
                       ("stock_type_name", "lease")],
        "model_year": [("model_year_id", None), ("year", None), ("year", 1950)],
    }  # fmt: skip
    names = {
        "vehicle_daily": ["vehicle_id_not_null", "deal_badge_in_set"],
        "stock_type": ["stock_type_id_not_null", "stock_type_name_not_null",
                       "stock_type_name_in_set"],
        "model_year": ["model_year_id_not_null", "year_not_null", "year_in_range"],
    }  # fmt: skip
    keys = {
        "make_model": ["model_id"],
        "vehicle_trim": ["trim_id"],
        "zip_code": ["zip_code_id", "zip_code"],
        "dma_zip": ["zip_code_id", "dma_code"],
        "customer": ["customer_id"],
        "dealer_review": ["review_id", "customer_id"],
        "dealer_review_rollup": ["customer_id"],
        "vehicle_review_rollup": ["make_id", "model_id", "year"],
        "dealer_sales_locations": ["customer_id", "location_id"],
        "activity_customer": ["customer_id"],
    }
    for table, key_columns in keys.items():
        simple[table] = [(k, None) for k in key_columns]
        names[table] = [f"{k}_not_null" for k in key_columns]
    for table, changes in simple.items():

        def change(rows: Rows, changes=changes) -> None:
            for i, (column, value) in enumerate(changes):
                rows[i][column] = value

        edit(raw, table, day, change)
        expected[f"bronze.{table}"] = set(names[table])

    def make(rows: Rows) -> Rows:
        rows = rows[:3]  # a collapsed snapshot: 3 of 12 makes
        rows[0]["make_id"] = None
        return rows

    edit(raw, "make", day, make)
    expected["bronze.make"] = {"row_count_not_collapsed", "make_id_not_null"}
    edit(raw, "bodystyle", day, lambda rows: [])
    expected["bronze.bodystyle"] = {"row_count_floor", "bodystyle_id_not_null"}
    return expected


def break_silver(raw: Path, day: date) -> set[str]:
    """Break every silver blocking check that an input can reach; the checks of
    silver.listing_features expected to fail."""
    zips = pq.read_table(raw / "zip_code" / f"filedate={day.isoformat()}").to_pylist()
    dmas = pq.read_table(raw / "dma_zip" / f"filedate={day.isoformat()}").to_pylist()
    with_dma = {r["zip_code_id"] for r in dmas}
    no_dma = next(r["zip_code"] for r in zips if r["zip_code_id"] not in with_dma)

    def vehicle(rows: Rows) -> Rows:
        _set(rows, 0, make_id=999)
        _set(rows, 1, model_id=99_999)
        _set(rows, 2, model_year_id=999)
        _set(rows, 3, stock_type_id=99)
        for row in rows[4::4]:
            row["zip_code"] = no_dma
        for row in rows[5::5]:
            row["customer_id"] = 424_242
        active = [r for r in rows if r["status"] == "active"]
        copies = active[: len(active) * 2 // 5]  # 40% more active listings than yesterday
        return rows + [dict(r, vehicle_id=r["vehicle_id"] + 10**12) for r in copies]

    edit(raw, "vehicle", day, vehicle)
    return {
        "make_joined", "model_joined", "model_year_joined", "stock_type_joined",
        "dma_miss_rate", "dealer_miss_rate", "active_count_vs_previous_day",
    }  # fmt: skip


def warn_everything(raw: Path, day: date) -> dict[str, set[str]]:
    """Fail every warning check (and no blocking one); the warnings expected.

    Run it with the competitor price rule switched off (so null competitor prices reach
    bronze) and with ``quality.row_count_floors.bronze.competitor_listing`` set high.
    """

    def vehicle(rows: Rows) -> Rows:
        for row in rows[0::5]:
            row["vin"] = None
        for row in rows[1::20]:
            if row["vin"]:
                row["vin"] = bad_check_digit(row["vin"])
        for row in rows[2::10]:
            row["price"] = None
        for row in rows[3::10]:
            row["mileage"] = None
        for row in rows[4::20]:
            row["listed_at"] = None
        bad = [
            dict(r, vehicle_id=r["vehicle_id"] + 10**12, price=Decimal("-5.00"))
            for r in rows[: len(rows) // 10]
        ]
        return rows + bad

    edit(raw, "vehicle", day, vehicle)
    edit(
        raw,
        "dealer_review",
        day,
        lambda rows: rows + [dict(r, review_id=r["review_id"] + 10**9) for r in rows],
    )
    edit(raw, "vehicle_daily", day, lambda rows: [dict(r, deal_badge=None) if i % 5 < 3 else r
                                                   for i, r in enumerate(rows)])  # fmt: skip
    edit(raw, "dealer_review_rollup", day,
         lambda rows: [dict(r, customer_id=r["customer_id"] + 10**9) for r in rows])  # fmt: skip
    edit(raw, "vehicle_review_rollup", day,
         lambda rows: [dict(r, model_id=r["model_id"] + 100_000) for r in rows])  # fmt: skip

    def competitors(source: str, listings: Rows) -> None:
        for i, listing in enumerate(listings):
            slot = i % 10
            if slot < 6:
                listing["vin"] = None
            elif slot == 6:
                listing["vin"] = "XYZ"
            elif listing["vin"]:
                last = listing["vin"][-1]
                listing["vin"] = listing["vin"][:-1] + ("1" if last != "1" else "2")
            if slot == 7:
                listing["price"] = None
            if slot == 8:
                listing["price"] = 100

    edit_competitors(raw, day, competitors)
    for n in range(5):  # unreadable files are quarantined as one row each
        folder = raw / "competitor" / f"broken{n}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{day.isoformat()}.json").write_text("{not json")
    return {
        "bronze.vehicle": {"vin_null_rate", "vin_check_digit_warn", "price_null_rate",
                           "mileage_null_rate", "listed_at_null_rate", "quarantine_rate"},
        "bronze.dealer_review": {"row_count_not_spiked"},
        "bronze.vehicle_daily": {"deal_badge_null_rate"},
        "bronze.competitor_listing": {"row_count_floor", "vin_null_rate", "vin_format",
                                      "price_null_rate", "price_in_range", "quarantine_rate"},
        "silver.listing_features": {"dealer_review_miss_rate", "vehicle_review_miss_rate"},
        "gold.inventory_activity": {"competitor_match_rate"},
    }  # fmt: skip
