"""Silver listing snapshot: the platform's vehicle snapshot of a day, de-duplicated.

Grain: one row per (filedate, vehicle_id), any status.
A vehicle_id delivered more than once in a day keeps the row with the latest
``updated_at``; ties are broken by the later source file name, then by the larger hash of
the row's contract columns, so the winner never depends on read order.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from tables.raw_contract import RAW_TABLES
from tables.specs import PARTITION

VEHICLE_COLUMNS = [f.name for f in RAW_TABLES["vehicle"].schema.fields]


def content_hash(columns: list[str]):
    return F.xxhash64(*[F.col(c) for c in columns])


def latest_per_key(
    df: DataFrame, *, keys: list[str], order_by: list, content_columns: list[str]
) -> DataFrame:
    """Keep one row per key: the first by ``order_by`` then source file and content hash."""
    tie_breakers = [F.col("_source_file").desc_nulls_last()] if "_source_file" in df.columns else []
    ordering = [*order_by, *tie_breakers, content_hash(content_columns).desc()]
    window = Window.partitionBy(*keys).orderBy(*ordering)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def dedupe_vehicle(vehicle: DataFrame) -> DataFrame:
    """Bronze vehicle rows of a day -> one row per (filedate, vehicle_id)."""
    deduped = latest_per_key(
        vehicle,
        keys=[PARTITION, "vehicle_id"],
        order_by=[F.col("updated_at").desc_nulls_last()],
        content_columns=VEHICLE_COLUMNS,
    )
    return deduped.select(PARTITION, *VEHICLE_COLUMNS)


def active_listings(snapshot: DataFrame) -> DataFrame:
    """Listings with status active in the de-duplicated snapshot."""
    return snapshot.where(F.col("status") == "active")


def dedupe_dimension(dim: DataFrame, *, keys: list[str]) -> DataFrame:
    """One row per key of a daily dimension snapshot (deterministic if keys repeat)."""
    content = [c for c in dim.columns if not c.startswith("_") and c != PARTITION]
    return latest_per_key(dim, keys=keys, order_by=[], content_columns=content).select(*content)
