"""Lake writers on real Delta tables under a temp dir: MERGE of dates, replaceWhere."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pyspark.sql import types as T

from pipeline.config import PathsConfig
from tables.io import Lake
from tables.specs import PARTITION, TableSpec

SPEC = TableSpec(
    name="probe",
    layer="silver",
    schema=T.StructType(
        [
            T.StructField(PARTITION, T.DateType(), False),
            T.StructField("vehicle_id", T.LongType(), False),
            T.StructField("price", T.IntegerType(), True),
        ]
    ),
    merge_keys=(PARTITION, "vehicle_id"),
    grain="one row per (filedate, vehicle_id)",
    description="A probe table for the writer tests.",
)
D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture
def lake(spark, tmp_path):
    root = str(tmp_path / "lake")
    paths = PathsConfig(root, root, f"{root}/landing", f"{root}/core", root, root)
    return Lake(spark, paths)


def _frame(spark, rows):
    return spark.createDataFrame(rows, SPEC.schema)


def _content(lake):
    return sorted(tuple(r) for r in lake.read(SPEC).collect())


def _history(lake, spark):
    from delta.tables import DeltaTable

    rows = DeltaTable.forPath(spark, lake.path(SPEC)).history().orderBy("version").collect()
    return [(r["operation"], r["operationParameters"]) for r in rows]


def test_merge_dates_upserts_and_deletes_only_the_named_date(lake, spark):
    lake.merge_dates(SPEC, _frame(spark, [(D1, 1, 100), (D2, 1, 100), (D2, 2, 200)]), [D1, D2])
    # D2 again: vehicle 1 repriced, vehicle 2 gone, vehicle 3 new; D1 must stay as it was
    lake.merge_dates(SPEC, _frame(spark, [(D2, 1, 90), (D2, 3, 300)]), [D2])

    assert _content(lake) == [(D1, 1, 100), (D2, 1, 90), (D2, 3, 300)]
    operation, params = _history(lake, spark)[-1]
    assert operation == "MERGE"
    assert "(filedate#" in params["predicate"] and "= 2026-03-02)" in params["predicate"]
    assert "2026-03-01" not in params["predicate"]
    assert json.loads(params["predicate"])[0].count("2026-03") == 1  # one literal date


def test_merge_dates_ignores_source_rows_of_other_dates(lake, spark):
    lake.merge_dates(SPEC, _frame(spark, [(D1, 1, 100)]), [D1])
    lake.merge_dates(SPEC, _frame(spark, [(D1, 1, 1), (D2, 5, 500)]), [D2])
    assert _content(lake) == [(D1, 1, 100), (D2, 5, 500)]


def test_rerunning_a_merge_three_times_changes_nothing(lake, spark):
    rows = [(D1, 1, 100), (D1, 2, None)]
    for _ in range(3):
        lake.merge_dates(SPEC, _frame(spark, rows), [D1])
    assert _content(lake) == sorted(rows, key=lambda r: r[1])
    operations = [op for op, _ in _history(lake, spark)]
    assert operations[0] == "CREATE TABLE" and operations[1:] == ["MERGE"] * 3


def test_the_table_is_created_from_its_spec(lake, spark):
    lake.merge_dates(SPEC, _frame(spark, [(D1, 1, 100)]), [D1])
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{lake.path(SPEC)}`").first()
    assert detail["partitionColumns"] == [PARTITION]
    assert "Grain: one row per (filedate, vehicle_id)" in detail["description"]
    assert [f.nullable for f in lake.read(SPEC).schema] == [False, False, True]


def test_replace_window_overwrites_exactly_the_range(lake, spark):
    lake.replace_dates(SPEC, _frame(spark, [(D1, 1, 1), (D2, 2, 2), (D3, 3, 3)]), [D1, D2, D3])
    lake.replace_window(SPEC, _frame(spark, [(D2, 9, 9)]), D2, D3)

    assert _content(lake) == [(D1, 1, 1), (D2, 9, 9)]
    operation, params = _history(lake, spark)[-1]
    assert operation == "WRITE"
    assert params["mode"] == "Overwrite"
    assert "2026-03-01" not in params["predicate"] and "2026-03-02" in params["predicate"]


def test_a_frame_missing_a_spec_column_is_refused_by_name(lake, spark):
    frame = _frame(spark, [(D1, 1, 100)]).drop("price")
    with pytest.raises(ValueError, match=r"silver\.probe.*price"):
        lake.merge_dates(SPEC, frame, [D1])
