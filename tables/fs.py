"""File-system access through Hadoop's FileSystem API, so local paths and s3a:// work alike."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    modified_ms: int


def _hadoop_path(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return fs, hpath


def qualify(spark: SparkSession, path: str) -> str:
    """Absolute, scheme-qualified form of a path (``file:/...`` or ``s3a://...``)."""
    fs, hpath = _hadoop_path(spark, path)
    return str(fs.makeQualified(hpath).toString())


def exists(spark: SparkSession, path: str) -> bool:
    fs, hpath = _hadoop_path(spark, path)
    return bool(fs.exists(hpath))


def list_files(spark: SparkSession, path: str, suffix: str = "") -> list[FileInfo]:
    """Data files directly under ``path`` (hidden and underscore files skipped), sorted."""
    fs, hpath = _hadoop_path(spark, path)
    if not fs.exists(hpath):
        return []
    out = []
    for status in fs.listStatus(hpath):
        name = status.getPath().getName()
        if status.isDirectory() or name.startswith((".", "_")) or not name.endswith(suffix):
            continue
        out.append(
            FileInfo(
                path=str(status.getPath().toString()),
                size=int(status.getLen()),
                modified_ms=int(status.getModificationTime()),
            )
        )
    return sorted(out, key=lambda f: f.path)


def list_dirs(spark: SparkSession, path: str) -> list[str]:
    fs, hpath = _hadoop_path(spark, path)
    if not fs.exists(hpath):
        return []
    return sorted(
        str(s.getPath().getName()) for s in fs.listStatus(hpath) if s.isDirectory()
    )


def read_text(spark: SparkSession, path: str) -> str | None:
    fs, hpath = _hadoop_path(spark, path)
    if not fs.exists(hpath):
        return None
    stream = fs.open(hpath)
    try:
        jvm = spark.sparkContext._jvm
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def write_text(spark: SparkSession, path: str, text: str, *, overwrite: bool = True) -> None:
    fs, hpath = _hadoop_path(spark, path)
    stream = fs.create(hpath, overwrite)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def delete(spark: SparkSession, path: str, *, recursive: bool = False) -> bool:
    fs, hpath = _hadoop_path(spark, path)
    return bool(fs.delete(hpath, recursive))
