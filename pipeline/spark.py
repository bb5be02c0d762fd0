"""The one SparkSession builder. Runners receive the session; tests pass their own."""

from __future__ import annotations

import os
from pathlib import Path

from pyspark.sql import SparkSession

from pipeline.config import SparkConfig
from pipeline.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}
LEAN_DEFAULTS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.sql.sources.partitionOverwriteMode": "static",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
    "spark.databricks.delta.retentionDurationCheck.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}

# S3A through the "s3" JAR profile (hadoop-aws 3.3.4 + its AWS SDK). Credentials come only
# from the AWS default provider chain (environment, web identity, ~/.aws profile, container
# or instance profile), never from configuration files. An S3-compatible endpoint and path
# style access are passed like any setting:
#   --set spark.extra_conf.spark.hadoop.fs.s3a.endpoint=URL
S3A_DEFAULTS = {
    "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    "spark.hadoop.fs.s3a.aws.credentials.provider": (
        "com.amazonaws.auth.DefaultAWSCredentialsProviderChain"
    ),
    "spark.hadoop.fs.s3a.fast.upload": "true",
    "spark.hadoop.fs.s3a.committer.magic.enabled": "false",
}


def jar_paths(jars_dir: str | None, profiles: tuple[str, ...]) -> list[str]:
    """JARs resolved at setup (scripts/resolve_jars.py) for the given profiles."""
    base = Path(jars_dir or os.environ.get("INVENTORY_ACTIVITY_JARS", PROJECT_ROOT / ".jars"))
    paths: list[str] = []
    for profile in profiles:
        folder = base / profile
        jars = sorted(folder.glob("*.jar"))
        if not jars:
            raise ConfigError(
                f"no JARs for profile '{profile}' in {folder}: run `make setup` "
                "(it resolves them from Maven Central once)"
            )
        paths.extend(str(j) for j in jars)
    return paths


def build_spark(config: SparkConfig, *, extra: dict[str, str] | None = None) -> SparkSession:
    """Create (or return the running) SparkSession with Delta, UTC and lean defaults."""
    builder = SparkSession.builder.appName(config.app_name)
    if config.master:
        builder = builder.master(config.master)
    settings = dict(LEAN_DEFAULTS)
    settings.update(DELTA_CONF)
    settings["spark.sql.shuffle.partitions"] = str(config.shuffle_partitions)
    settings["spark.ui.enabled"] = str(config.ui_enabled).lower()
    settings["spark.driver.memory"] = config.driver_memory
    if config.jar_profiles:
        settings["spark.jars"] = ",".join(jar_paths(config.jars_dir, config.jar_profiles))
    if "s3" in config.jar_profiles:
        settings.update(S3A_DEFAULTS)
    settings.update(config.extra_conf)
    settings.update(extra or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
