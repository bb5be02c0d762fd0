"""Readers of the raw input contract (parquet partitions and competitor JSON feeds).

A required partition that is missing raises :class:`InputNotReady`. A file that cannot be
read, or whose column types cannot be widened losslessly to the contract, raises
:class:`ContractError` naming the table, file and column; nothing has been written then.
Row-level contract checks happen later, in the bronze transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from pipeline.errors import ContractError, InputNotReady
from tables import fs
from tables.raw_contract import (
    COMPETITOR_FILE_SCHEMA,
    COMPETITOR_ROOT,
    RAW_TABLES,
)

_INTEGRAL_RANK = {T.ByteType: 1, T.ShortType: 2, T.IntegerType: 3, T.LongType: 4}


@dataclass(frozen=True)
class RawPartition:
    table: str
    day: date
    files: tuple[fs.FileInfo, ...]


def partition_dir(raw_root: str, table: str, day: date) -> str:
    return f"{raw_root.rstrip('/')}/{table}/filedate={day.isoformat()}"


def locate(spark: SparkSession, raw_root: str, table: str, day: date) -> RawPartition:
    files = fs.list_files(spark, partition_dir(raw_root, table, day), suffix=".parquet")
    return RawPartition(table=table, day=day, files=tuple(files))


def require(spark: SparkSession, raw_root: str, tables: list[str], day: date) -> list[RawPartition]:
    """Locate every required partition; raise InputNotReady listing all that are missing."""
    found = [locate(spark, raw_root, t, day) for t in tables]
    missing = [p for p in found if not p.files]
    if missing:
        where = ", ".join(partition_dir(raw_root, p.table, day) for p in missing)
        raise InputNotReady(
            f"input not ready for {day}: no parquet files in {len(missing)} required "
            f"raw partition(s): {where}"
        )
    return found


def widenable(found: T.DataType, wanted: T.DataType) -> bool:
    """True when every value of ``found`` fits ``wanted`` without loss."""
    if found == wanted:
        return True
    if type(found) in _INTEGRAL_RANK and type(wanted) in _INTEGRAL_RANK:
        return _INTEGRAL_RANK[type(found)] <= _INTEGRAL_RANK[type(wanted)]
    if type(found) in _INTEGRAL_RANK and isinstance(wanted, T.DecimalType):
        digits = {1: 3, 2: 5, 3: 10, 4: 19}[_INTEGRAL_RANK[type(found)]]
        return wanted.precision - wanted.scale >= digits
    if isinstance(found, T.DecimalType) and isinstance(wanted, T.DecimalType):
        return (
            found.scale <= wanted.scale
            and found.precision - found.scale <= wanted.precision - wanted.scale
        )
    if type(found) in _INTEGRAL_RANK | {T.FloatType: 0} and isinstance(wanted, T.DoubleType):
        return True
    return bool(isinstance(found, T.TimestampNTZType) and isinstance(wanted, T.TimestampType))


def _file_schema(spark: SparkSession, table: str, path: str) -> T.StructType:
    try:
        return spark.read.parquet(path).schema
    except (PySparkException, Py4JJavaError) as exc:
        first_line = str(exc).strip().splitlines()[0][:300]
        raise ContractError(
            f"raw table '{table}': file {path} cannot be read as parquet ({first_line})"
        ) from None


def _conform_columns(table: str, path: str, schema: T.StructType) -> list:
    contract = RAW_TABLES[table].schema
    found = {f.name: f.dataType for f in schema.fields}
    columns = []
    for field in contract.fields:
        if field.name not in found:
            raise ContractError(
                f"raw table '{table}': file {path} lacks contract column '{field.name}' "
                f"({field.dataType.simpleString()})"
            )
        dtype = found[field.name]
        if not widenable(dtype, field.dataType):
            raise ContractError(
                f"raw table '{table}': file {path} column '{field.name}' has type "
                f"{dtype.simpleString()}, the contract says {field.dataType.simpleString()}"
            )
        columns.append(F.col(field.name).cast(field.dataType).alias(field.name))
    return columns


def read_partition(spark: SparkSession, partition: RawPartition) -> DataFrame:
    """All files of one raw partition, cast to the contract, with ``_source_file``.

    Files are grouped by their physical schema so a partition is read in as few scans as
    possible; each group is checked against the contract before anything is read.
    """
    groups: dict[str, list[str]] = {}
    schemas: dict[str, T.StructType] = {}
    for info in partition.files:
        schema = _file_schema(spark, partition.table, info.path)
        key = schema.json()
        groups.setdefault(key, []).append(info.path)
        schemas[key] = schema
    frames = []
    for key, paths in groups.items():
        columns = _conform_columns(partition.table, paths[0], schemas[key])
        frame = (
            spark.read.schema(schemas[key])
            .parquet(*paths)
            .select(*columns, F.input_file_name().alias("_source_file"))
        )
        frames.append(frame)
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result


def competitor_files(
    spark: SparkSession, raw_root: str, day: date, sources: tuple[str, ...] = ()
) -> list[str]:
    root = f"{raw_root.rstrip('/')}/{COMPETITOR_ROOT}"
    chosen = sources or tuple(fs.list_dirs(spark, root))
    paths = []
    for source in chosen:
        path = f"{root}/{source}/{day.isoformat()}.json"
        if fs.exists(spark, path):
            paths.append(fs.qualify(spark, path))
    return paths


def read_competitors(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Competitor feed files flattened to one row per listing, with ``_source_file``.

    A file that is not valid JSON yields one row with ``_corrupt_record`` set, so bronze
    can quarantine it instead of failing the run.
    """
    schema = T.StructType(
        [*COMPETITOR_FILE_SCHEMA.fields, T.StructField("_corrupt_record", T.StringType())]
    )
    if not paths:
        empty = T.StructType(
            [
                T.StructField("source", T.StringType()),
                T.StructField("scraped_at", T.StringType()),
                T.StructField("listing", COMPETITOR_FILE_SCHEMA["listings"].dataType.elementType),
                T.StructField("_corrupt_record", T.StringType()),
                T.StructField("_source_file", T.StringType()),
            ]
        )
        return spark.createDataFrame([], empty)
    raw = (
        spark.read.schema(schema)
        .option("multiLine", True)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        .json(paths)
        .withColumn("_source_file", F.input_file_name())
    )
    return raw.select(
        "source",
        "scraped_at",
        F.explode_outer("listings").alias("listing"),
        "_corrupt_record",
        "_source_file",
    )
