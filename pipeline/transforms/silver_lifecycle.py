"""Silver listing lifecycle: state carried forward one day at a time.

Grain: one row per (filedate, vehicle_id) for every listing ever active, kept while its
last active day is within the retention window.

``state(D) = next_state(state(latest date before D), active listings of D)``, so the cost of
a day does not grow with the length of history. A rerun of an earlier date therefore
makes later states stale; the job runner recomputes them in date order.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tables.raw_contract import PRICE
from tables.specs import PARTITION

STATE_COLUMNS = [
    "vehicle_id",
    "first_seen_date",
    "last_active_date",
    "last_price",
    "price_drop_count",
]


def next_state(
    *, previous_state: DataFrame, active: DataFrame, filedate: date, retention_days: int
) -> DataFrame:
    """Lifecycle state as of ``filedate``.

    - ``first_seen_date``: first filedate the listing was active.
    - ``price_drop_count``: number of times the shown price went down between consecutive
      active days with a price (days without a price are skipped).
    """
    day = F.lit(filedate).cast(T.DateType())
    prev = previous_state.select(*[F.col(c).alias(f"p_{c}") for c in STATE_COLUMNS])
    today = active.select(
        F.col("vehicle_id").alias("t_vehicle_id"), F.col("price").alias("t_price")
    )
    joined = prev.join(today, prev.p_vehicle_id == today.t_vehicle_id, "full_outer")
    is_active = F.col("t_vehicle_id").isNotNull()
    dropped = (
        is_active
        & F.col("t_price").isNotNull()
        & F.col("p_last_price").isNotNull()
        & (F.col("t_price") < F.col("p_last_price"))
    )
    state = joined.select(
        F.lit(filedate).cast(T.DateType()).alias(PARTITION),
        F.coalesce("p_vehicle_id", "t_vehicle_id").alias("vehicle_id"),
        F.coalesce(F.col("p_first_seen_date"), F.when(is_active, day)).alias("first_seen_date"),
        F.when(is_active, day).otherwise(F.col("p_last_active_date")).alias("last_active_date"),
        F.when(is_active, F.coalesce("t_price", "p_last_price"))
        .otherwise(F.col("p_last_price"))
        .cast(PRICE)
        .alias("last_price"),
        (F.coalesce(F.col("p_price_drop_count"), F.lit(0)) + dropped.cast("int"))
        .cast("int")
        .alias("price_drop_count"),
    )
    oldest_kept = filedate - timedelta(days=retention_days)
    return state.where(F.col("last_active_date") >= F.lit(oldest_kept))


def lifecycle_features(
    *,
    active: DataFrame,
    state: DataFrame,
    prices_before: dict[int, DataFrame],
    filedate: date,
) -> DataFrame:
    """Active listings of ``filedate`` with first seen, days on market and price changes.

    ``prices_before[n]`` is the de-duplicated snapshot of ``filedate - n`` days (any
    status); ``price_change_<n>d`` is today's price minus that day's price, null when
    either is unknown.
    """
    day = F.lit(filedate).cast(T.DateType())
    out = active.join(
        state.select("vehicle_id", "first_seen_date", "price_drop_count"), "vehicle_id", "left"
    ).withColumn("days_on_market", F.datediff(day, F.col("first_seen_date")).cast("int"))
    for days, snapshot in sorted(prices_before.items()):
        before = snapshot.select("vehicle_id", F.col("price").alias(f"_price_{days}d"))
        out = (
            out.join(before, "vehicle_id", "left")
            .withColumn(
                f"price_change_{days}d",
                (F.col("price") - F.col(f"_price_{days}d")).cast(PRICE),
            )
            .drop(f"_price_{days}d")
        )
    return out
