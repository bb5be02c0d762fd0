"""What a date's result depends on, for the run ledger's no-op detection.

A date D is *done* when its latest computing run completed and nothing it was computed
from has changed since. Its input fingerprint hashes:

- the code version (package version + a hash of the source) and the config hash (the
  sections that change results: rules, competitors, quality);
- the raw manifest of D: every raw file of D (relative path, size, modification time),
  so a new, removed or re-delivered file changes it;
- ``depends_on``: for each earlier date D reads (the latest processed date before D for
  the lifecycle state, the price-change offsets, the lookback window), the run id that
  last completed it, or None. Rerunning any of those dates changes its run id and so
  makes D stale; that is how a rerun of an old date invalidates every later one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from pyspark.sql import SparkSession

from jobs import daily
from pipeline import __version__
from pipeline.config import Config
from tables import fs, raw_io
from tables.raw_contract import RAW_TABLES

SOURCE_PACKAGES = ("pipeline", "tables", "jobs", "quality")
RESULT_SECTIONS = ("rules", "competitors", "quality")


@cache
def code_version() -> str:
    """``<package version>+<12 hex of the source>``: any code change changes it."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for package in SOURCE_PACKAGES:
        folder = root / package
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def config_hash(config: Config) -> str:
    """Hash of the configuration sections that change what is computed.

    Paths, Spark, logging, run (locks, retries, file counts) and storage settings do not
    change results, so changing them does not make done dates stale.
    """
    content = {k: v for k, v in config.as_dict().items() if k in RESULT_SECTIONS}
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sha(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DateInputs:
    """Everything a date's result depends on, as recorded in the ledger."""

    day: date
    files: tuple[tuple[str, int, int], ...]
    missing: tuple[str, ...]
    depends_on: dict[str, str | None] = field(default_factory=dict)
    code_version: str = ""
    config_hash: str = ""

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def manifest_hash(self) -> str:
        return _sha([list(f) for f in self.files])

    @property
    def fingerprint(self) -> str:
        return _sha(
            {
                "code": self.code_version,
                "config": self.config_hash,
                "raw": self.manifest_hash,
                "depends_on": self.depends_on,
            }
        )

    def not_ready_message(self) -> str:
        return (
            f"input not ready for {self.day}: no parquet files in {len(self.missing)} "
            f"required raw partition(s): {', '.join(self.missing)}"
        )


def dependency_dates(day: date, processed: Sequence[date], config: Config) -> list[date]:
    """Earlier dates whose results the steps of ``day`` read (see the module doc)."""
    earlier = [d for d in processed if d < day]
    deps: set[date] = set()
    for step in (*daily.SILVER_STEPS, *daily.GOLD_STEPS):
        back = step.lookback(config)
        deps.update(day - timedelta(days=n) for n in range(1, back + 1))
        for source in step.inputs.values():
            if source.latest_before and earlier:
                deps.add(max(earlier))
            deps.update(d for d in source.dates(day) if d < day)
    return sorted(deps)


def raw_files(
    spark: SparkSession, config: Config, day: date
) -> tuple[list[tuple[str, int, int]], list[str]]:
    """The date's raw files (relative path, size, mtime) and the missing partitions."""
    raw_root = config.paths.raw_root
    root = fs.qualify(spark, raw_root).rstrip("/")
    files: list[tuple[str, int, int]] = []
    missing: list[str] = []
    for table in RAW_TABLES:
        partition = raw_io.locate(spark, raw_root, table, day)
        if not partition.files:
            missing.append(raw_io.partition_dir(raw_root, table, day))
        files.extend((_relative(f.path, root), f.size, f.modified_ms) for f in partition.files)
    for path in raw_io.competitor_files(spark, raw_root, day, config.competitors.sources):
        info = fs.file_info(spark, path)
        if info is not None:
            files.append((_relative(info.path, root), info.size, info.modified_ms))
    return sorted(files), missing


def _relative(path: str, root: str) -> str:
    return path[len(root) + 1 :] if path.startswith(root + "/") else path


def collect(
    spark: SparkSession,
    config: Config,
    day: date,
    *,
    processed: Sequence[date],
    completions: Mapping[date, str | None],
) -> DateInputs:
    """Raw manifest and dependencies of ``day`` (one listing per raw partition)."""
    files, missing = raw_files(spark, config, day)
    depends_on = {
        d.isoformat(): completions.get(d) for d in dependency_dates(day, processed, config)
    }
    return DateInputs(
        day=day,
        files=tuple(files),
        missing=tuple(missing),
        depends_on=depends_on,
        code_version=code_version(),
        config_hash=config_hash(config),
    )
