"""The floor: the least any Spark job can do with the same input and the same output size.

It reads every raw input of the date once, in full (parquet partitions and competitor
JSON feeds), and writes one Delta table with the gold table's schema and row count (one
file per partition, as the pipeline writes). No contract checks, no joins, no MERGE.
"""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tables import raw_io
from tables.raw_contract import COMPETITOR_FILE_SCHEMA, RAW_TABLES
from tables.specs import GOLD, PARTITION


def _filler(field: T.StructField, index: int, available: set[str]) -> Column:
    """A gold column filled from the vehicle row: same-named column, else a cheap value of
    the right type that is not constant (so the file's size is realistic)."""
    name, dtype = field.name, field.dataType
    if name in available:
        return F.col(name).cast(dtype).alias(name)
    seed = F.xxhash64(F.col("vehicle_id"), F.lit(index))
    if isinstance(dtype, T.StringType):
        value = F.concat(F.lit(f"{name}-"), (F.abs(seed) % 5000).cast("string"))
    elif isinstance(dtype, T.BooleanType):
        value = (seed % 2) == 0
    elif isinstance(dtype, T.DateType):
        value = F.date_sub(F.current_date(), (F.abs(seed) % 400).cast("int"))
    elif isinstance(dtype, T.TimestampType):
        value = F.col("updated_at")
    elif isinstance(dtype, T.MapType):
        value = F.create_map(F.lit("src"), (F.abs(seed) % 90000).cast(dtype.valueType))
    else:  # numbers
        value = (F.abs(seed) % 100000).cast(dtype)
    return value.alias(name)


def run_floor(spark: SparkSession, *, raw_root: str, day: date, out: Path, rows: int) -> dict:
    """Read the date's raw inputs and write a gold-sized Delta table; returns timings."""
    if out.exists():
        shutil.rmtree(out)
    t0 = time.perf_counter()
    for table in RAW_TABLES:
        if table == "vehicle":
            continue  # read by the write below
        path = raw_io.partition_dir(raw_root, table, day)
        spark.read.parquet(path).write.format("noop").mode("overwrite").save()
    competitor_paths = raw_io.competitor_files(spark, raw_root, day)
    if competitor_paths:
        (
            spark.read.schema(COMPETITOR_FILE_SCHEMA)
            .option("multiLine", True)
            .json(competitor_paths)
            .write.format("noop")
            .mode("overwrite")
            .save()
        )
    read_seconds = time.perf_counter() - t0
    vehicle = spark.read.parquet(raw_io.partition_dir(raw_root, "vehicle", day))
    available = set(vehicle.columns)
    gold = GOLD["inventory_activity"]
    frame = (
        vehicle.limit(rows)
        .withColumn(PARTITION, F.lit(day))
        .select(*[_filler(f, i, available) for i, f in enumerate(gold.schema.fields)])
    )
    frame.write.format("delta").mode("overwrite").partitionBy(PARTITION).save(str(out))
    seconds = time.perf_counter() - t0
    written = spark.read.format("delta").load(str(out)).count()
    return {
        "seconds": round(seconds, 2),
        "read_seconds": round(read_seconds, 2),
        "rows_written": int(written),
    }
