"""Suites as data: loading, parameters, and the traps refused when a suite loads."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from quality.suite import LAYERS, SuiteError, load_suite, load_suites, resolve

DAY = date(2026, 2, 3)
COMMON = {
    "row_count_floor",
    "row_count_not_collapsed",
    "row_count_not_spiked",
    "columns_match_contract",
    "types_match_contract",
    "quarantine_rate",
}


@pytest.fixture(scope="module")
def config():
    return load_config("local")


def _write(tmp_path: Path, text: str, name: str = "bronze.vehicle.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_layer_has_suites_with_both_severities(config):
    for layer in LAYERS:
        suites = load_suites(config, layer)
        assert suites, layer
        severities = {c.severity for s in suites for c in s.checks}
        assert "blocking" in severities, layer
    tables = {s.table for layer in LAYERS for s in load_suites(config, layer)}
    assert {"bronze.vehicle", "silver.listing_features", "gold.segment_activity"} <= tables


def test_every_bronze_table_has_a_suite_with_the_shared_checks(config):
    from tables import specs

    suites = {s.table: s for s in load_suites(config, "bronze")}
    assert set(suites) == {f"bronze.{name}" for name in specs.BRONZE}
    for table, suite in suites.items():
        if table == "bronze.competitor_listing":  # third-party feed: its own, warning-only suite
            assert {c.severity for c in suite.checks} == {"warning"}
            continue
        assert {c.id for c in suite.checks} >= COMMON, table


def test_every_configured_expectation_builds_in_great_expectations(config):
    from quality import gx_adapter

    for layer in LAYERS:
        for suite in load_suites(config, layer):
            resolved = resolve(suite, config, DAY)
            for check in resolved.checks:
                built = (
                    gx_adapter.build_expectation(check)
                    if check.expect
                    else gx_adapter.build_metric_expectation(check)
                )
                assert built.meta == {"id": check.id}


def test_parameters_come_from_config_and_the_date(config):
    overridden = load_config(
        "local", ["quality.bad_vin_block_rate=0.2", "quality.row_count_floors.bronze.vehicle=7"]
    )
    suite = next(s for s in load_suites(overridden, "bronze") if s.table == "bronze.vehicle")
    resolved = resolve(suite, overridden, DAY)
    assert resolved.check("vin_check_digit_block").mostly == pytest.approx(0.8)
    assert resolved.check("row_count_floor").kwargs == {"min_value": 7}
    assert resolved.check("updated_at_in_range").kwargs["max_value"] == datetime(
        2026, 2, 3, 23, 59, 59, 999999
    )
    assert "vin_check_ok" in resolved.check("columns_match_contract").kwargs["column_set"]
    lead = next(s for s in load_suites(config, "bronze") if s.table == "bronze.dw_lead")
    assert resolve(lead, config, DAY).check("lead_ts_in_range").kwargs["min_value"] == datetime(
        2026, 1, 27
    )


def test_range_check_on_a_nullable_column_needs_a_null_check(tmp_path):
    base = """
table: bronze.vehicle
expectations:
  - {id: floor, severity: blocking, expect: expect_table_row_count_to_be_between,
     kwargs: {min_value: 1}}
  - {id: price_in_range, severity: blocking, expect: expect_column_values_to_be_between,
     column: price, kwargs: {min_value: 0}}
"""
    with pytest.raises(SuiteError, match=r"price_in_range.*nullable column 'price'"):
        load_suite(_write(tmp_path, base))
    paired = base + (
        "  - {id: price_nulls, severity: warning, column: price,\n"
        "     expect: expect_column_proportion_of_non_null_values_to_be_between,"
        " kwargs: {min_value: 0.9}}\n"
    )
    assert len(load_suite(_write(tmp_path, paired)).checks) == 3


def test_derived_columns_are_paired_through_their_source(tmp_path):
    text = """
table: bronze.vehicle
derived:
  vin_ok: {function: vin_check_digit_ok, column: vin}
expectations:
  - {id: floor, severity: blocking, expect: expect_table_row_count_to_be_between,
     kwargs: {min_value: 1}}
  - {id: vin_ok, severity: warning, expect: expect_column_values_to_be_in_set,
     column: vin_ok, kwargs: {value_set: [true]}}
"""
    with pytest.raises(SuiteError, match="nullable column 'vin'"):
        load_suite(_write(tmp_path, text))


def test_a_suite_without_a_row_count_floor_is_refused(tmp_path):
    text = """
table: bronze.make
expectations:
  - {id: make_id_not_null, severity: blocking, expect: expect_column_values_to_not_be_null,
     column: make_id}
  - {id: floor, severity: blocking, expect: expect_table_row_count_to_be_between,
     kwargs: {min_value: 0}}
"""
    with pytest.raises(SuiteError, match="empty batch must fail"):
        load_suite(_write(tmp_path, text, "bronze.make.yaml"))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{id: a, severity: fatal, expect: expect_table_row_count_to_be_between}", "severity"),
        ("{id: a, severity: warning}", "exactly one of"),
        ("{id: a, severity: warning, metric: quarantine_rate}", "needs 'min'"),
        ("{id: a, severity: warning, expect: x, mostly: 1.5}", "mostly"),
        ("{id: a, severity: warning, expect: x, colum: price}", "unknown key"),
    ],
)
def test_malformed_expectations_name_file_and_check(tmp_path, entry, message):
    path = _write(tmp_path, f"table: bronze.make\nexpectations:\n  - {entry}\n", "bronze.make.yaml")
    with pytest.raises(SuiteError, match=message) as error:
        load_suite(path)
    assert str(path) in str(error.value)


def test_unknown_parameter_is_reported_at_load(tmp_path):
    (tmp_path / "bronze.make.yaml").write_text(
        "table: bronze.make\nexpectations:\n"
        "  - {id: floor, severity: blocking, expect: expect_table_row_count_to_be_between,\n"
        "     kwargs: {min_value: '${quality.no_such_key}'}}\n"
    )
    config = load_config("local", [f"quality.suites_dir={tmp_path}"])
    with pytest.raises(ConfigError, match=r"unknown parameter '\$\{quality.no_such_key\}'"):
        load_suites(config, "bronze")
