"""Tiny-DataFrame builders for the transform tests.

Rows are dicts keyed by column name; a column left out is null. Schemas come from
``tables.raw_contract`` / ``tables.specs`` so the tests feed the transforms what the
pipeline feeds them. Timestamps are built timezone-aware (UTC) so the Python process's
local timezone never shifts them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from tables import specs

Rows = list[dict[str, Any]]

BRONZE_META = {
    "_source_file": "file:/raw/part-0.parquet",
    "_ingest_ts": datetime(2026, 3, 5, 6, 0, tzinfo=UTC),
    "_run_id": "run-test",
}

VEHICLE_DEFAULTS: dict[str, Any] = {
    "customer_id": 10,
    "make_id": 1,
    "model_id": 11,
    "model_year_id": 2022,
    "trim_id": 111,
    "bodystyle_id": 5,
    "stock_type_id": 2,
    "mileage": 15000,
    "exterior_color": "blue",
    "zip_code": "10001",
    "status": "active",
    "photo_count": 12,
    "listed_at": datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
    "updated_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
}


def without_run_metadata(schema: T.StructType) -> T.StructType:
    return T.StructType([f for f in schema.fields if f.name not in ("run_id", "processed_at")])


def _sql_literal(value: Any, dtype: T.DataType) -> str:
    """``value`` as a SQL string literal cast to ``dtype`` (NULL for None)."""
    if value is None:
        return f"CAST(NULL AS {dtype.simpleString()})"
    if isinstance(dtype, T.StructType):
        items = (
            value if isinstance(value, dict) else dict(zip(dtype.fieldNames(), value, strict=True))
        )
        fields = ", ".join(
            f"'{f.name}', {_sql_literal(items.get(f.name), f.dataType)}" for f in dtype.fields
        )
        return f"named_struct({fields})"
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "build timestamps timezone-aware"
        text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"CAST('{escaped}' AS {dtype.simpleString()})"


@pytest.fixture(scope="session")
def frame(spark) -> Callable[[T.StructType, Rows], DataFrame]:
    """frame(schema, rows) -> DataFrame; missing keys are null, unknown keys are an error.

    Rows become an inline SQL table (a local relation): several times faster to run than
    ``createDataFrame`` of Python rows, which keeps the module quick. Each value is cast
    from its string form, so it must be valid for its column type (non-ANSI casts would
    turn a typo into a null).
    """

    def make(schema: T.StructType, rows: Rows) -> DataFrame:
        names = set(schema.fieldNames())
        for row in rows:
            unknown = set(row) - names
            assert not unknown, f"columns not in schema: {sorted(unknown)}"
        empty = not rows
        rows = rows or [{}]
        values = ",\n".join(
            "(" + ", ".join(_sql_literal(row.get(f.name), f.dataType) for f in schema.fields) + ")"
            for row in rows
        )
        aliases = ", ".join(f"c{i}" for i in range(len(schema.fields)))
        select = ", ".join(f"c{i} AS `{f.name}`" for i, f in enumerate(schema.fields))
        df = spark.sql(f"SELECT {select} FROM VALUES {values} AS t({aliases})")
        return df.where("false") if empty else df

    return make


@pytest.fixture(scope="session")
def bronze_rows(frame) -> Callable[..., DataFrame]:
    """bronze_rows(table, rows, filedate=...) -> rows in the bronze shape of ``table``
    (partition + contract columns + ingest metadata); vehicle rows get defaults."""

    def make(table: str, rows: Rows, *, filedate: date | None = None) -> DataFrame:
        filled = []
        for row in rows:
            base: dict[str, Any] = dict(BRONZE_META)
            if filedate is not None:
                base[specs.PARTITION] = filedate
            if table == "vehicle":
                base.update(VEHICLE_DEFAULTS)
            base.update(row)
            filled.append(base)
        return frame(specs.BRONZE[table].schema, filled)

    return make


@pytest.fixture(scope="session")
def snapshot(frame) -> Callable[..., DataFrame]:
    """snapshot(rows, filedate=...) -> de-duplicated listing snapshot rows (silver shape)."""
    schema = without_run_metadata(specs.LISTING_SNAPSHOT.schema)

    def make(rows: Rows, *, filedate: date) -> DataFrame:
        filled = [{specs.PARTITION: filedate, **VEHICLE_DEFAULTS, **row} for row in rows]
        return frame(schema, filled)

    return make
