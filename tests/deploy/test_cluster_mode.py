"""Cluster mode: the packaged release on a Spark standalone cluster (1 master, 2 workers).

The same wheel runs one date twice on the same generated input: in local mode through its
installed ``inventory-activity`` command, and with ``spark-submit`` (deploy/submit.sh) on a
cluster started by scripts/local_cluster.sh from the installed PySpark. Every table's rows
per date and the gold content (run metadata aside) must be equal. Quality gates are off in
both runs (they run in the S3 test); they would double the time and compare nothing more.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from tests.deploy.helpers import ROOT, SMALL_RUN, free_port, lake_overrides, run

pytestmark = [pytest.mark.cluster, pytest.mark.e2e]

DAY = date(2026, 5, 4)
APP = "inventory-activity-cluster-test"


def _options(raw: Path, root: Path) -> list[str]:
    lake = root / "lake"
    paths = lake_overrides(str(raw), str(lake), str(lake / "landing"), str(lake / "core"))
    # The gates run in the S3 test; here only what the engine computes is compared.
    return ["--env", "local", *paths, *SMALL_RUN, "--set", "quality.enabled=false"]


def _env(release, **extra: str) -> dict[str, str]:
    """The installed release's JARs, as an unpacked release points to them."""
    return {**os.environ, "INVENTORY_ACTIVITY_JARS": str(release["home"] / "jars"), **extra}


def _read(release, options: list[str]) -> dict:
    script = Path(__file__).with_name("read_lake.py")
    out = run([str(release["python"]), str(script), "--digest", *options], env=_env(release))
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and two workers on 127.0.0.1; stopped even when a test fails."""
    state = tmp_path_factory.mktemp("cluster")
    env = {
        **os.environ,
        "MASTER_PORT": str(free_port()),
        "MASTER_WEBUI_PORT": str(free_port()),
        "WORKERS": "2",
        "WORKER_CORES": "1",
        "WORKER_MEMORY": "1g",
    }
    script = str(ROOT / "scripts" / "local_cluster.sh")
    try:
        url = run(["bash", script, "start", str(state)], env=env, timeout=180).strip()
        yield {"url": url.splitlines()[-1], "webui": int(env["MASTER_WEBUI_PORT"])}
    finally:
        run(["bash", script, "stop", str(state)], env=env)


def test_spark_submit_on_the_cluster_equals_local_mode(release, cluster, tmp_path):
    from pipeline.sample.generator import generate

    generate(raw_root=tmp_path / "raw", start=DAY, days=1, listings=150, seed=33)
    local_opts = _options(tmp_path / "raw", tmp_path / "local")
    cluster_opts = _options(tmp_path / "raw", tmp_path / "cluster")
    # Local mode, through the command the wheel installed.
    command = [str(release["bin"] / "inventory-activity"), "run", "--date", DAY.isoformat()]
    run([*command, *local_opts], env=_env(release))
    # Cluster mode: spark-submit decides the master, so the configured local[2] is unset.
    env = _env(
        release,
        PYSPARK_PYTHON=str(release["python"]),
        PYSPARK_DRIVER_PYTHON=str(release["python"]),
        SPARK_SUBMIT=str(Path(sys.executable).parent / "spark-submit"),
        SPARK_LOCAL_IP="127.0.0.1",
    )
    submit = [
        str(release["home"] / "submit.sh"),
        "--master", cluster["url"],
        "--conf", "spark.executor.memory=768m",
        "--conf", "spark.executor.cores=1",
        "--conf", "spark.cores.max=2",
        "--conf", "spark.driver.host=127.0.0.1",
        "--",
        "run", "--date", DAY.isoformat(), *cluster_opts,
        "--set", "spark.master=null", "--set", f"spark.app_name={APP}",
    ]  # fmt: skip
    run(submit, env=env)

    with urllib.request.urlopen(f"http://127.0.0.1:{cluster['webui']}/json/", timeout=5) as page:
        master = json.load(page)
    assert master["aliveworkers"] == 2
    apps = [a for a in master["completedapps"] if a["name"] == APP]
    assert apps and apps[0]["cores"] == 2, master["completedapps"]

    local, remote = _read(release, local_opts), _read(release, cluster_opts)
    assert local["tables"].keys() == remote["tables"].keys()
    for table, info in local["tables"].items():
        assert info.get("dates") == remote["tables"][table].get("dates"), table
    assert local["gold"] == remote["gold"]
    assert local["gold"]["inventory_activity"]["core"], "no gold rows to compare"
