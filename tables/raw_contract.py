"""The raw input contract (SPEC section 3): one schema per raw table.

Raw data is read-only, under ``<raw_root>/<table>/filedate=YYYY-MM-DD/*.parquet``.
Facts are that day's delivery; dimensions are daily full snapshots. Competitor feeds are
JSON files ``<raw_root>/competitor/<source>/<YYYY-MM-DD>.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

PRICE = DecimalType(12, 2)


def _schema(*cols: tuple[str, DataType]) -> StructType:
    return StructType([StructField(name, dtype, True) for name, dtype in cols])


@dataclass(frozen=True)
class RawTable:
    name: str
    kind: str  # "fact" or "dimension"
    schema: StructType
    keys: tuple[str, ...]  # columns that must not be null
    description: str


RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in (
        RawTable(
            "vehicle",
            "fact",
            _schema(
                ("vehicle_id", LongType()),
                ("vin", StringType()),
                ("customer_id", LongType()),
                ("make_id", IntegerType()),
                ("model_id", IntegerType()),
                ("model_year_id", IntegerType()),
                ("trim_id", IntegerType()),
                ("bodystyle_id", IntegerType()),
                ("stock_type_id", IntegerType()),
                ("price", PRICE),
                ("msrp", PRICE),
                ("mileage", IntegerType()),
                ("exterior_color", StringType()),
                ("zip_code", StringType()),
                ("status", StringType()),
                ("photo_count", IntegerType()),
                ("listed_at", TimestampType()),
                ("updated_at", TimestampType()),
            ),
            ("vehicle_id", "updated_at", "status"),
            "The platform's listing snapshot of the day; a vehicle_id may repeat in a day.",
        ),
        RawTable(
            "imp_daily",
            "fact",
            _schema(
                ("event_date", DateType()),
                ("vehicle_id", LongType()),
                ("page_type", StringType()),
                ("position", IntegerType()),
                ("device", StringType()),
                ("impressions", LongType()),
            ),
            ("event_date", "vehicle_id", "page_type", "impressions"),
            "Impressions counted by the serving system.",
        ),
        RawTable(
            "dw_lead",
            "fact",
            _schema(
                ("lead_id", StringType()),
                ("vehicle_id", LongType()),
                ("customer_id", LongType()),
                ("lead_type", StringType()),
                ("lead_ts", TimestampType()),
                ("status", StringType()),
            ),
            ("lead_id", "vehicle_id", "lead_ts", "status", "lead_type"),
            "One row per lead; leads of day D may be delivered on D+1 or D+2, and re-delivered.",
        ),
        RawTable(
            "vehicle_daily",
            "fact",
            _schema(
                ("vehicle_id", LongType()),
                ("is_featured", BooleanType()),
                ("has_video", BooleanType()),
                ("deal_badge", StringType()),
            ),
            ("vehicle_id",),
            "Daily attributes per listing.",
        ),
        RawTable(
            "make",
            "dimension",
            _schema(("make_id", IntegerType()), ("make_name", StringType())),
            ("make_id",),
            "Vehicle makes.",
        ),
        RawTable(
            "make_model",
            "dimension",
            _schema(
                ("model_id", IntegerType()),
                ("make_id", IntegerType()),
                ("model_name", StringType()),
            ),
            ("model_id",),
            "Vehicle models of a make.",
        ),
        RawTable(
            "model_year",
            "dimension",
            _schema(("model_year_id", IntegerType()), ("year", IntegerType())),
            ("model_year_id",),
            "Model years.",
        ),
        RawTable(
            "vehicle_trim",
            "dimension",
            _schema(
                ("trim_id", IntegerType()),
                ("model_id", IntegerType()),
                ("trim_name", StringType()),
            ),
            ("trim_id",),
            "Trims of a model.",
        ),
        RawTable(
            "stock_type",
            "dimension",
            _schema(("stock_type_id", IntegerType()), ("stock_type_name", StringType())),
            ("stock_type_id",),
            "new, used, cpo.",
        ),
        RawTable(
            "bodystyle",
            "dimension",
            _schema(("bodystyle_id", IntegerType()), ("bodystyle_name", StringType())),
            ("bodystyle_id",),
            "Body styles.",
        ),
        RawTable(
            "zip_code",
            "dimension",
            _schema(
                ("zip_code_id", IntegerType()),
                ("zip_code", StringType()),
                ("city", StringType()),
                ("state", StringType()),
                ("latitude", DoubleType()),
                ("longitude", DoubleType()),
            ),
            ("zip_code_id", "zip_code"),
            "US ZIP codes with city, state and coordinates.",
        ),
        RawTable(
            "dma_zip",
            "dimension",
            _schema(
                ("zip_code_id", IntegerType()),
                ("dma_code", IntegerType()),
                ("dma_name", StringType()),
            ),
            ("zip_code_id", "dma_code"),
            "ZIP to Nielsen DMA.",
        ),
        RawTable(
            "customer",
            "dimension",
            _schema(
                ("customer_id", LongType()),
                ("dealer_name", StringType()),
                ("customer_type", StringType()),
                ("zip_code", StringType()),
                ("purchase_flag", BooleanType()),
            ),
            ("customer_id",),
            "Dealers; purchase_flag marks a paying dealer.",
        ),
        RawTable(
            "dealer_review",
            "dimension",
            _schema(
                ("review_id", LongType()),
                ("customer_id", LongType()),
                ("rating", IntegerType()),
                ("review_ts", TimestampType()),
            ),
            ("review_id", "customer_id"),
            "Individual dealer reviews.",
        ),
        RawTable(
            "dealer_review_rollup",
            "dimension",
            _schema(
                ("customer_id", LongType()),
                ("avg_rating", DoubleType()),
                ("review_count", IntegerType()),
            ),
            ("customer_id",),
            "Dealer rating and review count.",
        ),
        RawTable(
            "vehicle_review_rollup",
            "dimension",
            _schema(
                ("make_id", IntegerType()),
                ("model_id", IntegerType()),
                ("year", IntegerType()),
                ("avg_rating", DoubleType()),
                ("review_count", IntegerType()),
            ),
            ("make_id", "model_id", "year"),
            "Vehicle rating by make, model and year.",
        ),
        RawTable(
            "dealer_sales_locations",
            "dimension",
            _schema(
                ("customer_id", LongType()),
                ("location_id", LongType()),
                ("zip_code", StringType()),
            ),
            ("customer_id", "location_id"),
            "Dealer sales locations.",
        ),
        RawTable(
            "activity_customer",
            "dimension",
            _schema(
                ("customer_id", LongType()),
                ("avg_response_minutes", DoubleType()),
                ("active_flag", BooleanType()),
            ),
            ("customer_id",),
            "Dealer responsiveness and activity.",
        ),
    )
}

FACT_TABLES = tuple(n for n, t in RAW_TABLES.items() if t.kind == "fact")
DIMENSION_TABLES = tuple(n for n, t in RAW_TABLES.items() if t.kind == "dimension")

# Enumerations of the contract.
VEHICLE_STATUSES = ("active", "pending", "sold", "removed")
PAGE_TYPES = ("srp", "featured", "vdp")
LEAD_TYPES = ("email", "phone", "chat", "text", "other")
LEAD_STATUSES = ("valid", "spam", "test")
DEAL_BADGES = ("great", "good", "fair", "high", "none")
STOCK_TYPES = ("new", "used", "cpo")

# Competitor feed (the scraped JSON format of data/usedevpricetracker).
COMPETITOR_ROOT = "competitor"
COMPETITOR_LISTING_SCHEMA = StructType(
    [
        StructField("id", StringType()),
        StructField("vin", StringType()),
        StructField("make", StringType()),
        StructField("model", StringType()),
        StructField("year", LongType()),
        StructField("trim", StringType()),
        StructField("normalized_trim", StringType()),
        StructField("price", DoubleType()),
        StructField("mileage", LongType()),
        StructField("location", StringType()),
        StructField("url", StringType()),
        StructField("listing_date", StringType()),
    ]
)
COMPETITOR_FILE_SCHEMA = StructType(
    [
        StructField("source", StringType()),
        StructField("scraped_at", StringType()),
        StructField("listings", ArrayType(COMPETITOR_LISTING_SCHEMA)),
    ]
)
