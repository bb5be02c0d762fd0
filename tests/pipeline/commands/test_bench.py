"""``inventory-activity bench``: the harness runs end to end on a tiny input.

Asserts the structure of the JSON line it appends (phases, ratios, machine, versions) and
that DuckDB's gold rows equal the pipeline's; never timings. No history phase here (it is
a loop of the same daily run); :func:`bench.harness.ratios` is checked on its own.
"""

from __future__ import annotations

import json

import pytest

from bench import chart, harness
from pipeline.cli import main

RATIOS = (
    "pipeline_over_floor",
    "gold_over_duckdb",
    "gates_share",
    "rerun_over_first",
    "driver_memory_gib",
)
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bench_record(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    code = main(
        [
            "bench", "--listings", "200", "--history-days", "0",
            "--no-warmup", "--workdir", str(root / "work"), "--results-dir", str(root / "results"),
            "--set", "run.retries=0",
        ]
    )  # fmt: skip
    assert code == 0
    lines = (root / "results" / harness.RESULTS_FILE).read_text().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0]), root / "results"


def test_json_line_has_every_phase_and_no_errors(bench_record):
    record, _ = bench_record
    assert "errors" not in record
    for phase in ("run", "floor", "peer", "rerun"):
        assert phase in record and "error" not in record[phase], phase
    run = record["run"]
    assert set(run["stages"]) >= {"ingest", "silver", "gold", "publish"}
    assert run["rows"]["gold"] > 0
    assert run["memory"]["java_rss_peak_mb"] > 0
    assert run["memory"]["python_rss_peak_mb"] > 0
    assert "history" not in record
    assert record["tier"] == "n200" and record["listings"] == 200


def test_ratios_are_present_and_positive(bench_record):
    record, _ = bench_record
    for key in RATIOS:
        if key == "gates_share" and not record["quality_enabled"]:
            continue
        assert record["ratios"][key] is not None and record["ratios"][key] > 0, key
    assert record["ratios"]["day_last_over_day1"] is None  # no history asked for
    assert set(record["targets"]) >= {*RATIOS, "day_last_over_day1"}


def test_duckdb_gives_the_pipelines_gold_rows(bench_record):
    record, _ = bench_record
    check = record["peer"]["check"]
    assert check["same_rows"], check
    assert check["spark_rows"] == check["duckdb_rows"] == record["run"]["rows"]["gold"]


def test_machine_versions_and_commit_are_recorded(bench_record):
    record, _ = bench_record
    assert record["machine"]["cpus"] >= 1
    assert record["versions"]["spark"] and record["versions"]["duckdb"]
    assert "commit" in record["git"]


def test_chart_is_written_next_to_the_results(bench_record):
    _, results = bench_record
    svg = (results / harness.CHART_FILE).read_text()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_ratios_and_chart_need_no_spark(tmp_path):
    record = {
        "run": {"seconds": 10.0, "stages": {"ingest": 4.0, "gate_bronze": 1.0}, "memory": {}},
        "floor": {"seconds": 5.0},
        "peer": {"spark_gold_seconds": [3.0, 2.0], "duckdb_seconds": [0.5, 0.4]},
        "rerun": {"seconds": 11.0, "memory": {"java_rss_peak_mb": 2048}},
        "history": {"tier": "S", "days": [{"seconds": 8.0, "stages": {"ingest": 8.0}}] * 2},
    }
    ratios = harness.ratios(record)
    assert ratios["pipeline_over_floor"] == 2.0
    assert ratios["gold_over_duckdb"] == 5.0
    assert ratios["gates_share"] == 0.1
    assert ratios["rerun_over_first"] == 1.1
    assert ratios["day_last_over_day1"] == 1.0
    assert ratios["driver_memory_gib"] == 2.0
    out = chart.write_svg([record | {"ratios": ratios, "tier": "S"}], tmp_path / "c.svg")
    assert "<polyline" not in out.read_text()  # one run: points, no line
    assert "<circle" in out.read_text()
