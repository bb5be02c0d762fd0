"""Typed, frozen configuration: ``conf/base.yaml`` plus one ``conf/<env>.yaml`` overlay.

Both files and every ``--set dotted.key=value`` override are validated against the
dataclasses below at start. An unknown key, a wrong type or a missing required value
raises :class:`ConfigError` naming the file (or ``--set``) and the dotted key. The result is
parsed once and passed down; nothing else in the code reads YAML or the environment name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError

ENVIRONMENTS = ("local", "dev", "stage", "prod", "forge")
# conf/ is packaged inside the wheel as pipeline/conf (in a checkout, a link to ../conf), so
# the installed CLI finds it; INVENTORY_ACTIVITY_CONF_DIR or --conf-dir point elsewhere.
DEFAULT_CONF_DIR = Path(__file__).resolve().parent / "conf"
CONF_DIR_ENV = "INVENTORY_ACTIVITY_CONF_DIR"
# Delta's LogStore for several writers on S3 (jar io.delta:delta-storage-s3-dynamodb).
DYNAMODB_LOG_STORE = "io.delta.storage.S3DynamoDBLogStore"


def default_conf_dir() -> Path:
    """The configuration folder used when ``--conf-dir`` is not given."""
    return Path(os.environ.get(CONF_DIR_ENV) or DEFAULT_CONF_DIR)


@dataclass(frozen=True)
class PathsConfig:
    raw_root: str
    lake_root: str
    landing_root: str
    core_root: str
    reports_root: str
    lock_root: str


@dataclass(frozen=True)
class SparkConfig:
    master: str | None = "local[2]"
    app_name: str = "inventory-activity"
    shuffle_partitions: int = 8
    driver_memory: str = "2g"
    ui_enabled: bool = False
    jars_dir: str | None = None
    jar_profiles: tuple[str, ...] = ("core",)
    extra_conf: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesConfig:
    page_weights: dict[str, float] = field(
        default_factory=lambda: {"srp": 1.0, "featured": 1.5, "vdp": 3.0}
    )
    position_weighted_pages: tuple[str, ...] = ("srp", "featured")
    lookback_days: int = 2
    valid_lead_status: str = "valid"
    state_retention_days: int = 365
    min_model_year: int = 1980
    max_price: float = 5_000_000.0


@dataclass(frozen=True)
class CompetitorsConfig:
    sources: tuple[str, ...] = ()
    # Empty tuple means: every source folder found under <raw_root>/competitor/.


@dataclass(frozen=True)
class LoggingConfig:
    format: str = "console"
    level: str = "INFO"


@dataclass(frozen=True)
class RunConfig:
    # Run lock (pipeline/lock.py): wait this long for a busy lock, then exit 5; a holder
    # whose heartbeat is older than lock_stale_seconds (or whose pid is gone, same host)
    # is stale and taken over.
    lock_timeout_seconds: int = 600
    lock_stale_seconds: int = 900
    lock_heartbeat_seconds: int = 30
    lock_poll_seconds: float = 2.0
    # Dates recomputed after a rerun of an earlier date are written in batches of this many.
    cascade_batch_days: int = 7
    # Longest range one backfill call covers; VACUUM keeps at least lookback + this.
    backfill_max_days: int = 28
    vacuum_retention_days: int = 30
    retries: int = 1
    retry_wait_seconds: int = 5
    output_files_per_partition: int = 1
    parallel_writes: int = 4


@dataclass(frozen=True)
class QualityConfig:
    enabled: bool = True
    suites_dir: str | None = None
    row_count_band: float = 0.5
    active_count_band: float = 0.3
    max_dma_miss_rate: float = 0.10
    max_dealer_miss_rate: float = 0.05
    max_review_miss_rate: float = 0.60
    bad_vin_warn_rate: float = 0.01
    bad_vin_block_rate: float = 0.10
    # Row counts: a floor per table ({layer.table: rows}, default below) and a
    # band around the median of the trailing history_days; the band is skipped while fewer
    # than min_history_days are known or (fact tables) the median is below band_min_median.
    default_row_count_floor: int = 1
    row_count_floors: dict[str, int] = field(default_factory=dict)
    row_count_history_days: int = 7
    row_count_min_history_days: int = 1
    row_count_band_min_median: int = 20
    max_quarantine_rate: float = 0.05
    min_competitor_match_rate: float = 0.01
    max_lead_delay_days: int = 7
    max_model_year_ahead: int = 2
    report_trend_days: int = 30
    parallel_tables: int = 4


@dataclass(frozen=True)
class StorageConfig:
    multi_writer: bool = False
    log_store_class: str | None = None
    dynamodb_table: str | None = None
    dynamodb_region: str | None = None


@dataclass(frozen=True)
class Config:
    env: str
    paths: PathsConfig
    spark: SparkConfig = field(default_factory=SparkConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    competitors: CompetitorsConfig = field(default_factory=CompetitorsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    run: RunConfig = field(default_factory=RunConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """Hash of everything that changes what the pipeline computes (for the ledger)."""
        content = json.dumps(self.as_dict(), sort_keys=True, default=str)
        return hashlib.sha256(content.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------
# Loading


def load_config(
    env: str,
    overrides: list[str] | tuple[str, ...] = (),
    conf_dir: Path | str | None = None,
) -> Config:
    """Read base.yaml + <env>.yaml, apply ``--set`` overrides, validate, freeze."""
    conf_dir = Path(conf_dir) if conf_dir else default_conf_dir()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {env!r}; choose one of {', '.join(ENVIRONMENTS)}")
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for path in (conf_dir / "base.yaml", conf_dir / f"{env}.yaml"):
        data = _read_yaml(path)
        _check_keys(data, Config, str(path), ())
        _merge(merged, data, origin, str(path), ())
    for override in overrides:
        key, value = _parse_override(override)
        data = _nest(key, value, Config)
        _check_keys(data, Config, "--set", ())
        _merge(merged, data, origin, f"--set {override}", ())
    merged["env"] = env
    origin.setdefault("env", "--env")
    config = _build(Config, merged, origin, ())
    _validate_semantics(config, origin)
    return _with_log_store_conf(config)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def _parse_override(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected dotted.key=value")
    key, raw = text.split("=", 1)
    if not key.strip():
        raise ConfigError(f"--set {text!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value


def _nest(dotted: str, value: Any, cls: type | None = None) -> dict[str, Any]:
    """``a.b.c=v`` -> ``{a: {b: {c: v}}}``; below a mapping-typed field of ``cls`` the rest of
    the key is one key, so ``spark.extra_conf.spark.hadoop.fs.s3a.endpoint=URL`` works."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1):
        hint = _hints(cls).get(parts[i]) if cls and dataclasses.is_dataclass(cls) else None
        if dataclasses.is_dataclass(hint):
            cls = hint
            continue
        if typing.get_origin(hint) is dict:
            parts = [*parts[: i + 1], ".".join(parts[i + 1 :])]
        break
    out: dict[str, Any] = {}
    cursor = out
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = value
    return out


def _dataclass_fields(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _check_keys(data: Any, cls: type, source: str, prefix: tuple[str, ...]) -> None:
    if not isinstance(data, dict):
        return
    fields = _dataclass_fields(cls)
    hints = _hints(cls)
    for key, value in data.items():
        dotted = ".".join((*prefix, str(key)))
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{source}: unknown key '{dotted}' (known here: {known})")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: key '{dotted}' must be a mapping")
            _check_keys(value, hint, source, (*prefix, key))


def _merge(
    target: dict[str, Any],
    data: dict[str, Any],
    origin: dict[str, str],
    source: str,
    prefix: tuple[str, ...],
) -> None:
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, origin, source, path)
        else:
            target[key] = value
            origin[".".join(path)] = source


def _source_of(origin: dict[str, str], dotted: str) -> str:
    while dotted:
        if dotted in origin:
            return origin[dotted]
        dotted = dotted.rpartition(".")[0]
    return "configuration"


def _build(cls: type, data: dict[str, Any], origin: dict[str, str], prefix: tuple[str, ...]):
    hints = _hints(cls)
    kwargs = {}
    for name, fld in _dataclass_fields(cls).items():
        dotted = ".".join((*prefix, name))
        if name not in data:
            no_default = (
                fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING
            )
            if no_default:
                raise ConfigError(f"missing required key '{dotted}' (set it in conf/base.yaml)")
            continue
        kwargs[name] = _coerce(hints[name], data[name], dotted, origin)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, dotted: str, origin: dict[str, str]) -> Any:
    source = _source_of(origin, dotted)

    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{source}: key '{dotted}' must be {expected}, got {value!r}")

    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise fail("a mapping")
        return _build(hint, value, origin, tuple(dotted.split(".")))
    origin_type = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin_type in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = next(a for a in args if a is not type(None))
        return _coerce(inner, value, dotted, origin)
    if origin_type is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise fail("a list")
        return tuple(_coerce(args[0], v, dotted, origin) for v in value)
    if origin_type is dict:
        if not isinstance(value, dict):
            raise fail("a mapping")
        if args[1] is str:  # settings maps (spark.extra_conf): true -> "true", as Spark spells it
            value = {k: str(v).lower() if isinstance(v, bool) else v for k, v in value.items()}
        return {str(k): _coerce(args[1], v, f"{dotted}.{k}", origin) for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail("an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise fail("a number")
        return float(value)
    if hint is str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise fail("a string")
        return str(value)
    return value


def _validate_semantics(config: Config, origin: dict[str, str]) -> None:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{_source_of(origin, key)}: key '{key}' {message}")

    if config.logging.format not in ("console", "json"):
        raise fail("logging.format", "must be 'console' or 'json'")
    if config.rules.lookback_days < 0:
        raise fail("rules.lookback_days", "must be >= 0")
    missing_pages = {"srp", "featured", "vdp"} - set(config.rules.page_weights)
    if missing_pages:
        raise fail("rules.page_weights", f"misses page types {sorted(missing_pages)}")
    if any(w < 0 for w in config.rules.page_weights.values()):
        raise fail("rules.page_weights", "must not be negative")
    if config.spark.shuffle_partitions < 1:
        raise fail("spark.shuffle_partitions", "must be >= 1")
    if config.run.lock_timeout_seconds < 0:
        raise fail("run.lock_timeout_seconds", "must be >= 0")
    if not 0 < config.run.lock_heartbeat_seconds < config.run.lock_stale_seconds:
        raise fail("run.lock_heartbeat_seconds", "must be > 0 and below run.lock_stale_seconds")
    if config.run.lock_poll_seconds <= 0:
        raise fail("run.lock_poll_seconds", "must be > 0")
    if config.run.cascade_batch_days < 1 or config.run.backfill_max_days < 1:
        raise fail("run.cascade_batch_days", "and run.backfill_max_days must be >= 1")
    roots = dataclasses.asdict(config.paths).values()
    uses_s3 = any(str(root).startswith(("s3://", "s3a://")) for root in roots)
    storage = config.storage
    if uses_s3 and storage.multi_writer and not storage.log_store_class:
        raise fail(
            "storage.multi_writer",
            "is true on S3 but storage.log_store_class is not set: several writers on S3 "
            f"need the DynamoDB-backed log store ({DYNAMODB_LOG_STORE})",
        )
    if storage.log_store_class == DYNAMODB_LOG_STORE:
        for key in ("dynamodb_table", "dynamodb_region"):
            if not getattr(storage, key):
                raise fail(f"storage.{key}", f"must be set for the log store {DYNAMODB_LOG_STORE}")
        if "s3-dynamodb" not in config.spark.jar_profiles:
            raise fail(
                "spark.jar_profiles",
                f"must include 's3-dynamodb' (the JAR of {DYNAMODB_LOG_STORE}, see jars.lock)",
            )


def _with_log_store_conf(config: Config) -> Config:
    """Turn ``storage.log_store_class`` into Delta's Spark settings (explicit extra_conf wins).

    Without it Delta uses its default for S3 (S3SingleDriverLogStore): safe only while one
    writer at a time commits to a table, which the run lock guarantees per environment.
    """
    storage = config.storage
    if not storage.log_store_class:
        return config
    derived = {
        "spark.delta.logStore.s3a.impl": storage.log_store_class,
        "spark.delta.logStore.s3.impl": storage.log_store_class,
    }
    if storage.dynamodb_table:
        prefix = "spark.io.delta.storage.S3DynamoDBLogStore.ddb"
        derived[f"{prefix}.tableName"] = storage.dynamodb_table
        derived[f"{prefix}.region"] = storage.dynamodb_region or ""
    spark = dataclasses.replace(config.spark, extra_conf={**derived, **config.spark.extra_conf})
    return dataclasses.replace(config, spark=spark)
