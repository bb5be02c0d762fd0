"""The daily job as wiring: which inputs feed which transform, and where the output goes.

The runner (:mod:`pipeline.runner`) owns execution: reading inputs, writing outputs,
logging, the ledger, retries. Nothing here reads a path, the clock or the configuration
file; rule parameters come in through ``Config`` at wiring time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from pipeline.config import Config
from pipeline.transforms import gold, silver_activity, silver_enrichment, silver_lifecycle
from pipeline.transforms.silver_snapshot import active_listings, dedupe_vehicle
from tables import specs
from tables.raw_contract import LEAD_TYPES

PRICE_CHANGE_DAYS = (1, 7)


@dataclass(frozen=True)
class Input:
    """A table read for a step: either a set of dates relative to the run date, or the
    latest partition strictly before it (``latest_before``)."""

    table: specs.TableSpec
    offsets: tuple[int, ...] = (0,)
    latest_before: bool = False
    whole_window: bool = False  # read every date of the step's output window

    def dates(self, day: date) -> list[date]:
        return [day - timedelta(days=o) for o in self.offsets]


@dataclass(frozen=True)
class Step:
    name: str
    stage: str
    output: specs.TableSpec
    inputs: dict[str, Input]
    transform: Callable[..., DataFrame]
    params: Callable[[Config, date, tuple[date, date]], dict[str, Any]] = field(
        default=lambda config, day, window: {}
    )
    # Output dates relative to the run date: (days back, 0) -> [day - back, day].
    lookback: Callable[[Config], int] = field(default=lambda config: 0)


def _bronze(name: str, *offsets: int) -> Input:
    return Input(specs.BRONZE[name], offsets=offsets or (0,))


def _snapshot(*, vehicle: DataFrame) -> DataFrame:
    return dedupe_vehicle(vehicle)


def _state(*, previous_state: DataFrame, snapshot: DataFrame, filedate: date, retention_days: int):
    return silver_lifecycle.next_state(
        previous_state=previous_state,
        active=active_listings(snapshot),
        filedate=filedate,
        retention_days=retention_days,
    )


def _activity(*, impressions: DataFrame, leads: DataFrame, **params: Any) -> DataFrame:
    return silver_activity.listing_activity(impressions=impressions, leads=leads, **params)


def _features(
    *,
    snapshots: DataFrame,
    state: DataFrame,
    competitors: DataFrame,
    filedate: date,
    **dims: DataFrame,
) -> DataFrame:
    def snapshot_of(days_back: int) -> DataFrame:
        day = filedate - timedelta(days=days_back)
        return snapshots.where(F.col(specs.PARTITION) == F.lit(day))

    listings = silver_lifecycle.lifecycle_features(
        active=active_listings(snapshot_of(0)),
        state=state,
        prices_before={n: snapshot_of(n) for n in PRICE_CHANGE_DAYS},
        filedate=filedate,
    )
    listings = silver_enrichment.with_vehicle_dimensions(
        listings,
        **{
            k: dims[k]
            for k in ("make", "make_model", "model_year", "vehicle_trim", "bodystyle", "stock_type")
        },
    )
    listings = silver_enrichment.with_market(
        listings, zip_code=dims["zip_code"], dma_zip=dims["dma_zip"]
    )
    listings = silver_enrichment.with_dealer(
        listings,
        customer=dims["customer"],
        dealer_sales_locations=dims["dealer_sales_locations"],
        activity_customer=dims["activity_customer"],
        dealer_review_rollup=dims["dealer_review_rollup"],
    )
    listings = silver_enrichment.with_vehicle_reviews(
        listings, vehicle_review_rollup=dims["vehicle_review_rollup"]
    )
    listings = silver_enrichment.with_daily_attributes(
        listings, vehicle_daily=dims["vehicle_daily"]
    )
    listings = silver_enrichment.with_competitors(listings, competitors=competitors)
    listings = silver_enrichment.with_segment(listings)
    return listings


def _inventory(*, features: DataFrame, activity: DataFrame) -> DataFrame:
    return gold.inventory_activity(features=features, activity=activity)


def _segments(*, inventory: DataFrame) -> DataFrame:
    return gold.segment_activity(inventory)


FEATURE_DIMENSIONS = (
    "make",
    "make_model",
    "model_year",
    "vehicle_trim",
    "bodystyle",
    "stock_type",
    "zip_code",
    "dma_zip",
    "customer",
    "dealer_sales_locations",
    "activity_customer",
    "dealer_review_rollup",
    "vehicle_review_rollup",
    "vehicle_daily",
)


def _lookback(config: Config) -> int:
    return config.rules.lookback_days


SILVER_STEPS: tuple[Step, ...] = (
    Step(
        name="listing_snapshot",
        stage="silver",
        output=specs.LISTING_SNAPSHOT,
        inputs={"vehicle": _bronze("vehicle")},
        transform=_snapshot,
    ),
    Step(
        name="listing_state",
        stage="silver",
        output=specs.LISTING_STATE,
        inputs={
            "previous_state": Input(specs.LISTING_STATE, latest_before=True),
            "snapshot": Input(specs.LISTING_SNAPSHOT),
        },
        transform=_state,
        params=lambda config, day, window: {
            "filedate": day,
            "retention_days": config.rules.state_retention_days,
        },
    ),
    Step(
        name="listing_activity",
        stage="silver",
        output=specs.LISTING_ACTIVITY,
        inputs={
            "impressions": Input(specs.BRONZE["imp_daily"], whole_window=True),
            "leads": Input(specs.BRONZE["dw_lead"], whole_window=True),
        },
        transform=_activity,
        params=lambda config, day, window: {
            "start": window[0],
            "end": window[1],
            "page_weights": config.rules.page_weights,
            "position_weighted_pages": config.rules.position_weighted_pages,
            "valid_status": config.rules.valid_lead_status,
            "lead_types": LEAD_TYPES,
        },
        lookback=_lookback,
    ),
    Step(
        name="listing_features",
        stage="silver",
        output=specs.LISTING_FEATURES,
        inputs={
            # The day's snapshot and those PRICE_CHANGE_DAYS before: one read of the table.
            "snapshots": Input(specs.LISTING_SNAPSHOT, offsets=(0, *PRICE_CHANGE_DAYS)),
            "state": Input(specs.LISTING_STATE),
            "competitors": _bronze("competitor_listing"),
            **{name: _bronze(name) for name in FEATURE_DIMENSIONS},
        },
        transform=_features,
        params=lambda config, day, window: {"filedate": day},
    ),
)

GOLD_STEPS: tuple[Step, ...] = (
    Step(
        name="inventory_activity",
        stage="gold",
        output=specs.GOLD["inventory_activity"],
        inputs={
            "features": Input(specs.LISTING_FEATURES, whole_window=True),
            "activity": Input(specs.LISTING_ACTIVITY, whole_window=True),
        },
        transform=_inventory,
        lookback=_lookback,
    ),
    Step(
        name="segment_activity",
        stage="gold",
        output=specs.GOLD["segment_activity"],
        inputs={"inventory": Input(specs.GOLD["inventory_activity"], whole_window=True)},
        transform=_segments,
        lookback=_lookback,
    ),
)

PUBLISH_TABLES = ("inventory_activity", "segment_activity")
