"""Configuration: base + overlay + --set, validated with messages naming file and key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.config import ENVIRONMENTS, load_config
from pipeline.errors import ConfigError, ExitCode


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_loads_and_is_frozen(env):
    config = load_config(env)
    assert config.env == env
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.rules.lookback_days = 5  # type: ignore[misc]


def test_overlays_change_paths_and_log_format():
    local, prod = load_config("local"), load_config("prod")
    assert local.paths.lake_root == "data/lake"
    assert prod.paths.lake_root.startswith("s3a://")
    assert (local.logging.format, prod.logging.format) == ("console", "json")


def test_set_overrides_typed_values():
    config = load_config(
        "local", ["rules.lookback_days=5", "rules.page_weights.vdp=2.5", "spark.ui_enabled=true"]
    )
    assert config.rules.lookback_days == 5
    assert config.rules.page_weights == {"srp": 1.0, "featured": 1.5, "vdp": 2.5}
    assert config.spark.ui_enabled is True


def _conf_dir(tmp_path: Path, overlay: str) -> Path:
    real = Path(__file__).resolve().parents[2] / "conf"
    (tmp_path / "base.yaml").write_text((real / "base.yaml").read_text())
    (tmp_path / "local.yaml").write_text(overlay)
    return tmp_path


def test_unknown_key_names_file_and_key(tmp_path):
    conf = _conf_dir(tmp_path, "rules:\n  lookbak_days: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config("local", conf_dir=conf)
    assert "local.yaml" in str(err.value)
    assert "rules.lookbak_days" in str(err.value)
    assert err.value.exit_code == ExitCode.USAGE


def test_wrong_type_names_file_and_key(tmp_path):
    conf = _conf_dir(tmp_path, "run:\n  retries: many\n")
    with pytest.raises(ConfigError, match=r"local\.yaml: key 'run\.retries' must be an integer"):
        load_config("local", conf_dir=conf)


def test_missing_required_value(tmp_path):
    real = Path(__file__).resolve().parents[2] / "conf" / "base.yaml"
    text = real.read_text().replace("  raw_root: data/raw", "")
    (tmp_path / "base.yaml").write_text(text)
    (tmp_path / "local.yaml").write_text("{}\n")
    with pytest.raises(ConfigError, match=r"missing required key 'paths\.raw_root'"):
        load_config("local", conf_dir=tmp_path)


def test_bad_set_syntax_and_semantics():
    with pytest.raises(ConfigError, match=r"expected dotted\.key=value"):
        load_config("local", ["rules.lookback_days"])
    with pytest.raises(ConfigError, match=r"--set rules\.lookback_days=-1.*must be >= 0"):
        load_config("local", ["rules.lookback_days=-1"])
    with pytest.raises(ConfigError, match="unknown environment"):
        load_config("qa")


def test_multi_writer_on_s3_requires_dynamodb_log_store():
    with pytest.raises(ConfigError, match=r"storage\.multi_writer"):
        load_config("prod", ["storage.multi_writer=true"])
    config = load_config(
        "prod",
        [
            "storage.multi_writer=true",
            "storage.log_store_class=io.delta.storage.S3DynamoDBLogStore",
            "storage.dynamodb_table=delta_log",
            "storage.dynamodb_region=us-east-1",
            "spark.jar_profiles=core,s3,s3-dynamodb",
        ],
    )
    assert config.storage.multi_writer


def test_fingerprint_changes_with_rules_only():
    base = load_config("local")
    assert base.fingerprint() == load_config("local").fingerprint()
    assert base.fingerprint() != load_config("local", ["rules.lookback_days=3"]).fingerprint()
