"""Fixtures of the deploy tests: the packaged release, installed apart from the checkout."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

from tests.deploy.helpers import ROOT, run


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> dict[str, Path]:
    """``scripts/package.sh`` output, unpacked, with the wheel in a virtualenv of its own.

    The virtualenv sees the checkout's dependencies (pyspark, delta-spark, ...) through a
    .pth file but not the checkout itself: ``pipeline`` and its conf/ come from the wheel.
    """
    base = tmp_path_factory.mktemp("release")
    dist = base / "dist"
    run(["bash", str(ROOT / "scripts" / "package.sh"), "--out", str(dist), "--profiles", "core"])
    home = base / "home"
    (home / "jars").mkdir(parents=True)
    with tarfile.open(dist / "jars-core.tar") as tar:
        tar.extractall(home / "jars", filter="data")
    for name in ("spark_driver.py", "submit.sh"):
        (home / name).write_bytes((dist / name).read_bytes())
    (home / "submit.sh").chmod(0o755)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", purelib], capture_output=True, text=True, check=True
    )
    site = Path(found.stdout.strip())
    (site / "checkout_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    wheel = next(dist.glob("*.whl"))
    run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--no-deps", str(wheel)])  # fmt: skip
    return {"dist": dist, "home": home, "python": venv / "bin" / "python", "bin": venv / "bin"}


@pytest.fixture(autouse=True)
def fresh_logging():
    """Log to this test's stderr (a CLI call in an earlier test bound structlog to its own)."""
    from pipeline.logs import configure_logging

    configure_logging(fmt="console", level="INFO")
