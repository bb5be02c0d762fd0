"""The release built by scripts/package.sh: wheel with conf, JARs, manifest, entry points."""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile

import pytest

pytestmark = pytest.mark.cluster  # shares the (slow to build) release with the cluster test


def test_wheel_carries_the_code_and_the_configuration(release):
    wheel = next(release["dist"].glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("pipeline/cli.py", "pipeline/emr.py", "tables/io.py", "jobs/daily.py"):
        assert required in names
    for env in ("base", "local", "dev", "stage", "prod", "forge", "emr"):
        assert f"pipeline/conf/{env}.yaml" in names


def test_manifest_lists_every_file_with_its_checksum(release):
    dist = release["dist"]
    manifest = json.loads((dist / "MANIFEST.json").read_text())
    assert manifest["wheel"].startswith("inventory_activity-")
    assert {"jars-core.tar", "jars.lock", "spark_driver.py", "submit.sh"} <= set(manifest["files"])
    assert {"emr/bootstrap.sh", "emr/step.sh"} <= set(manifest["files"])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name


def test_installed_cli_finds_its_packaged_configuration(release):
    code = (
        "import pipeline.config as c, pipeline; "
        "print(pipeline.__file__); print(c.load_config('prod').paths.lake_root)"
    )
    out = subprocess.run(  # outside the checkout: `python -c` puts the cwd on sys.path
        [str(release["python"]), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=release["home"],
    ).stdout.split()
    assert "site-packages" in out[0]  # the wheel, not the checkout
    assert out[1].startswith("s3a://")
