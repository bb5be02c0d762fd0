"""The run ledger: done / stale / killed-run logic on synthetic rows, and the Delta round trip."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline import inputs
from pipeline.commands.status import build_report, render
from pipeline.inputs import DateInputs
from pipeline.ledger import (
    FAILED,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    WAITING,
    Ledger,
    LedgerView,
    done_dates,
    latest_rows,
    ledger_frame,
    read_rows,
)
from pipeline.runner import STAGES, RunContext
from tables import specs
from tables.io import Lake

D = date(2026, 1, 10)
T0 = datetime(2026, 1, 11, 6, 0, tzinfo=UTC)


def row(run_id, day, stage, status, *, minute=0, deps=None, command="run", error=None, seq=1):
    when = T0 + timedelta(minutes=minute)
    return {
        "run_id": run_id,
        "command": command,
        "filedate": day,
        "stage": stage,
        "status": status,
        "started_at": when,
        "ended_at": None if status == RUNNING else when,
        "recorded_at": when,
        "seq": seq,
        "input_fingerprint": "f1",
        "depends_on": None if deps is None else json.dumps(deps),
        "error": error,
        "rows_in": None,
        "rows_out": None,
        "duration_s": None,
        "gate_verdict": None,
    }


def complete(run_id, day, *, minute=0, **kw):
    return [row(run_id, day, s, SUCCEEDED, minute=minute, **kw) for s in STAGES]


def test_done_needs_a_completed_latest_attempt_with_the_same_fingerprint():
    view = LedgerView(complete("r1", D))
    assert view.is_done(D, "f1")
    assert not view.is_done(D, "f2")  # new raw files, code or config
    assert not view.is_done(D + timedelta(days=1), "f1")
    assert view.completion(D) == "r1"


def test_a_killed_later_attempt_makes_the_date_not_done():
    rows = [*complete("r1", D), row("r2", D, "ingest", RUNNING, minute=10)]
    view = LedgerView(rows)
    assert not view.is_done(D, "f1")
    assert view.completion(D) == "r1"  # the last run that completed it
    assert view.done_dates(D, D) == set()


def test_a_failed_later_attempt_makes_the_date_not_done():
    rows = [
        *complete("r1", D),
        row("r2", D, "ingest", SUCCEEDED, minute=10),
        row("r2", D, "silver", FAILED, minute=11, error="boom"),
    ]
    view = LedgerView(rows)
    assert not view.is_done(D, "f1")
    assert view.latest_compute(D).errors() == {"silver": "boom"}


def test_skipped_and_waiting_attempts_do_not_change_done():
    rows = complete("r1", D)
    rows += [row("r2", D, s, SKIPPED, minute=5) for s in STAGES]
    rows += [row("r3", D, "ingest", WAITING, minute=9, error="input not ready")]
    rows += [row("r4", D, "publish", SUCCEEDED, minute=12, command="publish")]
    view = LedgerView(rows)
    assert view.is_done(D, "f1")
    assert [a.kind for a in view.attempts(D)] == ["compute", "skipped", "waiting", "publish"]


def test_a_date_is_stale_when_a_date_it_read_was_recomputed():
    later = D + timedelta(days=1)
    rows = complete("r1", D) + complete("r1", later, deps={D.isoformat(): "r1"})
    assert LedgerView(rows).done_dates(D, later) == {D, later}
    rows += complete("r2", D, minute=30)  # D rerun by another run
    view = LedgerView(rows)
    assert view.is_stale(later) and not view.is_stale(D)
    assert view.done_dates(D, later) == {D}


def test_latest_row_per_key_wins():
    rows = [
        row("r1", D, "ingest", RUNNING, minute=0, seq=1),
        row("r1", D, "ingest", SUCCEEDED, minute=1, seq=2),
        row("r1", D, "silver", FAILED, minute=2, seq=3),
        row("r1", D, "silver", RUNNING, minute=2, seq=1),  # same time, earlier seq
    ]
    latest = {r["stage"]: r["status"] for r in latest_rows(rows)}
    assert latest == {"ingest": SUCCEEDED, "silver": FAILED}


def test_fingerprint_changes_with_raw_files_code_config_and_dependencies():
    base = DateInputs(D, (("vehicle/a.parquet", 10, 1),), (), {"2026-01-09": "r1"}, "c1", "h1")
    variants = [
        DateInputs(D, (("vehicle/a.parquet", 10, 2),), (), base.depends_on, "c1", "h1"),
        DateInputs(D, (*base.files, ("vehicle/b", 1, 1)), (), base.depends_on, "c1", "h1"),
        DateInputs(D, base.files, (), {"2026-01-09": "r2"}, "c1", "h1"),
        DateInputs(D, base.files, (), base.depends_on, "c2", "h1"),
        DateInputs(D, base.files, (), base.depends_on, "c1", "h2"),
    ]
    assert len({base.fingerprint, *(v.fingerprint for v in variants)}) == 6


def test_dependency_dates_cover_state_price_offsets_and_lookback(lake_config):
    config = lake_config()
    processed = [D - timedelta(days=n) for n in (30, 12)]
    deps = inputs.dependency_dates(D, processed, config)
    # latest processed date before D (state), D-1 and D-7 (price changes), D-1..D-2 (lookback)
    assert deps == sorted(D - timedelta(days=n) for n in (12, 7, 2, 1))


def test_config_hash_ignores_operational_settings(lake_config):
    base = inputs.config_hash(lake_config())
    assert inputs.config_hash(lake_config("run.lock_timeout_seconds=1")) == base
    assert inputs.config_hash(lake_config("spark.shuffle_partitions=3")) == base
    assert inputs.config_hash(lake_config("rules.lookback_days=3")) != base


def test_status_report_shows_states_and_last_errors():
    d2, d3, d4 = (D + timedelta(days=n) for n in (1, 2, 3))
    rows = complete("r1", D)
    rows += [row("r2", d2, "ingest", SUCCEEDED), row("r2", d2, "silver", FAILED, error="boom\nx")]
    rows += [row("r3", d3, "ingest", RUNNING)]
    rows += [row("r4", d4, "ingest", WAITING, error="input not ready for d4: dma_zip")]
    holder = {"run_id": "r9", "command": "run", "host": "h", "pid": 1, "since": "t"}
    report = build_report(LedgerView(rows), holder)
    states = {e["date"]: e["state"] for e in report["dates"]}
    assert states == {
        D.isoformat(): "done",
        d2.isoformat(): "failed",
        d3.isoformat(): "interrupted",  # running rows, but r3 does not hold the lock
        d4.isoformat(): "waiting for input",
    }
    text = render(report)
    assert f"{d2} silver: boom" in text and "dma_zip" in text and "lock held by run r9" in text
    assert text.splitlines()[1].split()[: len(STAGES) + 3] == ["date", "state", *STAGES, "run"]


class _Ctx:
    def __init__(self, run_id: str, command: str = "run"):
        self.run_id, self.command = run_id, command

    def clock(self):
        return datetime.now(UTC).replace(tzinfo=None)


def test_ledger_round_trip_on_delta(spark, lake_config):
    config = lake_config()
    ledger = Ledger(spark, config)
    day_inputs = DateInputs(D, (("vehicle/p.parquet", 5, 7),), (), {}, "c1", "h1")
    ctx = _Ctx("run-a")
    ledger.begin(ctx.run_id, day_inputs)
    ledger.record(ctx, day=D, stage="ingest", status=RUNNING)
    ledger.flush()
    for stage in STAGES:
        ledger.record(
            ctx,
            day=D,
            stage=stage,
            status=SUCCEEDED,
            rows_in=3,
            rows_out=2,
            input_versions={"bronze.vehicle": 1},
            output_versions={"x": 2},
            details={"verdict": "passed"} if stage.startswith("gate") else None,
        )
    ledger.flush()

    stored = Lake(spark, config.paths).read(specs.RUN_LEDGER)
    assert stored.count() == len(STAGES) + 1  # appends: running + final rows
    rows = {r["stage"]: r for r in read_rows(spark, Lake(spark, config.paths))}
    assert set(rows) == set(STAGES)
    ingest = rows["ingest"]
    assert ingest["status"] == SUCCEEDED
    assert ingest["raw_manifest"] == '[["vehicle/p.parquet", 5, 7]]'
    assert ingest["input_fingerprint"] == day_inputs.fingerprint
    assert (ingest["code_version"], ingest["config_hash"]) == ("c1", "h1")
    assert rows["gate_gold"]["gate_verdict"] == "passed"
    assert rows["silver"]["input_versions"] == '{"bronze.vehicle": 1}'
    assert ledger_frame(spark, config).count() == len(STAGES)
    assert done_dates(config, D, D, spark=spark) == {D}
    assert done_dates(spark, config, D - timedelta(days=1), D + timedelta(days=1)) == {D}

    assert Ledger(spark, config).compact() == len(STAGES)
    assert Lake(spark, config.paths).read(specs.RUN_LEDGER).count() == len(STAGES)


def test_runner_context_clock_is_utc(spark, lake_config):
    ctx = RunContext(spark=spark, config=lake_config())
    assert abs((ctx.clock() - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) < 5


@pytest.mark.parametrize("version", [inputs.code_version()])
def test_code_version_names_package_and_source(version):
    name, _, digest = version.partition("+")
    assert name and len(digest) == 12
