"""Silver listing activity: weighted impressions and valid leads per listing and day.

Grain: one row per (filedate, vehicle_id) with any impression or valid lead that day.

Weighted impressions = impressions x page weight x position weight, where the position
weight is 1 / log2(position + 1) on position-weighted pages (srp, featured) and 1
elsewhere. Leads: valid leads whose ``lead_ts`` falls on the day, each ``lead_id`` once
(the latest delivery of a re-delivered lead wins, so a lead later marked spam is spam).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pipeline.transforms.silver_snapshot import latest_per_key
from tables.raw_contract import RAW_TABLES
from tables.specs import ACTIVITY_COLUMNS, PARTITION

LEAD_COLUMNS = [f.name for f in RAW_TABLES["dw_lead"].schema.fields]


def impression_weight(
    *, page_weights: dict[str, float], position_weighted_pages: tuple[str, ...]
) -> Column:
    page_weight: Column = F.lit(0.0)
    for page, weight in page_weights.items():
        page_weight = F.when(F.col("page_type") == page, F.lit(float(weight))).otherwise(
            page_weight
        )
    position_weight = F.when(
        F.col("page_type").isin(list(position_weighted_pages)),
        F.lit(1.0) / F.log2(F.col("position").cast("double") + F.lit(1.0)),
    ).otherwise(F.lit(1.0))
    return page_weight * position_weight


def daily_impressions(
    impressions: DataFrame,
    *,
    page_weights: dict[str, float],
    position_weighted_pages: tuple[str, ...],
) -> DataFrame:
    """Impressions per (filedate, vehicle_id): by page type, total and weighted."""
    weight = impression_weight(
        page_weights=page_weights, position_weighted_pages=position_weighted_pages
    )

    def by_page(page: str) -> Column:
        return F.sum(F.when(F.col("page_type") == page, F.col("impressions")).otherwise(0))

    return impressions.groupBy(F.col("event_date").alias(PARTITION), "vehicle_id").agg(
        by_page("srp").cast("long").alias("srp_impressions"),
        by_page("featured").cast("long").alias("featured_impressions"),
        by_page("vdp").cast("long").alias("vdp_impressions"),
        F.sum("impressions").cast("long").alias("total_impressions"),
        F.sum(F.col("impressions") * weight).cast("double").alias("weighted_impressions"),
    )


def unique_leads(leads: DataFrame) -> DataFrame:
    """One row per lead_id: its latest delivery."""
    return latest_per_key(
        leads,
        keys=["lead_id"],
        order_by=[F.col(PARTITION).desc()],
        content_columns=LEAD_COLUMNS,
    )


def daily_leads(
    leads: DataFrame,
    *,
    start: date,
    end: date,
    valid_status: str,
    lead_types: tuple[str, ...],
) -> DataFrame:
    """Valid leads per (lead day, vehicle_id) for lead days in [start, end], by type."""
    lead_day = F.to_date("lead_ts")
    valid = unique_leads(leads).where(
        (F.col("status") == valid_status) & lead_day.between(F.lit(start), F.lit(end))
    )
    by_type = [
        F.count(F.when(F.col("lead_type") == t, True)).cast("long").alias(f"leads_{t}")
        for t in lead_types
    ]
    return valid.groupBy(lead_day.alias(PARTITION), "vehicle_id").agg(
        F.count(F.lit(1)).cast("long").alias("leads_total"), *by_type
    )


def listing_activity(
    *,
    impressions: DataFrame,
    leads: DataFrame,
    start: date,
    end: date,
    page_weights: dict[str, float],
    position_weighted_pages: tuple[str, ...],
    valid_status: str,
    lead_types: tuple[str, ...],
) -> DataFrame:
    """Activity for every day in [start, end] from impressions and lead deliveries.

    ``leads`` holds the lead deliveries of [start, end]: a daily run re-computes the
    lookback window so late leads count on their own day.
    """
    imps = daily_impressions(
        impressions.where(F.col("event_date").between(F.lit(start), F.lit(end))),
        page_weights=page_weights,
        position_weighted_pages=position_weighted_pages,
    )
    lds = daily_leads(leads, start=start, end=end, valid_status=valid_status, lead_types=lead_types)
    joined = imps.join(lds, [PARTITION, "vehicle_id"], "full_outer")
    counts = [
        c for c in ACTIVITY_COLUMNS if c not in ("weighted_impressions", "leads_per_1k_impressions")
    ]
    for column in counts:
        if column not in joined.columns:
            joined = joined.withColumn(column, F.lit(0))
        joined = joined.withColumn(column, F.coalesce(F.col(column), F.lit(0)).cast("long"))
    return (
        joined.withColumn(
            "weighted_impressions", F.coalesce(F.col("weighted_impressions"), F.lit(0.0))
        )
        .withColumn("leads_per_1k_impressions", leads_per_1k())
        .select(PARTITION, "vehicle_id", *ACTIVITY_COLUMNS)
    )


def leads_per_1k() -> Column:
    """Leads per 1,000 impressions; null when the listing had no impressions."""
    return F.when(
        F.col("total_impressions") > 0,
        F.col("leads_total") * F.lit(1000.0) / F.col("total_impressions"),
    ).cast(T.DoubleType())
