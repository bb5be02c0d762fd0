"""Write tiny raw partitions in the contract layout, for tests that need exact inputs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import types as T

from tables.raw_contract import RAW_TABLES


def arrow_type(dtype: T.DataType) -> pa.DataType:
    if isinstance(dtype, T.LongType):
        return pa.int64()
    if isinstance(dtype, T.IntegerType):
        return pa.int32()
    if isinstance(dtype, T.DecimalType):
        return pa.decimal128(dtype.precision, dtype.scale)
    if isinstance(dtype, T.TimestampType):
        return pa.timestamp("us", tz="UTC")
    if isinstance(dtype, T.DateType):
        return pa.date32()
    if isinstance(dtype, T.DoubleType):
        return pa.float64()
    if isinstance(dtype, T.BooleanType):
        return pa.bool_()
    return pa.string()


def arrow_schema(table: str, overrides: dict[str, pa.DataType] | None = None) -> pa.Schema:
    overrides = overrides or {}
    return pa.schema(
        [
            pa.field(f.name, overrides.get(f.name, arrow_type(f.dataType)))
            for f in RAW_TABLES[table].schema.fields
        ]
    )


def write_raw(
    raw_root: Path,
    table: str,
    day: date,
    rows: list[dict],
    *,
    overrides: dict[str, pa.DataType] | None = None,
    name: str = "part-00000.parquet",
) -> Path:
    schema = arrow_schema(table, overrides)
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    folder = raw_root / table / f"filedate={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


def ts(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def vehicle(vehicle_id: int, day: date, **fields) -> dict:
    row = {
        "vehicle_id": vehicle_id,
        "vin": None,
        "customer_id": 1,
        "make_id": 1,
        "model_id": 10,
        "model_year_id": 100,
        "trim_id": 1000,
        "bodystyle_id": 1,
        "stock_type_id": 2,
        "price": Decimal("20000.00"),
        "msrp": Decimal("25000.00"),
        "mileage": 30000,
        "exterior_color": "Blue",
        "zip_code": "60601",
        "status": "active",
        "photo_count": 12,
        "listed_at": ts(day - timedelta(days=3), 8),
        "updated_at": ts(day, 9),
    }
    row.update(fields)
    return row


DIMENSIONS: dict[str, list[dict]] = {
    "make": [{"make_id": 1, "make_name": "Tesla"}],
    "make_model": [{"model_id": 10, "make_id": 1, "model_name": "Model 3"}],
    "model_year": [{"model_year_id": 100, "year": 2022}],
    "vehicle_trim": [{"trim_id": 1000, "model_id": 10, "trim_name": "Long Range"}],
    "stock_type": [
        {"stock_type_id": 1, "stock_type_name": "new"},
        {"stock_type_id": 2, "stock_type_name": "used"},
    ],
    "bodystyle": [{"bodystyle_id": 1, "bodystyle_name": "Sedan"}],
    "zip_code": [
        {
            "zip_code_id": 1,
            "zip_code": "60601",
            "city": "Chicago",
            "state": "IL",
            "latitude": 41.88,
            "longitude": -87.62,
        },
        {
            "zip_code_id": 2,
            "zip_code": "59001",
            "city": "Absarokee",
            "state": "MT",
            "latitude": 45.52,
            "longitude": -109.44,
        },
    ],
    "dma_zip": [{"zip_code_id": 1, "dma_code": 602, "dma_name": "Chicago"}],
    "customer": [
        {
            "customer_id": 1,
            "dealer_name": "Windy City Motors",
            "customer_type": "franchise",
            "zip_code": "60601",
            "purchase_flag": True,
        }
    ],
    "dealer_review": [
        {"review_id": 1, "customer_id": 1, "rating": 5, "review_ts": ts(date(2025, 1, 1))}
    ],
    "dealer_review_rollup": [{"customer_id": 1, "avg_rating": 4.5, "review_count": 12}],
    "vehicle_review_rollup": [
        {"make_id": 1, "model_id": 10, "year": 2022, "avg_rating": 4.7, "review_count": 80}
    ],
    "dealer_sales_locations": [{"customer_id": 1, "location_id": 1, "zip_code": "60601"}],
    "activity_customer": [{"customer_id": 1, "avg_response_minutes": 14.0, "active_flag": True}],
}


def write_day(
    raw_root: Path,
    day: date,
    *,
    vehicles: list[dict],
    impressions: list[dict] | None = None,
    leads: list[dict] | None = None,
    daily: list[dict] | None = None,
    skip: tuple[str, ...] = (),
) -> None:
    """A complete raw day: the given facts plus the standard tiny dimensions."""
    facts = {
        "vehicle": vehicles,
        "imp_daily": impressions or [],
        "dw_lead": leads or [],
        "vehicle_daily": daily or [],
    }
    for table, rows in {**facts, **DIMENSIONS}.items():
        if table not in skip:
            write_raw(raw_root, table, day, rows)


def write_competitor(raw_root: Path, source: str, day: date, listings: list[dict]) -> Path:
    folder = raw_root / "competitor" / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.json"
    payload = {"source": source, "scraped_at": f"{day.isoformat()}T02:00:00Z", "listings": listings}
    path.write_text(json.dumps(payload))
    return path
