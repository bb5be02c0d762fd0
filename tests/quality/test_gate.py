"""Every blocking expectation, broken alone, fails the gate with exit code 3; and the traps.

Each case takes a table's clean rows of day 1 from the session lake (which passed every
check when day 1 ran), changes them so that exactly one check breaks, and validates them
with the real suite, GX adapter and gate decision. It asserts that the broken check is the
only failed blocking check and that the gate raises QualityGateFailed (exit code 3).
``test_every_blocking_expectation_has_a_breaking_case`` keeps the case list complete.
Whole runs that exit 3 with core unchanged are in test_gate_runs.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from pipeline.errors import ExitCode, QualityGateFailed
from tests.quality.conftest import D1

INDEX = "__i"
Mutation = Callable[[DataFrame], DataFrame]


@dataclass(frozen=True)
class Case:
    table: str
    check: str
    mutate: Mutation | None = None
    overrides: tuple[str, ...] = ()
    refs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.table}:{self.check}"


# ------------------------------------------------------------------ frame mutations


def _cast(frame: DataFrame, column: str, value) -> Column:
    return F.lit(value).cast(frame.schema[column].dataType)


def at(column: str, value, rows: tuple[int, ...] = (0,)) -> Mutation:
    """``column`` set to ``value`` on the given row indexes."""
    return lambda f: f.withColumn(
        column,
        F.when(F.col(INDEX).isin(list(rows)), _cast(f, column, value)).otherwise(F.col(column)),
    )


def share(column: str, value, every: int) -> Mutation:
    """``column`` set to ``value`` on every ``every``-th row."""
    return lambda f: f.withColumn(
        column, F.when(F.col(INDEX) % every == 0, _cast(f, column, value)).otherwise(F.col(column))
    )


def null(column: str) -> Mutation:
    return at(column, None)


def bad_check_digits(every: int) -> Mutation:
    """Every ``every``-th VIN with a wrong 9th character (still a well-formed VIN)."""

    def mutate(f: DataFrame) -> DataFrame:
        wrong = F.when(F.substring("vin", 9, 1) == "0", "1").otherwise("0")
        corrupted = F.concat(F.substring("vin", 1, 8), wrong, F.substring("vin", 10, 8))
        return f.withColumn(
            "vin", F.when(F.col(INDEX) % every == 0, corrupted).otherwise(F.col("vin"))
        )

    return mutate


def keep_every(n: int) -> Mutation:
    """Only every ``n``-th row."""
    return lambda f: f.where(F.col(INDEX) % n == 0)


def drop_row(i: int) -> Mutation:
    return lambda f: f.where(F.col(INDEX) != i)


def extra_column(f: DataFrame) -> DataFrame:
    return f.withColumn("unexpected_column", F.lit(1))


def retype(column: str, dtype: str) -> Mutation:
    return lambda f: f.withColumn(column, F.col(column).cast(dtype))


def duplicate_first(f: DataFrame) -> DataFrame:
    """Row 1 gets row 0's vehicle_id: a duplicate key with the row count unchanged."""
    first = f.where(F.col(INDEX) == 0).collect()[0]["vehicle_id"]
    return at("vehicle_id", first, rows=(1,))(f)


def floor_above(table: str) -> tuple[str, ...]:
    return (f"quality.row_count_floors.{table}=100000",)


def common_cases(table: str, key: str, columns_check: str) -> list[Case]:
    """The shared checks, broken on ``table`` (one retyped to another type)."""
    cases = [
        Case(table, "row_count_floor", overrides=floor_above(table)),
        Case(table, columns_check, extra_column),
    ]
    if table.startswith("bronze."):
        cases += [
            Case(table, "row_count_not_collapsed", keep_every(3)),
            Case(table, "types_match_contract", retype(key, "string")),
        ]
    return cases


# --------------------------------------------------------------------------- cases

FIVE_DAYS_LATE = datetime(D1.year, D1.month, D1.day) + timedelta(days=5)
BRONZE_KEYS = {
    "make": ["make_id"],
    "make_model": ["model_id"],
    "vehicle_trim": ["trim_id"],
    "bodystyle": ["bodystyle_id"],
    "zip_code": ["zip_code_id", "zip_code"],
    "dma_zip": ["zip_code_id", "dma_code"],
    "customer": ["customer_id"],
    "dealer_review": ["review_id", "customer_id"],
    "dealer_review_rollup": ["customer_id"],
    "vehicle_review_rollup": ["make_id", "model_id", "year"],
    "dealer_sales_locations": ["customer_id", "location_id"],
    "activity_customer": ["customer_id"],
    "vehicle_daily": ["vehicle_id"],
    "stock_type": ["stock_type_id", "stock_type_name"],
    "model_year": ["model_year_id", "year"],
    "imp_daily": ["event_date", "vehicle_id", "page_type", "impressions"],
    "dw_lead": ["lead_id", "vehicle_id", "lead_ts", "status", "lead_type"],
    "vehicle": ["vehicle_id", "updated_at", "status"],
}
# Representatives of the shared bronze block: a large fact, a daily fact and a dimension.
COMMON_BRONZE = {
    "bronze.vehicle": "vehicle_id",
    "bronze.imp_daily": "vehicle_id",
    "bronze.make": "make_id",
}

CASES: list[Case] = [
    *[
        Case(f"bronze.{t}", f"{k}_not_null", null(k))
        for t, keys in BRONZE_KEYS.items()
        for k in keys
    ],
    *[
        c
        for t, key in COMMON_BRONZE.items()
        for c in common_cases(t, key, "columns_match_contract")
    ],
    Case("bronze.vehicle", "status_in_set", at("status", "bogus")),
    Case("bronze.vehicle", "vin_format", at("vin", "ABC123", rows=(1,))),
    Case("bronze.vehicle", "vin_check_digit_block", bad_check_digits(4)),
    Case("bronze.vehicle", "price_in_range", share("price", 1, 10)),
    Case("bronze.vehicle", "mileage_in_range", share("mileage", 5_000_000, 10)),
    Case("bronze.vehicle", "updated_at_in_range", at("updated_at", FIVE_DAYS_LATE)),
    Case("bronze.vehicle", "listed_at_in_range", at("listed_at", datetime(1980, 1, 1))),
    Case("bronze.imp_daily", "page_type_in_set", at("page_type", "popup")),
    Case("bronze.imp_daily", "impressions_not_negative", at("impressions", -1)),
    Case("bronze.imp_daily", "event_date_is_filedate", at("event_date", D1 - timedelta(days=1))),
    Case("bronze.dw_lead", "lead_type_in_set", at("lead_type", "fax")),
    Case("bronze.dw_lead", "status_in_set", at("status", "bogus")),
    Case("bronze.dw_lead", "lead_ts_in_range", at("lead_ts", datetime(2025, 12, 1))),
    Case("bronze.vehicle_daily", "deal_badge_in_set", at("deal_badge", "superb")),
    Case("bronze.stock_type", "stock_type_name_in_set", at("stock_type_name", "lease")),
    Case("bronze.model_year", "year_in_range", at("year", 1950)),
    *[
        c
        for t in ("silver.listing_snapshot", "silver.listing_activity", "silver.listing_features")
        for c in common_cases(t, "vehicle_id", "columns_match_spec")
    ],
    *[
        Case(t, check, mutation)
        for t in (
            "silver.listing_snapshot",
            "silver.listing_activity",
            "silver.listing_features",
            "gold.inventory_activity",
        )
        for check, mutation in (
            ("vehicle_id_not_null", null("vehicle_id")),
            ("one_row_per_vehicle", duplicate_first),
        )
    ],
    Case("silver.listing_activity", "total_impressions_not_null", null("total_impressions")),
    Case("silver.listing_activity", "total_impressions_not_negative", at("total_impressions", -3)),
    Case("silver.listing_activity", "leads_total_not_null", null("leads_total")),
    Case("silver.listing_activity", "leads_total_not_negative", at("leads_total", -1)),
    Case("silver.listing_features", "make_joined", null("make_name")),
    Case("silver.listing_features", "model_joined", null("model_name")),
    Case("silver.listing_features", "model_year_joined", null("model_year")),
    Case("silver.listing_features", "stock_type_joined", null("stock_type_name")),
    Case("silver.listing_features", "dma_miss_rate", share("dma_code", None, 3)),
    Case("silver.listing_features", "dealer_miss_rate", share("dealer_name", None, 5)),
    Case("silver.listing_features", "active_count_vs_previous_day", keep_every(2)),
    *common_cases("gold.inventory_activity", "vehicle_id", "columns_match_spec"),
    Case("gold.inventory_activity", "rows_equal_silver_active", drop_row(0)),
    Case("gold.inventory_activity", "make_not_null", null("make_name")),
    Case("gold.inventory_activity", "model_not_null", null("model_name")),
    Case("gold.inventory_activity", "model_year_not_null", null("model_year")),
    Case("gold.inventory_activity", "total_impressions_not_null", null("total_impressions")),
    Case("gold.inventory_activity", "total_impressions_not_negative", at("total_impressions", -5)),
    Case("gold.inventory_activity", "leads_total_not_null", null("leads_total")),
    Case("gold.inventory_activity", "leads_total_not_negative", at("leads_total", -1)),
    *common_cases("gold.segment_activity", "make_name", "columns_match_spec"),
    Case("gold.segment_activity", "mart_totals_match_inventory", at("leads_total", 999)),
]
# Shared bronze checks proven on the representatives apply to every bronze suite through
# the same include (asserted in test_suite.py).
SHARED_BRONZE = {"row_count_floor", "row_count_not_collapsed", "columns_match_contract"}
SHARED_BRONZE |= {"types_match_contract"}


# ------------------------------------------------------------------------ fixtures


class StaticRefs:
    """References with fixed values: the clean day's counts as history and yesterday."""

    def __init__(self, counts: dict[str, int], totals: dict[str, float]):
        self._counts = counts
        self._totals = totals

    def history_counts(self, table: str, start: date, end: date) -> dict[date, int]:
        return {end: self._counts[table]} if table in self._counts else {}

    def counts(self, table: str, start: date, end: date) -> dict[date, int]:
        return {start: self._counts[table]} if start == end and table in self._counts else {}

    def quarantine_counts(self, table: str, day: date) -> dict[str, int]:
        return {}

    def inventory_totals(self, day: date) -> dict[str, float]:
        return dict(self._totals)


@pytest.fixture(scope="module")
def clean(quality_lake):
    """Day 1's rows of every validated table, cached, with a row index ``__i``."""
    from quality.metrics import inventory_totals_columns
    from quality.suite import LAYERS, load_suites

    lake = quality_lake.lake()
    config = quality_lake.config()
    frames, counts = {}, {}
    for layer in LAYERS:
        for suite in load_suites(config, layer):
            frame = lake.read_dates(suite.spec, [D1])
            order = Window.orderBy(*frame.columns[:3])
            frame = frame.withColumn(INDEX, F.row_number().over(order) - 1).cache()
            frames[suite.table] = frame
            counts[suite.table] = frame.count()
    inventory = frames["gold.inventory_activity"]
    totals = inventory.agg(*inventory_totals_columns()).collect()[0].asDict()
    yield frames, StaticRefs(counts, {k: float(v or 0) for k, v in totals.items()})
    for frame in frames.values():
        frame.unpersist()


def validate(quality_lake, clean, table: str, mutate: Mutation | None, overrides=()):
    from quality.suite import LAYERS, load_suites
    from quality.validation import validate_table

    frames, refs = clean
    config = quality_lake.config(*overrides)
    suite = next(s for layer in LAYERS for s in load_suites(config, layer) if s.table == table)
    frame = mutate(frames[table]) if mutate else frames[table]
    return validate_table(suite, frame.drop(INDEX), config=config, day=D1, refs=refs)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_breaking_one_blocking_expectation_fails_the_gate(quality_lake, clean, case):
    from quality.gate import GateOutcome, enforce

    results = validate(quality_lake, clean, case.table, case.mutate, case.overrides)
    failed = {r.expectation for r in results if r.blocks}
    assert failed == {case.check}, [(r.expectation, r.observed_value) for r in results if r.blocks]
    broken = next(r for r in results if r.expectation == case.check)
    assert broken.severity == "blocking" and broken.status == "failed"
    with pytest.raises(QualityGateFailed) as error:
        enforce(GateOutcome(broken.layer, [D1], results))
    assert error.value.exit_code == ExitCode.QUALITY_FAILED
    assert case.check in str(error.value)


def test_every_blocking_expectation_has_a_breaking_case(quality_lake):
    from quality.suite import LAYERS, load_suites

    config = quality_lake.config()
    blocking = {
        (s.table, c.id)
        for layer in LAYERS
        for s in load_suites(config, layer)
        for c in s.checks
        if c.severity == "blocking"
    }
    covered = {(c.table, c.check) for c in CASES}
    covered |= {(t, check) for t, check in blocking if check in SHARED_BRONZE}
    assert blocking - covered == set()
    assert len(blocking) > 100


def test_clean_rows_pass_every_blocking_check(quality_lake, clean):
    for table in ("bronze.vehicle", "silver.listing_features", "gold.segment_activity"):
        results = validate(quality_lake, clean, table, None)
        assert [r.expectation for r in results if r.blocks] == [], table
        assert all(r.run_id is None for r in results)


def test_empty_batch_fails_instead_of_passing_vacuously(quality_lake, clean):
    from quality import gx_adapter
    from quality.suite import load_suites, resolve

    def empty(f: DataFrame) -> DataFrame:
        return f.limit(0)

    results = {r.expectation: r for r in validate(quality_lake, clean, "bronze.vehicle", empty)}
    # GX alone passes a map expectation on no rows ...
    config = quality_lake.config()
    suite = next(s for s in load_suites(config, "bronze") if s.table == "bronze.vehicle")
    frames, _ = clean
    nothing = frames["bronze.vehicle"].limit(0).drop(INDEX)
    gx = {r.id: r for r in gx_adapter.run_spark_checks(resolve(suite, config, D1), nothing)}
    assert gx["vin_format"].success and gx["status_in_set"].success
    # ... the gate does not.
    assert not results["vin_format"].success and results["vin_format"].details["empty_batch"]
    assert results["row_count_floor"].observed_value == "empty batch (0 rows)"
    assert results["columns_match_contract"].success  # the schema is still checked as such
    assert {"row_count_floor", "vehicle_id_not_null", "vin_format"} <= {
        k for k, r in results.items() if r.blocks
    }


def test_a_check_without_a_result_fails_closed(quality_lake, clean, monkeypatch):
    from quality import gx_adapter

    real = gx_adapter.run_spark_checks

    def lossy(suite, batch):
        return [r for r in real(suite, batch) if r.id not in ("status_in_set", "vin_null_rate")]

    monkeypatch.setattr(gx_adapter, "run_spark_checks", lossy)
    results = {r.expectation: r for r in validate(quality_lake, clean, "bronze.vehicle", None)}
    for check in ("status_in_set", "vin_null_rate"):  # blocking and warning: both block
        assert not results[check].success and results[check].details["missing"]
        assert results[check].blocks
    assert sum(r.blocks for r in results.values()) == 2


def test_duplicate_results_for_one_check_fail_it(quality_lake, clean, monkeypatch):
    from quality import gx_adapter

    real = gx_adapter.run_spark_checks

    def doubled(suite, batch):
        out = real(suite, batch)
        return out + [r for r in out if r.id == "price_in_range"]

    monkeypatch.setattr(gx_adapter, "run_spark_checks", doubled)
    results = {r.expectation: r for r in validate(quality_lake, clean, "bronze.vehicle", None)}
    assert results["price_in_range"].blocks and results["price_in_range"].details["duplicate"]


def test_a_metric_that_raises_fails_its_check(quality_lake, clean, monkeypatch):
    from quality import metrics

    def broken(m):
        raise RuntimeError("history unavailable")

    monkeypatch.setitem(metrics.METRICS, "row_count_vs_median", metrics.Metric(broken))
    results = {r.expectation: r for r in validate(quality_lake, clean, "bronze.make", None)}
    assert results["row_count_not_collapsed"].blocks
    assert "history unavailable" in results["row_count_not_collapsed"].details["metric"]["error"]


def test_validation_runs_on_a_persisted_batch(quality_lake, clean, monkeypatch):
    from quality import gx_adapter

    seen = []
    real = gx_adapter.run_spark_checks

    def spy(suite, batch):
        seen.append((batch.is_cached, batch.storageLevel.useMemory, batch))
        return real(suite, batch)

    monkeypatch.setattr(gx_adapter, "run_spark_checks", spy)
    validate(quality_lake, clean, "bronze.vehicle", None)
    ((cached, memory, batch),) = seen
    assert cached and memory
    assert not batch.is_cached  # released after validation


def test_skipped_band_is_recorded_as_skipped_not_failed(quality_lake, clean):
    from quality.suite import load_suites
    from quality.validation import validate_table

    frames, _ = clean
    config = quality_lake.config()
    suite = next(s for s in load_suites(config, "bronze") if s.table == "bronze.make")
    no_history = StaticRefs({}, {})
    results = validate_table(
        suite, frames["bronze.make"].drop(INDEX), config=config, day=D1, refs=no_history
    )
    band = next(r for r in results if r.expectation == "row_count_not_collapsed")
    assert band.success and band.status == "skipped"
    assert band.observed_value == "skipped: 0 day(s) of history"
