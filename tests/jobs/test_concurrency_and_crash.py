"""Real OS processes through the CLI: two runs at once, and SIGKILL in the middle of writes.

- Two processes run the same date: while the first holds the lock, a second one with a
  short ``run.lock_timeout_seconds`` exits 5 naming the holder (host, pid, run id, since);
  a third one waits, gets the lock when the first is done and finds the date done. The
  published rows are exactly the raw listings, once each.
- A run killed with SIGKILL while Delta writes ``silver.listing_state``, and a forced rerun
  killed while it writes ``gold.inventory_activity``: afterwards no partial date is
  visible, the next (unforced) run takes the stale lock over, recomputes the date (the
  ledger does not count the killed run as done) and the lake equals an uninterrupted build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from pipeline.config import load_config
from pipeline.faults import FAULT_ENV, MARKER_ENV
from pipeline.ledger import Ledger
from pipeline.lock import LocalLockStore, read_state
from pipeline.logs import configure_logging
from pipeline.runner import Gate, RunContext, Runner
from tables import specs
from tables.io import Lake
from tests.jobs.lake_compare import assert_same_lakes, table_rows
from tests.raw_factory import vehicle, write_day

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
D0 = date(2026, 5, 4)
D1 = D0 + timedelta(days=1)
WAIT_SECONDS = 600


@pytest.fixture(autouse=True)
def _logs_to_the_current_stderr():
    """Re-bind structlog to this test's stderr (a CLI call binds it to a captured stream)."""
    configure_logging(level="WARNING")


def settings(root: Path, raw: Path) -> dict[str, str]:
    lake = root / "lake"
    return {
        "paths.raw_root": str(raw),
        "paths.lake_root": str(lake),
        "paths.landing_root": str(lake / "landing"),
        "paths.core_root": str(lake / "core"),
        "paths.reports_root": str(root / "reports"),
        "paths.lock_root": str(lake / "_locks"),
        "spark.shuffle_partitions": "2",
        "spark.driver_memory": "1g",
        "run.retries": "0",
        "run.lock_heartbeat_seconds": "2",
        "quality.enabled": "false",
    }


def config_for(root: Path, raw: Path):
    return load_config("local", [f"{k}={v}" for k, v in settings(root, raw).items()])


def start_cli(root: Path, raw: Path, *args: str, env: dict | None = None, **extra: str):
    """The real CLI in its own process group (so a kill reaches its JVM too)."""
    values = {**settings(root, raw), **extra}
    command = [sys.executable, "-m", "pipeline.cli", *args]
    for key, value in values.items():
        command += ["--set", f"{key}={value}"]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_until(predicate, what: str, process=None, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"process ended (exit {process.returncode}) before {what}:\n{err[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def kill_group(process) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def finish(process) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=WAIT_SECONDS)
    return process.returncode, out, err


def live_holder(store):
    state = read_state(store)
    return None if state.free else state.holder


def write_days(raw: Path) -> None:
    for day in (D0, D1):
        write_day(raw, day, vehicles=[vehicle(1, day), vehicle(2, day), vehicle(3, day)])


def test_two_processes_on_the_same_date(spark, tmp_path):
    raw = tmp_path / "raw"
    write_day(raw, D1, vehicles=[vehicle(1, D1), vehicle(2, D1), vehicle(3, D1)])
    store = LocalLockStore(str(tmp_path / "lake" / "_locks" / "local"))
    first = start_cli(tmp_path, raw, "run", "--date", str(D1))
    holder = wait_until(lambda: live_holder(store), "the lock", first)
    assert holder.pid == first.pid
    refused = start_cli(
        tmp_path, raw, "run", "--date", str(D1), **{"run.lock_timeout_seconds": "2"}
    )
    waiting = start_cli(tmp_path, raw, "run", "--date", str(D1))

    code, _, err = finish(refused)
    assert code == 5, err
    assert first.poll() is None, "the first run ended before the second was refused"
    for part in ("busy", holder.run_id, f"pid {first.pid}", f"host {holder.host}", "since "):
        assert part in err, err

    code, out, err = finish(first)
    assert code == 0, err
    assert f"{D1}: ok" in out
    code, out, err = finish(waiting)
    assert code == 0, err
    assert "lock busy; waiting" in err and f"{D1}: skipped - done" in out

    config = config_for(tmp_path, raw)
    core = Lake(spark, config.paths).read(specs.CORE["inventory_activity"])
    ids = [r[0] for r in core.where(F.col("filedate") == D1).select("vehicle_id").collect()]
    assert sorted(ids) == [1, 2, 3]  # nothing lost, nothing twice
    kinds = [a.kind for a in Ledger(spark, config).view().attempts(D1)]
    assert kinds == ["compute", "skipped"]  # the refused process recorded nothing
    assert read_state(store).free


def run_in_process(capsys, root: Path, raw: Path, *args: str) -> tuple[int, str, str]:
    """The CLI in this process (it reuses the test's Spark session)."""
    from pipeline.cli import main

    overrides = [a for k, v in settings(root, raw).items() for a in ("--set", f"{k}={v}")]
    code = main([*args, *overrides])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def kill_during_write(root: Path, raw: Path, table: str, *extra: str):
    """Start ``run --date D1``, SIGKILL its process group while it writes ``table``."""
    marker = root / f"stalled-in-{table}"
    process = start_cli(
        root,
        raw,
        "run",
        "--date",
        str(D1),
        *extra,
        env={FAULT_ENV: f"stall-write:{table}", MARKER_ENV: str(marker)},
    )
    wait_until(marker.exists, f"the write of {table}", process)
    kill_group(process)
    return process


def assert_no_partial_date(spark, config, reference, day: date) -> None:
    """Each table holds the date completely (as the reference) or not at all."""
    lake, expected = Lake(spark, config.paths), Lake(spark, reference.paths)
    for spec in specs.all_specs():
        if spec.layer in ("ops",) or not expected.exists(spec):
            continue
        rows = date_rows(lake, spec, day) if lake.exists(spec) else []
        assert rows in ([], date_rows(expected, spec, day)), f"{spec.qualified} is partial"


def date_rows(lake: Lake, spec, day: date) -> list[tuple[str, ...]]:
    return [r for r in table_rows(lake, spec) if r[0] == day.isoformat()]


def test_sigkill_during_silver_or_gold_write_then_rerun(spark, tmp_path, capsys):
    raw = tmp_path / "raw"
    write_days(raw)
    reference = config_for(tmp_path / "reference", raw)
    for day in (D0, D1):
        Runner(RunContext(spark=spark, config=reference), gate=Gate()).run_date(day)
    config = config_for(tmp_path, raw)
    store = LocalLockStore(str(tmp_path / "lake" / "_locks" / "local"))
    assert run_in_process(capsys, tmp_path, raw, "run", "--date", str(D0))[0] == 0

    # 1. the first run of D1, killed while Delta writes silver.listing_state
    killed = kill_during_write(tmp_path, raw, "silver.listing_state")
    assert_no_partial_date(spark, config, reference, D1)
    assert date_rows(Lake(spark, config.paths), specs.LISTING_STATE, D1) == []
    assert read_state(store).holder.pid == killed.pid  # its lock is left behind
    assert not Ledger(spark, config).view().latest_compute(D1).complete
    code, out, err = run_in_process(capsys, tmp_path, raw, "run", "--date", str(D1))
    assert code == 0, err
    assert "took over a stale lock" in err and f"{D1}: ok" in out
    assert_same_lakes(spark, config, reference)

    # 2. a forced rerun of the done date, killed while Delta writes gold.inventory_activity
    kill_during_write(tmp_path, raw, "gold.inventory_activity", "--force")
    assert_no_partial_date(spark, config, reference, D1)
    assert date_rows(Lake(spark, config.paths), specs.GOLD["inventory_activity"], D1)
    code, out, err = run_in_process(capsys, tmp_path, raw, "run", "--date", str(D1))
    assert code == 0, err
    assert f"{D1}: ok" in out  # recomputed: the killed run is not counted as done
    assert_same_lakes(spark, config, reference)
    kinds = [a.kind for a in Ledger(spark, config).view().attempts(D1)]
    assert kinds == ["compute"] * 4
