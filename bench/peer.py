"""The peer: the gold ``inventory_activity`` step computed by DuckDB from silver exports.

The silver inputs of the gold step (``listing_features`` and ``listing_activity`` of the
step's date window) are exported once to parquet; DuckDB computes the same rows as
:func:`pipeline.transforms.gold.inventory_activity` and writes them to parquet. The result
is compared, row by row and column by column, with the pipeline's gold table.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

from pyspark.sql import DataFrame

from pipeline.transforms.gold import COUNT_COLUMNS
from tables import specs

RUN_METADATA = ("run_id", "processed_at")
GOLD = specs.GOLD["inventory_activity"]


def export_parquet(frame: DataFrame, path: Path) -> int:
    """Write ``frame`` (run metadata dropped) as plain parquet; returns its row count."""
    if path.exists():
        shutil.rmtree(path)
    frame = frame.drop(*[c for c in RUN_METADATA if c in frame.columns])
    frame.write.mode("overwrite").parquet(str(path))
    return frame.sparkSession.read.parquet(str(path)).count()


def _glob(path: Path) -> str:
    return f"{path.as_posix()}/*.parquet"


def gold_sql(features: Path, activity: Path, start: date, end: date) -> str:
    """DuckDB SQL for ``inventory_activity`` (same rules as the Spark transform)."""
    feature_columns = [f.name for f in specs.FEATURE_FIELDS]
    activity_select = []
    for column in specs.ACTIVITY_COLUMNS:
        if column in COUNT_COLUMNS:
            activity_select.append(f"CAST(COALESCE(a.{column}, 0) AS BIGINT) AS {column}")
        elif column == "weighted_impressions":
            activity_select.append("COALESCE(a.weighted_impressions, 0.0) AS weighted_impressions")
        elif column == "leads_per_1k_impressions":
            activity_select.append(
                "CASE WHEN COALESCE(a.total_impressions, 0) > 0 THEN "
                "CAST(COALESCE(a.leads_total, 0) AS DOUBLE) * 1000.0 / "
                "COALESCE(a.total_impressions, 0) END AS leads_per_1k_impressions"
            )
    select = ",\n  ".join(["f.filedate", *[f"f.{c}" for c in feature_columns], *activity_select])
    window = f"BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'"
    return f"""
SELECT
  {select},
  'duckdb' AS run_id,
  CAST(now() AS TIMESTAMP) AS processed_at
FROM read_parquet('{_glob(features)}') AS f
LEFT JOIN (SELECT * FROM read_parquet('{_glob(activity)}') WHERE filedate {window}) AS a
  ON a.filedate = f.filedate AND a.vehicle_id = f.vehicle_id
WHERE f.filedate {window}
"""


def run_duckdb(
    features: Path, activity: Path, out: Path, start: date, end: date, *, threads: int
) -> tuple[float, int]:
    """One DuckDB gold step (read parquet, join, write parquet): (seconds, rows)."""
    import duckdb

    if out.exists():
        out.unlink()
    t0 = time.perf_counter()
    con = duckdb.connect()
    try:
        con.execute(f"SET threads = {int(threads)}")
        con.execute(
            f"COPY ({gold_sql(features, activity, start, end)}) TO '{out.as_posix()}' "
            "(FORMAT parquet)"
        )
        seconds = time.perf_counter() - t0
        rows = con.execute(f"SELECT count(*) FROM read_parquet('{out.as_posix()}')").fetchone()[0]
    finally:
        con.close()
    return seconds, int(rows)


def compare(spark_gold: Path, duck_gold: Path) -> dict:
    """Rows of the two gold outputs matched on (filedate, vehicle_id), every column compared
    (doubles to a relative 1e-9: summation order differs between engines)."""
    import duckdb

    columns = [f for f in GOLD.schema.fields if f.name not in RUN_METADATA]
    keys = ("filedate", "vehicle_id")
    diffs = []
    for field in columns:
        if field.name in keys:
            continue
        s, d = f"s.{field.name}", f"d.{field.name}"
        if field.dataType.typeName() == "double":
            cond = (
                f"(({s} IS NULL) <> ({d} IS NULL) OR "
                f"abs({s} - {d}) > 1e-9 * greatest(1.0, abs({s})))"
            )
        else:
            cond = f"{s} IS DISTINCT FROM {d}"
        diffs.append((field.name, cond))
    con = duckdb.connect()
    try:
        src = f"read_parquet('{_glob(spark_gold)}')"
        dst = f"read_parquet('{duck_gold.as_posix()}')"
        counts = con.execute(
            f"SELECT (SELECT count(*) FROM {src}), (SELECT count(*) FROM {dst})"
        ).fetchone()
        per_column = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond in diffs)
        row = con.execute(
            f"""
            SELECT
              count(*) FILTER (WHERE s.vehicle_id IS NULL) AS only_duckdb,
              count(*) FILTER (WHERE d.vehicle_id IS NULL) AS only_spark,
              {per_column}
            FROM {src} AS s FULL OUTER JOIN {dst} AS d
              ON s.filedate = d.filedate AND s.vehicle_id = d.vehicle_id
            """
        ).fetchone()
    finally:
        con.close()
    mismatched = {name: int(n) for (name, _), n in zip(diffs, row[2:], strict=True) if n}
    same = counts[0] == counts[1] and row[0] == 0 and row[1] == 0 and not mismatched
    return {
        "same_rows": bool(same),
        "spark_rows": int(counts[0]),
        "duckdb_rows": int(counts[1]),
        "only_spark": int(row[1]),
        "only_duckdb": int(row[0]),
        "mismatched_columns": mismatched,
    }
