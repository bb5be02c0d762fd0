"""Bronze: each raw source as delivered, typed to its contract and tagged with ingest metadata.

Grain: one row per delivered raw row (duplicates kept; silver de-duplicates), per filedate.
Rows that break a contract rule are split off to quarantine with a reason, never dropped.
"""

from __future__ import annotations

from datetime import date, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pipeline.transforms.contract_rules import Rule
from tables.specs import PARTITION

REASON = "_reason_code"
RULE = "_rule"


def first_broken_rule(rules: tuple[Rule, ...]) -> tuple[Column, Column]:
    """(reason_code, rule) of the first rule a row breaks; nulls when it breaks none."""
    reason: Column = F.lit(None).cast("string")
    name: Column = F.lit(None).cast("string")
    for rule in reversed(rules):
        broken = F.coalesce(F.expr(f"({rule.broken_when})"), F.lit(False))
        reason = F.when(broken, F.lit(rule.reason_code)).otherwise(reason)
        name = F.when(broken, F.lit(rule.name)).otherwise(name)
    return reason, name


def tag(df: DataFrame, *, filedate: date, run_id: str, ingest_ts: datetime) -> DataFrame:
    """Add the partition column and ingest metadata (``_source_file`` is already there)."""
    return (
        df.withColumn(PARTITION, F.lit(filedate).cast(T.DateType()))
        .withColumn("_ingest_ts", F.lit(ingest_ts).cast(T.TimestampType()))
        .withColumn("_run_id", F.lit(run_id))
    )


def classify(df: DataFrame, *, rules: tuple[Rule, ...]) -> DataFrame:
    """Add ``_reason_code`` and ``_rule`` (null for rows that meet the contract)."""
    reason, name = first_broken_rule(rules)
    return df.withColumn(REASON, reason).withColumn(RULE, name)


def accepted(classified: DataFrame, *, columns: list[str]) -> DataFrame:
    return classified.where(F.col(REASON).isNull()).select(*columns)


def rejected(classified: DataFrame, *, record_columns: list[str]) -> DataFrame:
    """Quarantine rows: reason, rule and the original row as JSON."""
    record = F.to_json(F.struct(*[F.col(c) for c in record_columns]))
    return classified.where(F.col(REASON).isNotNull()).select(
        PARTITION,
        F.col(REASON).alias("reason_code"),
        F.col(RULE).alias("rule"),
        record.alias("record"),
        "_source_file",
        "_ingest_ts",
        "_run_id",
    )


def flatten_competitors(df: DataFrame) -> DataFrame:
    """Competitor feed rows (one per listing) in the bronze ``competitor_listing`` shape."""
    listing = F.col("listing")
    return df.where(listing.isNotNull() | F.col("_corrupt_record").isNotNull()).select(
        F.coalesce(F.col("source"), F.regexp_extract("_source_file", r"/([^/]+)/[^/]+$", 1)).alias(
            "source"
        ),
        listing["id"].alias("listing_id"),
        F.upper(F.trim(listing["vin"])).alias("vin"),
        listing["make"].alias("make"),
        listing["model"].alias("model"),
        listing["year"].cast("int").alias("year"),
        listing["trim"].alias("trim"),
        listing["price"].cast(T.DecimalType(12, 2)).alias("price"),
        listing["mileage"].cast("int").alias("mileage"),
        F.col("scraped_at"),
        F.col("_corrupt_record"),
        F.col("_source_file"),
    )
