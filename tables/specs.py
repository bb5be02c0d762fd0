"""One declarative spec per lake table: name, layer, schema, partition, merge keys, grain.

Readers and writers in :mod:`tables.io` apply these specs; nothing else knows a path.
Every table is partitioned by ``filedate`` (the business date, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import (
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from tables.raw_contract import PRICE, RAW_TABLES

PARTITION = "filedate"
LAYERS = ("bronze", "quarantine", "silver", "gold", "core", "ops")


@dataclass(frozen=True)
class TableSpec:
    name: str
    layer: str
    schema: StructType
    merge_keys: tuple[str, ...]
    grain: str
    description: str
    partition: str | None = PARTITION

    @property
    def qualified(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.schema.fields]


def _fields(*cols: tuple[str, object]) -> list[StructField]:
    return [StructField(name, dtype, True) for name, dtype in cols]


INGEST_METADATA = _fields(
    ("_source_file", StringType()),
    ("_ingest_ts", TimestampType()),
    ("_run_id", StringType()),
)
RUN_METADATA = _fields(("run_id", StringType()), ("processed_at", TimestampType()))


def _bronze(raw_name: str) -> TableSpec:
    raw = RAW_TABLES[raw_name]
    schema = StructType(
        [StructField(PARTITION, DateType(), False), *raw.schema.fields, *INGEST_METADATA]
    )
    return TableSpec(
        name=raw_name,
        layer="bronze",
        schema=schema,
        merge_keys=(PARTITION,),
        grain=f"one row per delivered {raw_name} row that meets the contract, per filedate",
        description=(
            f"Raw {raw_name} typed to its contract, with ingest metadata. {raw.description}"
        ),
    )


COMPETITOR_LISTING = TableSpec(
    name="competitor_listing",
    layer="bronze",
    schema=StructType(
        [
            StructField(PARTITION, DateType(), False),
            *_fields(
                ("source", StringType()),
                ("listing_id", StringType()),
                ("vin", StringType()),
                ("make", StringType()),
                ("model", StringType()),
                ("year", IntegerType()),
                ("trim", StringType()),
                ("price", PRICE),
                ("mileage", IntegerType()),
                ("scraped_at", StringType()),
            ),
            *INGEST_METADATA,
        ]
    ),
    merge_keys=(PARTITION,),
    grain="one row per competitor listing per source per filedate",
    description="Competitor feed listings (JSON) flattened, typed and tagged.",
)


def _quarantine(source_name: str) -> TableSpec:
    return TableSpec(
        name=source_name,
        layer="quarantine",
        schema=StructType(
            [
                StructField(PARTITION, DateType(), False),
                *_fields(
                    ("reason_code", StringType()),
                    ("rule", StringType()),
                    ("record", StringType()),
                    ("_source_file", StringType()),
                    ("_ingest_ts", TimestampType()),
                    ("_run_id", StringType()),
                ),
            ]
        ),
        merge_keys=(PARTITION,),
        grain=f"one row per rejected {source_name} row per filedate",
        description=f"Rows of raw {source_name} that broke the contract, as JSON, with the reason.",
    )


BRONZE: dict[str, TableSpec] = {name: _bronze(name) for name in RAW_TABLES}
BRONZE[COMPETITOR_LISTING.name] = COMPETITOR_LISTING
QUARANTINE: dict[str, TableSpec] = {name: _quarantine(name) for name in BRONZE}

# ---------------------------------------------------------------------------- silver

LISTING_SNAPSHOT = TableSpec(
    name="listing_snapshot",
    layer="silver",
    schema=StructType(
        [
            StructField(PARTITION, DateType(), False),
            *[f for f in RAW_TABLES["vehicle"].schema.fields],
            *RUN_METADATA,
        ]
    ),
    merge_keys=(PARTITION, "vehicle_id"),
    grain="one row per (filedate, vehicle_id): the de-duplicated listing snapshot, any status",
    description="Vehicle snapshot of the day after de-duplication (latest updated_at wins).",
)

LISTING_STATE = TableSpec(
    name="listing_state",
    layer="silver",
    schema=StructType(
        [
            StructField(PARTITION, DateType(), False),
            *_fields(
                ("vehicle_id", LongType()),
                ("first_seen_date", DateType()),
                ("last_active_date", DateType()),
                ("last_price", PRICE),
                ("price_drop_count", IntegerType()),
            ),
            *RUN_METADATA,
        ]
    ),
    merge_keys=(PARTITION, "vehicle_id"),
    grain="one row per (filedate, vehicle_id) for every listing ever active within retention",
    description="Listing lifecycle state as of filedate, carried forward day by day.",
)

ACTIVITY_FIELDS = _fields(
    ("srp_impressions", LongType()),
    ("featured_impressions", LongType()),
    ("vdp_impressions", LongType()),
    ("total_impressions", LongType()),
    ("weighted_impressions", DoubleType()),
    ("leads_total", LongType()),
    ("leads_email", LongType()),
    ("leads_phone", LongType()),
    ("leads_chat", LongType()),
    ("leads_text", LongType()),
    ("leads_other", LongType()),
    ("leads_per_1k_impressions", DoubleType()),
)
ACTIVITY_COLUMNS = tuple(f.name for f in ACTIVITY_FIELDS)

LISTING_ACTIVITY = TableSpec(
    name="listing_activity",
    layer="silver",
    schema=StructType(
        [
            StructField(PARTITION, DateType(), False),
            StructField("vehicle_id", LongType(), True),
            *ACTIVITY_FIELDS,
            *RUN_METADATA,
        ]
    ),
    merge_keys=(PARTITION, "vehicle_id"),
    grain="one row per (filedate, vehicle_id) with any impression or valid lead that day",
    description="Weighted impressions and valid leads by type per listing and day.",
)

FEATURE_FIELDS = _fields(
    ("vehicle_id", LongType()),
    ("vin", StringType()),
    ("customer_id", LongType()),
    ("dealer_name", StringType()),
    ("customer_type", StringType()),
    ("is_paying_dealer", BooleanType()),
    ("dealer_location_count", IntegerType()),
    ("dealer_avg_response_minutes", DoubleType()),
    ("dealer_active_flag", BooleanType()),
    ("make_id", IntegerType()),
    ("make_name", StringType()),
    ("model_id", IntegerType()),
    ("model_name", StringType()),
    ("model_year_id", IntegerType()),
    ("model_year", IntegerType()),
    ("trim_id", IntegerType()),
    ("trim_name", StringType()),
    ("bodystyle_id", IntegerType()),
    ("bodystyle_name", StringType()),
    ("stock_type_id", IntegerType()),
    ("stock_type_name", StringType()),
    ("price", PRICE),
    ("msrp", PRICE),
    ("mileage", IntegerType()),
    ("exterior_color", StringType()),
    ("photo_count", IntegerType()),
    ("listed_at", TimestampType()),
    ("updated_at", TimestampType()),
    ("zip_code", StringType()),
    ("city", StringType()),
    ("state", StringType()),
    ("latitude", DoubleType()),
    ("longitude", DoubleType()),
    ("dma_code", IntegerType()),
    ("dma_name", StringType()),
    ("first_seen_date", DateType()),
    ("days_on_market", IntegerType()),
    ("price_change_1d", PRICE),
    ("price_change_7d", PRICE),
    ("price_drop_count", IntegerType()),
    ("dealer_avg_rating", DoubleType()),
    ("dealer_review_count", IntegerType()),
    ("vehicle_avg_rating", DoubleType()),
    ("vehicle_review_count", IntegerType()),
    ("is_featured", BooleanType()),
    ("has_video", BooleanType()),
    ("deal_badge", StringType()),
    ("competitor_count", IntegerType()),
    ("competitor_prices", MapType(StringType(), PRICE)),
    ("competitor_min_price", PRICE),
    ("price_vs_competitor_pct", DoubleType()),
    ("segment_median_price", DecimalType(14, 4)),
    ("segment_listing_count", IntegerType()),
    ("price_vs_segment_pct", DoubleType()),
)

LISTING_FEATURES = TableSpec(
    name="listing_features",
    layer="silver",
    schema=StructType([StructField(PARTITION, DateType(), False), *FEATURE_FIELDS, *RUN_METADATA]),
    merge_keys=(PARTITION, "vehicle_id"),
    grain="one row per (filedate, vehicle_id) for every active listing",
    description=(
        "Active listings enriched with lifecycle, vehicle and dealer dimensions, market "
        "(ZIP, city, DMA), reviews, daily attributes, competitor prices and segment price."
    ),
)

SILVER = {t.name: t for t in (LISTING_SNAPSHOT, LISTING_STATE, LISTING_ACTIVITY, LISTING_FEATURES)}

# ------------------------------------------------------------------------------ gold

INVENTORY_ACTIVITY_FIELDS = [*FEATURE_FIELDS, *ACTIVITY_FIELDS]


def _inventory_activity(layer: str) -> TableSpec:
    return TableSpec(
        name="inventory_activity",
        layer=layer,
        schema=StructType(
            [
                StructField(PARTITION, DateType(), False),
                *INVENTORY_ACTIVITY_FIELDS,
                *RUN_METADATA,
            ]
        ),
        merge_keys=(PARTITION, "vehicle_id"),
        grain="one row per (filedate, vehicle_id) for every active listing",
        description="Everything known about each active listing that day (SPEC section 1).",
    )


def _segment_activity(layer: str) -> TableSpec:
    return TableSpec(
        name="segment_activity",
        layer=layer,
        schema=StructType(
            [
                StructField(PARTITION, DateType(), False),
                *_fields(
                    ("make_name", StringType()),
                    ("model_name", StringType()),
                    ("model_year", IntegerType()),
                    ("dma_code", IntegerType()),
                    ("dma_name", StringType()),
                    ("active_listings", LongType()),
                    ("median_price", DecimalType(14, 4)),
                    ("avg_days_on_market", DoubleType()),
                    ("total_impressions", LongType()),
                    ("weighted_impressions", DoubleType()),
                    ("vdp_impressions", LongType()),
                    ("leads_total", LongType()),
                    ("leads_per_1k_impressions", DoubleType()),
                ),
                *RUN_METADATA,
            ]
        ),
        merge_keys=(PARTITION, "make_name", "model_name", "model_year", "dma_code"),
        grain="one row per (filedate, make, model, model year, DMA); DMA may be null",
        description="BI mart: segment activity per make/model/year/DMA and day.",
    )


GOLD = {
    "inventory_activity": _inventory_activity("gold"),
    "segment_activity": _segment_activity("gold"),
}
CORE = {
    "inventory_activity": _inventory_activity("core"),
    "segment_activity": _segment_activity("core"),
}

# ------------------------------------------------------------------------------- ops

RUN_LEDGER = TableSpec(
    name="run_ledger",
    layer="ops",
    schema=StructType(
        _fields(
            ("run_id", StringType()),
            ("command", StringType()),
            ("filedate", DateType()),
            ("stage", StringType()),
            # running, succeeded, failed, skipped, waiting_for_input
            ("status", StringType()),
            ("started_at", TimestampType()),
            ("ended_at", TimestampType()),
            ("duration_s", DoubleType()),
            ("rows_in", LongType()),
            ("rows_out", LongType()),
            ("input_versions", StringType()),  # JSON {table: Delta version} before the stage
            ("raw_manifest", StringType()),  # JSON [[path, size, mtime_ms], ...] (ingest)
            ("raw_manifest_hash", StringType()),  # sha256 of the date's raw files
            ("depends_on", StringType()),  # JSON {date: run id that completed it}
            ("input_fingerprint", StringType()),  # code, config, raw and depends_on hashed
            ("output_versions", StringType()),  # JSON {table: Delta version} after the stage
            ("code_version", StringType()),
            ("config_hash", StringType()),
            ("gate_verdict", StringType()),
            ("details", StringType()),  # JSON, stage specific
            ("error", StringType()),
            ("host", StringType()),
            ("pid", LongType()),
            ("recorded_at", TimestampType()),
            ("seq", LongType()),
        )
    ),
    merge_keys=("run_id", "filedate", "stage"),
    grain=(
        "one row per (run_id, filedate, stage) and state change; readers keep the latest "
        "(recorded_at, seq) per key; maintain compacts it to one row per key"
    ),
    description="Run ledger: what ran, when, on which inputs, with what result.",
    partition=None,
)

DQ_RESULTS = TableSpec(
    name="dq_results",
    layer="ops",
    schema=StructType(
        [
            StructField(PARTITION, DateType(), False),
            *_fields(
                ("layer", StringType()),
                ("table_name", StringType()),
                ("expectation", StringType()),
                ("expectation_type", StringType()),
                ("column", StringType()),
                ("severity", StringType()),
                ("success", BooleanType()),
                ("observed_value", StringType()),
                ("unexpected_count", LongType()),
                ("unexpected_percent", DoubleType()),
                ("details", StringType()),
                ("run_id", StringType()),
                ("validated_at", TimestampType()),
            ),
        ]
    ),
    merge_keys=(PARTITION, "table_name", "expectation"),
    grain="one row per (filedate, table, expectation); a gate rewrites its (filedate, layer) rows",
    description=(
        "Data-quality results of every expectation run on a date: severity, success, "
        "observed value, unexpected count and percent, run id (quality/gate.py)."
    ),
)

OPS = {t.name: t for t in (RUN_LEDGER, DQ_RESULTS)}


def all_specs() -> list[TableSpec]:
    return [
        *BRONZE.values(),
        *QUARANTINE.values(),
        *SILVER.values(),
        *GOLD.values(),
        *CORE.values(),
        *OPS.values(),
    ]
