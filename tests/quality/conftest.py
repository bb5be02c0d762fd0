"""Shared fixtures of the quality tests: one small generated lake for the whole session.

``quality_lake`` generates two days (60 listings, no contract-breaking rows) and runs the
first through the real runner, gates included, so core holds day 1 and ``dq_results``
holds its results (the row-count history of day 2). Scenarios then edit a copy of day 2's
raw input and run day 2 against this lake; each asserts core against the state it found.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import structlog
from pyspark.sql import functions as F

from tests.quality.scenarios import copy_day

D1 = date(2026, 2, 2)
D2 = date(2026, 2, 3)
LISTINGS = 60


@dataclass
class QualityLake:
    root: Path
    spark: object

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    def paths(self, raw_root: Path | None = None) -> list[str]:
        lake = self.root / "lake"
        return [
            f"paths.raw_root={raw_root or self.raw}",
            f"paths.lake_root={lake}",
            f"paths.landing_root={lake / 'landing'}",
            f"paths.core_root={lake / 'core'}",
            f"paths.reports_root={self.root / 'reports'}",
            f"paths.lock_root={lake / '_locks'}",
        ]

    def config(self, *extra: str, raw_root: Path | None = None):
        from pipeline.config import load_config

        return load_config("local", [*self.paths(raw_root), "run.retries=0", *extra])

    def lake(self):
        from tables.io import Lake

        return Lake(self.spark, self.config().paths)

    def scenario(self, name: str) -> Path:
        """A fresh raw root holding a copy of day 2."""
        return copy_day(self.raw, self.root / "scenarios" / name / "raw", D2)

    def runner(self, config):
        from pipeline.runner import RunContext, Runner

        return Runner(RunContext(spark=self.spark, config=config))


def _plain_logging() -> None:
    """structlog back to its defaults (print to the current stdout).

    ``main()`` binds structlog to the ``sys.stderr`` of the moment, which pytest closes
    after a test that captured it; later log calls would then fail.
    """
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _fresh_logging():
    _plain_logging()
    yield
    _plain_logging()


@pytest.fixture(scope="session")
def quality_lake(spark, tmp_path_factory) -> QualityLake:
    from pipeline.sample.generator import generate

    _plain_logging()
    root = tmp_path_factory.mktemp("quality")
    ql = QualityLake(root, spark)
    cache = os.environ.get("DEV_QUALITY_BASELINE")  # DEV ONLY: remove
    if cache and Path(cache).exists():
        shutil.rmtree(root)
        shutil.copytree(cache, root)
        return ql
    generate(raw_root=ql.raw, start=D1, days=2, listings=LISTINGS, seed=3, bad_row_share=0.0)
    ql.runner(ql.config()).run_date(D1)
    if cache:
        shutil.copytree(root, cache)
    return ql


def core_state(lake) -> dict[str, tuple[int | None, list[tuple]]]:
    """Delta version and full content (sorted rows as strings) of every core table."""
    from tables import specs

    state = {}
    for name, spec in specs.CORE.items():
        version = lake.version(spec)
        rows = [] if version is None else lake.read(spec).collect()
        state[name] = (version, sorted(tuple(str(v) for v in r) for r in rows))
    return state


def dq_rows(lake, day: date) -> dict[tuple[str, str], dict]:
    """``dq_results`` of ``day`` keyed by (table, expectation)."""
    from tables import specs

    frame = lake.read(specs.DQ_RESULTS).where(F.col("filedate") == F.lit(day))
    return {(r["table_name"], r["expectation"]): r.asDict() for r in frame.collect()}


def without_rules(monkeypatch, tables: set[str] | None = None, drop: set[str] | None = None):
    """Switch off bronze contract rules (all of ``tables``' rules, or the named ones)."""
    import pipeline.runner
    from pipeline.transforms import contract_rules

    def rules_for(table: str, **kwargs):
        rules = contract_rules.rules_for(table, **kwargs)
        if tables is not None and table in tables:
            return ()
        return tuple(r for r in rules if r.reason_code not in (drop or set()))

    monkeypatch.setattr(pipeline.runner, "rules_for", rules_for)


@dataclass
class WarnedRun:
    expected: dict[str, set[str]]
    before: dict
    after: dict
    results: dict
    report: Path


@pytest.fixture(scope="session")
def warned_run(quality_lake) -> WarnedRun:
    """Day 2 with every warning check failing and every blocking check passing."""
    from tests.quality.scenarios import warn_everything

    raw = quality_lake.scenario("warnings")
    expected = warn_everything(raw, D2)
    config = quality_lake.config(
        "quality.row_count_floors.bronze.competitor_listing=100000",
        "quality.max_quarantine_rate=0.02",
        raw_root=raw,
    )
    lake = quality_lake.lake()
    before = core_state(lake)
    with pytest.MonkeyPatch.context() as mp:
        without_rules(mp, drop={"invalid_price"})
        results = quality_lake.runner(config).run_date(D2)
    report = Path(config.paths.reports_root) / f"dq-report-{D2.isoformat()}.html"
    return WarnedRun(expected, before, core_state(lake), results, report)
