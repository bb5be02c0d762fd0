"""S3 and Delta log store configuration, config lookup of an installed wheel, JAR lock."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pipeline.config import CONF_DIR_ENV, DYNAMODB_LOG_STORE, default_conf_dir, load_config
from pipeline.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
DYNAMO = [
    "storage.multi_writer=true",
    f"storage.log_store_class={DYNAMODB_LOG_STORE}",
    "storage.dynamodb_table=delta_log",
    "storage.dynamodb_region=eu-west-1",
    "spark.jar_profiles=core,s3,s3-dynamodb",
]


def test_s3_environments_use_s3a_and_the_s3_jars():
    for env in ("dev", "stage", "prod", "forge"):
        config = load_config(env)
        assert config.paths.raw_root.startswith("s3a://")
        assert config.paths.lake_root.startswith("s3a://")
        assert "s3" in config.spark.jar_profiles
        assert config.storage.multi_writer is False


def test_multi_writer_without_log_store_is_refused_even_if_only_core_is_on_s3():
    with pytest.raises(ConfigError, match=r"storage\.multi_writer"):
        load_config("local", ["storage.multi_writer=true", "paths.core_root=s3a://b/core"])


def test_dynamodb_log_store_becomes_delta_settings():
    extra = load_config("prod", DYNAMO).spark.extra_conf
    assert extra["spark.delta.logStore.s3a.impl"] == DYNAMODB_LOG_STORE
    assert extra["spark.delta.logStore.s3.impl"] == DYNAMODB_LOG_STORE
    prefix = "spark.io.delta.storage.S3DynamoDBLogStore.ddb"
    assert extra[f"{prefix}.tableName"] == "delta_log"
    assert extra[f"{prefix}.region"] == "eu-west-1"


@pytest.mark.parametrize(
    ("drop", "key"),
    [
        ("storage.dynamodb_table=delta_log", "storage.dynamodb_table"),
        ("spark.jar_profiles=core,s3,s3-dynamodb", "spark.jar_profiles"),
    ],
)
def test_dynamodb_log_store_needs_its_table_and_jar(drop, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config("prod", [o for o in DYNAMO if o != drop])


def test_dotted_spark_settings_and_booleans_via_set():
    config = load_config(
        "dev",
        [
            "spark.extra_conf.spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9000",
            "spark.extra_conf.spark.hadoop.fs.s3a.path.style.access=true",
            "rules.page_weights.vdp=2.5",
        ],
    )
    assert config.spark.extra_conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert config.spark.extra_conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert config.rules.page_weights["vdp"] == 2.5


def test_conf_dir_from_the_environment(tmp_path, monkeypatch):
    (tmp_path / "base.yaml").write_text((ROOT / "conf" / "base.yaml").read_text())
    (tmp_path / "local.yaml").write_text("logging:\n  format: json\n")
    monkeypatch.setenv(CONF_DIR_ENV, str(tmp_path))
    assert default_conf_dir() == tmp_path
    assert load_config("local").logging.format == "json"
    monkeypatch.delenv(CONF_DIR_ENV)
    assert (default_conf_dir() / "base.yaml").is_file()


def test_jar_lock_profiles():
    spec = importlib.util.spec_from_file_location("resolve_jars", ROOT / "scripts/resolve_jars.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    default = module.read_lock(ROOT / "jars.lock")
    every, optional = module.read_lock_all(ROOT / "jars.lock")
    assert set(default) == {"core", "s3"}
    assert optional == {"s3-dynamodb"}
    assert "org.apache.hadoop:hadoop-aws:3.3.4" in default["s3"]
    assert "com.amazonaws:aws-java-sdk-bundle:1.12.262" in default["s3"]
    assert every["s3-dynamodb"] == ["io.delta:delta-storage-s3-dynamodb:3.3.2"]
