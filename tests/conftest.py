"""Shared fixtures: one lean local SparkSession per test run, temp lake configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

os.environ.setdefault("PYSPARK_PYTHON", str(Path(os.sys.executable)))


@pytest.fixture(scope="session")
def spark():
    from pipeline.config import SparkConfig
    from pipeline.spark import build_spark

    session = build_spark(
        SparkConfig(
            master="local[2]",
            app_name="inventory-activity-tests",
            shuffle_partitions=2,
            driver_memory="3g",
            ui_enabled=False,
        ),
        extra={
            "spark.sql.adaptive.coalescePartitions.enabled": "true",
            "spark.default.parallelism": "2",
            "spark.databricks.delta.snapshotPartitions": "2",
            "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
            # hundreds of runs in one JVM: keep the status store small
            "spark.sql.ui.retainedExecutions": "20",
            "spark.ui.retainedJobs": "50",
            "spark.ui.retainedStages": "50",
        },
    )
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _release_spark_memory(request):
    """After each test that used Spark: drop cached frames and Delta's cached table logs.

    Every test writes its own lake, so the session's DeltaLog cache (one entry, with its
    cached snapshot state, per table path) would otherwise grow with every test until the
    shared driver JVM runs out of heap.
    """
    yield
    if "spark" not in request.fixturenames:
        return
    session = request.getfixturevalue("spark")
    session.catalog.clearCache()
    session.sparkContext._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()


@pytest.fixture
def lake_config(tmp_path):
    """A local Config whose raw root and lake live under a temp dir."""
    from pipeline.config import load_config

    def make(*extra: str, raw_root: Path | None = None):
        overrides = [
            f"paths.raw_root={raw_root or tmp_path / 'raw'}",
            f"paths.lake_root={tmp_path / 'lake'}",
            f"paths.landing_root={tmp_path / 'lake' / 'landing'}",
            f"paths.core_root={tmp_path / 'lake' / 'core'}",
            f"paths.reports_root={tmp_path / 'reports'}",
            f"paths.lock_root={tmp_path / 'lake' / '_locks'}",
            "spark.shuffle_partitions=2",
            "run.retries=0",
            *extra,
        ]
        return load_config("local", overrides)

    return make


def shared_data(*parts: str) -> Path:
    """Path under ../shared/data; skips the test when the public data is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"public test data not found at {path} (only present beside the repo in CI)")
    return path
