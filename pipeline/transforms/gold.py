"""Gold: ``inventory_activity`` and the segment activity BI mart.

- ``inventory_activity`` grain: one row per (filedate, vehicle_id) for every active listing.
- ``segment_activity`` grain: one row per (filedate, make, model, model year, DMA).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pipeline.transforms.silver_activity import leads_per_1k
from tables.specs import ACTIVITY_COLUMNS, PARTITION

COUNT_COLUMNS = [
    c for c in ACTIVITY_COLUMNS if c not in ("weighted_impressions", "leads_per_1k_impressions")
]
SEGMENT_GRAIN = ["make_name", "model_name", "model_year", "dma_code"]


def inventory_activity(*, features: DataFrame, activity: DataFrame) -> DataFrame:
    """Listing features of the day plus that day's activity (zeros when there was none)."""
    acts = activity.select(PARTITION, "vehicle_id", *[c for c in ACTIVITY_COLUMNS])
    joined = features.drop(*[c for c in ACTIVITY_COLUMNS if c in features.columns]).join(
        acts, [PARTITION, "vehicle_id"], "left"
    )
    for column in COUNT_COLUMNS:
        joined = joined.withColumn(column, F.coalesce(F.col(column), F.lit(0)).cast("long"))
    return joined.withColumn(
        "weighted_impressions", F.coalesce(F.col("weighted_impressions"), F.lit(0.0))
    ).withColumn("leads_per_1k_impressions", leads_per_1k())


def segment_activity(inventory: DataFrame) -> DataFrame:
    """Activity per make/model/year/DMA and day, summed over ``inventory_activity``."""
    return (
        inventory.groupBy(PARTITION, *SEGMENT_GRAIN)
        .agg(
            F.max("dma_name").alias("dma_name"),
            F.count(F.lit(1)).cast("long").alias("active_listings"),
            F.expr("percentile(price, 0.5)").cast(T.DecimalType(14, 4)).alias("median_price"),
            F.avg("days_on_market").cast("double").alias("avg_days_on_market"),
            F.sum("total_impressions").cast("long").alias("total_impressions"),
            F.sum("weighted_impressions").cast("double").alias("weighted_impressions"),
            F.sum("vdp_impressions").cast("long").alias("vdp_impressions"),
            F.sum("leads_total").cast("long").alias("leads_total"),
        )
        .withColumn("leads_per_1k_impressions", leads_per_1k())
    )


def with_run_metadata(df: DataFrame, *, run_id: str, processed_at) -> DataFrame:
    return df.withColumn("run_id", F.lit(run_id)).withColumn(
        "processed_at", F.lit(processed_at).cast(T.TimestampType())
    )
