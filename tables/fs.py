"""File-system access through Hadoop's FileSystem API, so local paths and s3a:// work alike."""

from __future__ import annotations

import os
import threading
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
    return sorted(str(s.getPath().getName()) for s in fs.listStatus(hpath) if s.isDirectory())


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


# ------------------------------------------------------------------ atomic primitives
# Used by the run lock (pipeline/lock.py). Local paths use the OS directly (no JVM needed),
# so a process can test the lock before it starts Spark.


def local_path(path: str) -> str | None:
    """The OS path of a local path (``file:`` or no scheme); None for other schemes."""
    if path.startswith("file://"):
        return path[len("file://") :] or "/"
    if path.startswith("file:"):
        return path[len("file:") :]
    return None if "://" in path else path


def create_exclusive(spark: SparkSession | None, path: str, text: str) -> bool:
    """Create ``path`` holding ``text`` only if it does not exist; True when this call did.

    Local: ``open(O_CREAT | O_EXCL)``, atomic: of concurrent callers exactly one wins.
    Other file systems: Hadoop ``create(overwrite=false)``, atomic on HDFS (the NameNode
    checks and creates in one operation) but NOT on S3A, which checks with a HEAD and then
    PUTs; the run lock therefore uses S3 conditional writes on S3 (``pipeline.lock``).
    """
    local = local_path(path)
    if local is not None:
        os.makedirs(os.path.dirname(local) or ".", exist_ok=True)
        try:
            fd = os.open(local, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return True
    fs, hpath = _hadoop_path(spark, path)
    try:
        stream = fs.create(hpath, False)
    except Exception as exc:  # py4j wraps FileAlreadyExistsException
        if "FileAlreadyExists" in str(exc) or fs.exists(hpath):
            return False
        raise
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
    return True


def replace_text(spark: SparkSession | None, path: str, text: str) -> None:
    """Overwrite ``path`` so that readers see the old or the new text, never a mix.

    Local: write a sibling temp file and ``os.replace`` it (an atomic rename). Object stores
    replace whole objects on PUT; HDFS overwrite is close to atomic for small files.
    """
    local = local_path(path)
    if local is None:
        write_text(spark, path, text, overwrite=True)
        return
    temp = f"{local}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temp, local)


def file_info(spark: SparkSession, path: str) -> FileInfo | None:
    """Size and modification time of one file; None when it does not exist."""
    fs, hpath = _hadoop_path(spark, path)
    if not fs.exists(hpath):
        return None
    status = fs.getFileStatus(hpath)
    return FileInfo(
        path=str(status.getPath().toString()),
        size=int(status.getLen()),
        modified_ms=int(status.getModificationTime()),
    )
