"""Compare whole lakes: every table's rows (run metadata aside) as sorted plain tuples."""

from __future__ import annotations

from pyspark.sql import SparkSession

from pipeline.config import Config
from tables import specs
from tables.io import Lake

RUN_METADATA = {"run_id", "processed_at", "_run_id", "_ingest_ts"}
DATA_LAYERS = ("bronze", "quarantine", "silver", "gold", "core")


def table_rows(lake: Lake, spec: specs.TableSpec) -> list[tuple[str, ...]]:
    """Rows without run metadata; source files relative to the raw root (lakes built from
    copies of the same raw input compare equal)."""
    frame = lake.read(spec)
    columns = [c for c in frame.columns if c not in RUN_METADATA]
    source = columns.index("_source_file") if "_source_file" in columns else None
    rows = []
    for row in frame.select(*columns).collect():
        values = [str(v) for v in row]
        if source is not None:
            values[source] = "/".join(values[source].split("/")[-3:])
        rows.append(tuple(values))
    return sorted(rows)


def lake_content(spark: SparkSession, config: Config) -> dict[str, list[tuple[str, ...]]]:
    """Every data table of the lake (bronze to core) that exists, by qualified name."""
    lake = Lake(spark, config.paths)
    return {
        spec.qualified: table_rows(lake, spec)
        for spec in specs.all_specs()
        if spec.layer in DATA_LAYERS and lake.exists(spec)
    }


def assert_same_lakes(spark: SparkSession, got: Config, expected: Config) -> None:
    """Same tables, and each table has the same rows (run metadata aside)."""
    mine, theirs = lake_content(spark, got), lake_content(spark, expected)
    assert sorted(mine) == sorted(theirs)
    for table, rows in theirs.items():
        assert mine[table] == rows, f"{table} differs from the sequential build"
    assert theirs["core.inventory_activity"], "the reference build published nothing"
