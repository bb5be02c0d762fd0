"""The pipeline on S3: a real S3-compatible server (moto_server) on 127.0.0.1, every path s3a://.

Two generated dates are run through the CLI with the dev configuration (S3 JAR profile,
JSON logs); raw input, bronze, quarantine, silver, landing, core, reports and locks all
live in buckets. Credentials reach S3A only through the AWS default provider chain (the
AWS_* environment variables here); the endpoint is an ordinary --set. Every layer is then
read back through s3a:// in a separate process and checked against the raw files.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.deploy.helpers import (
    CLI,
    ROOT,
    SMALL_RUN,
    VENV_BIN,
    active_ids_from_raw,
    child,
    free_port,
    lake_overrides,
    run,
    wait_for_port,
)

pytestmark = [pytest.mark.s3, pytest.mark.e2e]

START = date(2026, 4, 6)
DAYS = 2
BUCKETS = {
    "raw": "cars-data-lake-raw-test",
    "lake": "cars-data-lake-test",
    "landing": "cars-data-lake-landing-test",
    "core": "cars-data-lake-core-test",
}
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto_server (PyPI moto[server]) on a free port of 127.0.0.1, stopped at the end."""
    if not (ROOT / ".jars" / "s3").is_dir():
        pytest.fail("the s3 JAR profile is not resolved: run `make setup`")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with child([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], log=log):
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"


def s3a_settings(endpoint: str) -> list[str]:
    """Endpoint and path-style access for the local server: settings, not credentials."""
    settings = {
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": "us-east-1",
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": "false",
        "fs.s3a.attempts.maximum": "3",
        "fs.s3a.retry.limit": "3",
    }
    out: list[str] = []
    for key, value in settings.items():
        out += ["--set", f"spark.extra_conf.spark.hadoop.{key}={value}"]
    return out


def upload(client, folder: Path, bucket: str, prefix: str) -> int:
    count = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder)}")
            count += 1
    return count


@pytest.fixture(scope="module")
def s3_lake(s3_server, tmp_path_factory):
    import boto3

    from pipeline.sample.generator import generate

    work = tmp_path_factory.mktemp("s3lake")
    # no contract-breaking rows: core is compared with the active listings of the raw files
    generate(
        raw_root=work / "raw", start=START, days=DAYS, listings=150, seed=21, bad_row_share=0.0
    )
    client = boto3.client("s3", endpoint_url=s3_server, **_boto_credentials())
    for bucket in BUCKETS.values():
        client.create_bucket(Bucket=bucket)
    assert upload(client, work / "raw", BUCKETS["raw"], "inventory-activity/raw") > 20
    options = [
        "--env", "dev",
        *lake_overrides(
            f"s3a://{BUCKETS['raw']}/inventory-activity/raw",
            f"s3a://{BUCKETS['lake']}/inventory-activity",
            f"s3a://{BUCKETS['landing']}/inventory-activity",
            f"s3a://{BUCKETS['core']}/inventory-activity",
        ),
        "--set", "spark.master=local[2]",
        *SMALL_RUN,
        *s3a_settings(s3_server),
    ]  # fmt: skip
    env = {**os.environ, **CREDENTIALS}
    for offset in range(DAYS):
        day = (START + timedelta(days=offset)).isoformat()
        run([CLI, "run", "--date", day, "--debug", *options], env=env)
    readback = run(
        [sys.executable, str(Path(__file__).with_name("read_lake.py")), *options], env=env
    )
    return work, client, json.loads(readback.strip().splitlines()[-1])


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": "us-east-1",
    }


def test_every_layer_is_written_to_its_bucket(s3_lake):
    _, client, result = s3_lake
    layers = {"bronze": "lake", "quarantine": "lake", "silver": "lake", "gold": "landing"}
    layers["core"] = "core"
    for qualified, info in result["tables"].items():
        layer = qualified.split(".")[0]
        if layer not in layers or (layer == "quarantine" and not info["exists"]):
            continue  # a quarantine table is created by the first rejected row
        assert info["exists"], qualified
        assert info["path"].startswith(f"s3a://{BUCKETS[layers[layer]]}/"), info["path"]
    for bucket in ("lake", "landing", "core"):
        keys = client.list_objects_v2(Bucket=BUCKETS[bucket], Prefix="inventory-activity/")
        names = [o["Key"] for o in keys.get("Contents", [])]
        assert any("/_delta_log/" in n for n in names), bucket
        assert any(n.endswith(".parquet") for n in names), bucket


def test_each_date_has_rows_in_every_layer(s3_lake):
    _, _, result = s3_lake
    days = {(START + timedelta(days=i)).isoformat() for i in range(DAYS)}
    for qualified, info in result["tables"].items():
        layer, name = qualified.split(".", 1)
        facts = layer == "bronze" and name in ("vehicle", "imp_daily", "dw_lead")
        if layer in ("silver", "gold", "core") or facts:
            assert set(info["dates"]) >= days, (qualified, info["dates"])
            assert all(info["dates"][d] > 0 for d in days), (qualified, info["dates"])


def test_core_matches_the_raw_snapshots_and_landing(s3_lake):
    work, _, result = s3_lake
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        expected = active_ids_from_raw(work / "raw", day)
        assert set(result["core_vehicle_ids"][day.isoformat()]) == expected, day
    for name, gold in result["gold"].items():
        assert gold["landing_equals_core"], name


def test_no_credentials_in_configuration_files():
    for path in (ROOT / "conf").glob("*.yaml"):
        text = path.read_text().lower()
        for marker in (
            "access.key",
            "secret.key",
            "aws_access_key_id",
            "aws_secret",
            "session.token",
        ):
            assert marker not in text, (path.name, marker)
