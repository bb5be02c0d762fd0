"""Silver listing features: active listings enriched with everything known about them.

Grain: one row per (filedate, vehicle_id) for every active listing.

Each ``with_*`` function adds one group of columns with left joins, so an unknown key
keeps the listing and leaves the columns null (counted as a join miss by the quality
suite). Dimensions are the day's snapshot, de-duplicated on their key.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pipeline.transforms.silver_snapshot import dedupe_dimension
from tables.raw_contract import PRICE
from tables.specs import PARTITION

SEGMENT_KEYS = ["make_id", "model_id", "model_year_id", "stock_type_id", "dma_code"]


def small(df: DataFrame) -> DataFrame:
    """A small dimension snapshot read as one partition.

    Its de-duplication and aggregation then need no shuffle (one partition satisfies any
    clustering), so the whole dimension is read, de-duplicated and broadcast by a single
    task of a single Spark job. Only for tables that are broadcast anyway.
    """
    return df.coalesce(1)


def small_dimension(df: DataFrame, keys: list[str]) -> DataFrame:
    return dedupe_dimension(small(df), keys=keys)


def _dim(df: DataFrame, keys: list[str], *columns: str) -> DataFrame:
    return F.broadcast(small_dimension(df, keys).select(*keys, *columns))


def with_vehicle_dimensions(
    listings: DataFrame,
    *,
    make: DataFrame,
    make_model: DataFrame,
    model_year: DataFrame,
    vehicle_trim: DataFrame,
    bodystyle: DataFrame,
    stock_type: DataFrame,
) -> DataFrame:
    return (
        listings.join(_dim(make, ["make_id"], "make_name"), "make_id", "left")
        .join(_dim(make_model, ["model_id"], "model_name"), "model_id", "left")
        .join(
            _dim(model_year, ["model_year_id"], "year").withColumnRenamed("year", "model_year"),
            "model_year_id",
            "left",
        )
        .join(_dim(vehicle_trim, ["trim_id"], "trim_name"), "trim_id", "left")
        .join(_dim(bodystyle, ["bodystyle_id"], "bodystyle_name"), "bodystyle_id", "left")
        .join(_dim(stock_type, ["stock_type_id"], "stock_type_name"), "stock_type_id", "left")
    )


def market(*, zip_code: DataFrame, dma_zip: DataFrame) -> DataFrame:
    """ZIP -> city, state, coordinates and DMA; a ZIP with no DMA keeps a null DMA."""
    zips = small_dimension(zip_code, ["zip_code"]).select(
        "zip_code", "zip_code_id", "city", "state", "latitude", "longitude"
    )
    dmas = small_dimension(dma_zip, ["zip_code_id"]).select("zip_code_id", "dma_code", "dma_name")
    return zips.join(dmas, "zip_code_id", "left").drop("zip_code_id")


def with_market(listings: DataFrame, *, zip_code: DataFrame, dma_zip: DataFrame) -> DataFrame:
    return listings.join(
        F.broadcast(market(zip_code=zip_code, dma_zip=dma_zip)), "zip_code", "left"
    )


def with_dealer(
    listings: DataFrame,
    *,
    customer: DataFrame,
    dealer_sales_locations: DataFrame,
    activity_customer: DataFrame,
    dealer_review_rollup: DataFrame,
) -> DataFrame:
    dealers = small_dimension(customer, ["customer_id"]).select(
        "customer_id",
        "dealer_name",
        "customer_type",
        F.col("purchase_flag").alias("is_paying_dealer"),
    )
    locations = (
        small(dealer_sales_locations)
        .groupBy("customer_id")
        .agg(F.countDistinct("location_id").cast("int").alias("dealer_location_count"))
    )
    activity = small_dimension(activity_customer, ["customer_id"]).select(
        "customer_id",
        F.col("avg_response_minutes").alias("dealer_avg_response_minutes"),
        F.col("active_flag").alias("dealer_active_flag"),
    )
    reviews = small_dimension(dealer_review_rollup, ["customer_id"]).select(
        "customer_id",
        F.col("avg_rating").alias("dealer_avg_rating"),
        F.col("review_count").alias("dealer_review_count"),
    )
    out = listings
    for frame in (dealers, locations, activity, reviews):
        out = out.join(F.broadcast(frame), "customer_id", "left")
    return out


def with_vehicle_reviews(listings: DataFrame, *, vehicle_review_rollup: DataFrame) -> DataFrame:
    reviews = small_dimension(vehicle_review_rollup, ["make_id", "model_id", "year"]).select(
        "make_id",
        "model_id",
        F.col("year").alias("model_year"),
        F.col("avg_rating").alias("vehicle_avg_rating"),
        F.col("review_count").alias("vehicle_review_count"),
    )
    return listings.join(F.broadcast(reviews), ["make_id", "model_id", "model_year"], "left")


def with_daily_attributes(listings: DataFrame, *, vehicle_daily: DataFrame) -> DataFrame:
    daily = dedupe_dimension(vehicle_daily, keys=["vehicle_id"]).select(
        "vehicle_id", "is_featured", "has_video", "deal_badge"
    )
    return listings.join(daily, "vehicle_id", "left")


def competitor_prices(competitors: DataFrame) -> DataFrame:
    """Per VIN: number of sources listing it, each source's (lowest) price, the minimum."""
    per_source = (
        competitors.where(F.col("vin").isNotNull() & (F.col("price") > 0))
        .groupBy(F.upper("vin").alias("vin"), "source")
        .agg(F.min("price").alias("price"))
    )
    return per_source.groupBy("vin").agg(
        F.count("source").cast("int").alias("competitor_count"),
        F.map_from_entries(F.array_sort(F.collect_list(F.struct("source", "price")))).alias(
            "competitor_prices"
        ),
        F.min("price").cast(PRICE).alias("competitor_min_price"),
    )


def with_competitors(listings: DataFrame, *, competitors: DataFrame) -> DataFrame:
    """Competitor prices by VIN. Listings with a VIN and no match get count 0; no VIN: null."""
    prices = competitor_prices(competitors).withColumnRenamed("vin", "_vin")
    joined = listings.join(prices, F.upper(listings["vin"]) == prices["_vin"], "left").drop("_vin")
    return joined.withColumn(
        "competitor_count",
        F.when(F.col("vin").isNull(), F.lit(None).cast("int")).otherwise(
            F.coalesce("competitor_count", F.lit(0))
        ),
    ).withColumn(
        "price_vs_competitor_pct",
        percent_difference(F.col("price"), F.col("competitor_min_price")),
    )


def percent_difference(value, reference):
    """(value - reference) / reference x 100, null when either is null or reference is 0."""
    return F.when(
        reference.isNotNull() & (reference != 0) & value.isNotNull(),
        (value.cast("double") - reference.cast("double")) / reference.cast("double") * 100.0,
    ).cast(T.DoubleType())


def with_segment(listings: DataFrame) -> DataFrame:
    """Median price of priced active listings in the same make, model, year, stock type and
    DMA; a listing without DMA (or price) gets no segment figures."""
    priced = listings.where(F.col("price").isNotNull() & F.col("dma_code").isNotNull())
    segments = priced.groupBy(*SEGMENT_KEYS).agg(
        F.expr("percentile(price, 0.5)").cast(T.DecimalType(14, 4)).alias("segment_median_price"),
        F.count(F.lit(1)).cast("int").alias("segment_listing_count"),
    )
    joined = listings.join(segments, SEGMENT_KEYS, "left")
    return joined.withColumn(
        "price_vs_segment_pct",
        percent_difference(F.col("price"), F.col("segment_median_price")),
    )


def select_features(df: DataFrame, *, columns: list[str]) -> DataFrame:
    """Order the columns as the listing_features spec declares them."""
    return df.select(PARTITION, *columns)
