"""Reruns out of order, late leads and backfills end up equal to a sequential build.

Eight tiny raw days (D-3, D..D+6; 2-4 listings, a few impressions and leads) written with
tests/raw_factory.py. The reference is a from-scratch build of those dates one by one in
date order (``Runner.run_date``, no ledger).

The scenario lake follows the issue: run D..D+6 in order, then D-3 (new: every later date
is recomputed), then D+2 after a raw file was added (D+3..D+6 recomputed), then D again
(done, skipped). Every table must equal the reference. The inputs are built so that each
rerun matters: listing 4 is active on D-3 and D+1 only (its first-seen date moves when D-3
arrives), listing 1's price drops on D+2 only with the added file (price-drop counts of
later dates change), D+4's 7-day price change reads D-3, and lead L1 of D+1 is delivered
two days late (in D+3's partition) while lead L2 is delivered twice.

A backfill of the same range on a copy of the raw input, with one unreadable file, stops
at that date with exit code 1, resumes once the file is fixed, and equals the reference.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from pipeline.config import load_config
from pipeline.errors import ContractError, ExitCode
from pipeline.ledger import Ledger
from pipeline.logs import configure_logging
from pipeline.orchestrator import COMPUTED, SKIPPED_DATE, Orchestrator
from pipeline.runner import Gate, RunContext, Runner
from tables import specs
from tables.io import Lake
from tests.jobs.lake_compare import assert_same_lakes
from tests.raw_factory import ts, vehicle, write_day, write_raw

D = date(2026, 3, 10)
DATES = [D - timedelta(days=3), *(D + timedelta(days=n) for n in range(7))]
D2 = D + timedelta(days=2)

PRICES = dict(zip(range(-3, 7), ("21000", "", "", "20500", "20500", "20000", "19500", "19500",
                                 "19000", "19000"), strict=True))  # fmt: skip


@pytest.fixture(autouse=True)
def _logs_to_the_current_stderr():
    """Re-bind structlog to this test's stderr (a CLI call binds it to a captured stream)."""
    configure_logging(level="WARNING")


def _offset(day: date) -> int:
    return (day - D).days


def _vehicles(day: date) -> list[dict]:
    n = _offset(day)
    rows = [vehicle(1, day, price=Decimal(PRICES[n]), vin="5YJ3E1EA7KF000001")]
    if n >= 0:
        rows.append(vehicle(2, day, price=Decimal("31000"), customer_id=1))
    if n >= 3:
        rows.append(vehicle(3, day, price=Decimal("15000"), zip_code="59001"))
    if n in (-3, 1):
        rows.append(vehicle(4, day, price=Decimal("9000")))
    return rows


def _impressions(day: date) -> list[dict]:
    return [
        {"event_date": day, "vehicle_id": 1, "page_type": "srp", "position": 1,
         "device": "desktop", "impressions": 100 + _offset(day)},
        {"event_date": day, "vehicle_id": 1, "page_type": "vdp", "position": None,
         "device": "mobile", "impressions": 10},
        {"event_date": day, "vehicle_id": 2, "page_type": "featured", "position": 2,
         "device": "mobile", "impressions": 50},
    ]  # fmt: skip


def _lead(lead_id: str, vehicle_id: int, lead_day: date, lead_type: str, status="valid"):
    return {
        "lead_id": lead_id,
        "vehicle_id": vehicle_id,
        "customer_id": 1,
        "lead_type": lead_type,
        "lead_ts": ts(lead_day, 15),
        "status": status,
    }


def _leads(day: date) -> list[dict]:
    d1 = D + timedelta(days=1)
    by_offset = {
        0: [_lead("L0", 1, D, "email")],
        1: [_lead("L2", 1, d1, "phone")],
        2: [_lead("L2", 1, d1, "phone"), _lead("L3", 2, D2, "chat")],  # L2 re-delivered
        3: [_lead("L1", 1, d1, "email")],  # lead of D+1, two days late
        4: [_lead("L4", 3, day, "text", status="spam")],
    }
    return by_offset.get(_offset(day), [])


def write_inputs(raw: Path) -> None:
    """The raw days as first delivered (D+2 without its second vehicle file)."""
    for day in DATES:
        write_day(raw, day, vehicles=_vehicles(day), impressions=_impressions(day),
                  leads=_leads(day))  # fmt: skip


def deliver_second_d2_file(raw: Path) -> None:
    """New raw file for D+2: listing 3 appears a day early; listing 1 re-priced up (its
    D+2 drop becomes a rise, so later price-drop counts and changes shift)."""
    rows = [
        vehicle(3, D2, price=Decimal("15000"), zip_code="59001"),
        vehicle(1, D2, price=Decimal("21000"), vin="5YJ3E1EA7KF000001", updated_at=ts(D2, 18)),
    ]
    write_raw(raw, "vehicle", D2, rows, name="part-00001.parquet")


def config_for(root: Path, raw: Path, *extra: str):
    lake = root / "lake"
    return load_config(
        "local",
        [
            f"paths.raw_root={raw}",
            f"paths.lake_root={lake}",
            f"paths.landing_root={lake / 'landing'}",
            f"paths.core_root={lake / 'core'}",
            f"paths.reports_root={root / 'reports'}",
            f"paths.lock_root={lake / '_locks'}",
            "spark.shuffle_partitions=2",
            "run.retries=0",
            "quality.enabled=false",
            *extra,
        ],
    )


def orchestrator(spark, config, command: str = "run") -> Orchestrator:
    ctx = RunContext(spark=spark, config=config, command=command)
    return Orchestrator(ctx, ledger=Ledger(spark, config), gate=Gate())


def outcomes(summary) -> list[tuple[date, str, bool]]:
    return [(o.day, o.status, o.cascade) for o in summary.outcomes]


@pytest.fixture(scope="module")
def raw_inputs(tmp_path_factory) -> Path:
    """Final raw inputs (with D+2's second file), for the reference and the backfill."""
    raw = tmp_path_factory.mktemp("raw-final")
    write_inputs(raw)
    deliver_second_d2_file(raw)
    return raw


@pytest.fixture(scope="module")
def reference(spark, raw_inputs, tmp_path_factory):
    """From-scratch sequential build of every date, one by one, in date order."""
    config = config_for(tmp_path_factory.mktemp("reference"), raw_inputs)
    for day in DATES:
        Runner(RunContext(spark=spark, config=config), gate=Gate()).run_date(day)
    return config


@pytest.fixture(scope="module")
def scenario(spark, tmp_path_factory):
    """D..D+6 in order, then D-3 (new), D+2 with a new raw file, then D again."""
    root = tmp_path_factory.mktemp("scenario")
    write_inputs(root / "raw")
    config = config_for(root, root / "raw")
    steps, leads = {}, {}
    for day in DATES[1:]:
        steps[day] = orchestrator(spark, config).run(day)
    leads["in order"] = d1_leads(spark, config)
    steps["d-3"] = orchestrator(spark, config).run(DATES[0])
    leads["d-3"] = d1_leads(spark, config)
    deliver_second_d2_file(root / "raw")
    steps["d+2"] = orchestrator(spark, config).run(D2)  # re-merges D+1 and recomputes D+3
    leads["d+2"] = d1_leads(spark, config)
    steps["d"] = orchestrator(spark, config).run(D)
    return config, steps, leads


def d1_leads(spark, config) -> int:
    """Published leads of listing 1 on D+1 (two leads; one arrived two days late)."""
    gold = Lake(spark, config.paths).read(specs.CORE["inventory_activity"])
    day = D + timedelta(days=1)
    row = gold.where((F.col("filedate") == day) & (F.col("vehicle_id") == 1)).first()
    return row["leads_total"]


def test_out_of_order_reruns_equal_a_sequential_build(spark, scenario, reference):
    config, steps, _ = scenario
    assert all(s.error is None for s in steps.values())
    assert_same_lakes(spark, config, reference)


def test_reruns_recompute_later_dates_in_order_and_skip_done_dates(scenario):
    _, steps, _ = scenario
    later = DATES[1:]
    assert outcomes(steps["d-3"]) == [(DATES[0], COMPUTED, False)] + [
        (d, COMPUTED, True) for d in later
    ]
    after_d2 = [d for d in later if d > D2]
    assert outcomes(steps["d+2"]) == [(D2, COMPUTED, False)] + [
        (d, COMPUTED, True) for d in after_d2
    ]
    # D again: its inputs and the dates it reads are unchanged -> skipped, nothing recomputed
    assert outcomes(steps["d"])[0] == (D, SKIPPED_DATE, False)
    assert all(status == SKIPPED_DATE for _, status, _ in outcomes(steps["d"]))


def test_the_rerun_changes_reach_later_dates(spark, scenario):
    config, _, _ = scenario
    gold = Lake(spark, config.paths).read(specs.CORE["inventory_activity"])

    def value(vehicle_id: int, day: date, column: str):
        rows = gold.where((F.col("vehicle_id") == vehicle_id) & (F.col("filedate") == day))
        return rows.select(column).first()[0]

    d1, d4 = D + timedelta(days=1), D + timedelta(days=4)
    assert value(4, d1, "first_seen_date") == DATES[0]  # from D-3, computed after D+1
    assert value(3, D + timedelta(days=3), "first_seen_date") == D2  # the added D+2 file
    # drops on D, D+3 (21000 -> 19500 with the new file) and D+5; 4 without the file
    assert value(1, D + timedelta(days=6), "price_drop_count") == 3
    assert value(1, D + timedelta(days=3), "price_change_1d") == Decimal("-1500")
    assert value(1, d4, "price_change_7d") == Decimal("-1500")  # D+4 vs D-3


def test_a_late_lead_counts_on_its_own_date_once(spark, scenario, reference):
    for config in (scenario[0], reference):
        gold = Lake(spark, config.paths).read(specs.CORE["inventory_activity"])
        leads = {
            (r["filedate"], r["vehicle_id"]): (r["leads_total"], r["leads_email"], r["leads_phone"])
            for r in gold.select(
                "filedate", "vehicle_id", "leads_total", "leads_email", "leads_phone"
            ).collect()
        }
        d1 = D + timedelta(days=1)
        assert leads[(d1, 1)] == (2, 1, 1)  # L2 once (delivered twice) + L1 (two days late)
        assert leads[(D, 1)] == (1, 1, 0)
        assert leads[(D2, 2)][0] == 1
        assert leads[(D + timedelta(days=4), 3)][0] in (0, None)  # spam


def test_reruns_that_re_merge_a_late_lead_never_double_count(scenario):
    *_, leads = scenario
    # D+1 is re-merged by the runs of D+1, D+2 and D+3 every time they are recomputed
    assert leads == {"in order": 2, "d-3": 2, "d+2": 2}


def test_backfill_stops_at_a_failed_date_resumes_and_equals_daily_runs(
    spark, raw_inputs, reference, tmp_path
):
    raw = tmp_path / "raw"
    shutil.copytree(raw_inputs, raw)
    broken = raw / "vehicle" / f"filedate={D.isoformat()}" / "part-00009.parquet"
    broken.write_bytes(b"not parquet")
    config = config_for(tmp_path, raw)

    # the raw days have a gap (D-2, D-1 are never delivered): D-3 first, then D..D+6
    before = orchestrator(spark, config, "backfill").backfill(DATES[0], DATES[0])
    assert before.error is None and outcomes(before) == [(DATES[0], COMPUTED, False)]

    first = orchestrator(spark, config, "backfill").backfill(D, DATES[-1])
    assert isinstance(first.error, ContractError) and first.exit_code == ExitCode.FAILURE
    assert first.failed_day == D
    assert outcomes(first) == [(D, "failed", False)]
    assert Ledger(spark, config).view().done_dates(DATES[0], DATES[-1]) == {DATES[0]}

    broken.unlink()
    second = orchestrator(spark, config, "backfill").backfill(D, DATES[-1], batch_days=7)
    assert second.error is None
    assert outcomes(second) == [(d, COMPUTED, False) for d in DATES[1:]]
    again = orchestrator(spark, config, "backfill").backfill(D, DATES[-1])
    assert outcomes(again) == [(d, SKIPPED_DATE, False) for d in DATES[1:]]
    assert_same_lakes(spark, config, reference)
    view = Ledger(spark, config).view()
    assert view.done_dates(DATES[0], DATES[-1]) == set(DATES)
    versions = view.latest_compute(D + timedelta(days=3)).stages["silver"]["output_versions"]
    assert "silver.listing_state" in versions  # filled in after the batch was written
