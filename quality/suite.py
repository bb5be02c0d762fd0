"""Quality suites as data: one YAML file per table under ``quality/suites/``.

A suite names the table it guards (``layer.name`` of a spec in :mod:`tables.specs`) and a
list of checks. Each check has an ``id`` (unique in the suite), a ``severity``
(``blocking`` or ``warning``) and either

- ``expect``: a Great Expectations 1.x expectation run on the persisted Spark batch of one
  date, with ``column``, ``mostly`` and ``kwargs``; or
- ``metric``: a value computed with Spark by :mod:`quality.metrics` (row count against
  history, schema drift, quarantine share, cross-table totals...) that the adapter checks
  with ``expect_column_values_to_be_between`` on a one-row frame, bounded by ``min``/``max``.

Values of the form ``"${name}"`` are replaced when a date is validated: ``quality.*`` and
``rules.*`` name configuration keys, the rest are per-date values
(:func:`quality.params.date_params`).
Files starting with ``_`` are shared blocks pulled in with ``include``.

Two traps are refused when a suite loads (:class:`SuiteError`):

- GX map expectations skip nulls, so every set, range or pattern check on a nullable
  column needs an explicit null check (``expect_column_values_to_not_be_null`` or
  ``expect_column_proportion_of_non_null_values_to_be_between``) on the same column;
- an empty batch makes map expectations pass vacuously, so every suite needs a row-count
  floor of at least one row (the gate also fails every check of an empty batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import Config
from pipeline.errors import ConfigError
from quality.params import PARAM, date_params, substitute
from tables import specs

SUITES_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("blocking", "warning")
LAYERS = ("bronze", "silver", "gold")

ROW_COUNT = "expect_table_row_count_to_be_between"
NULL_CHECKS = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_proportion_of_non_null_values_to_be_between",
    }
)
# Map expectations that silently skip null values (GX filters nulls before the condition).
NULL_SKIPPING = frozenset(
    {
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_values_to_be_unique",
    }
)
# Checks that describe the table's shape and stay meaningful on an empty batch.
SCHEMA_CHECKS = frozenset({"expect_table_columns_to_match_set", "schema_mismatches"})
_KEYS = {"id", "severity", "expect", "metric", "column", "mostly", "kwargs", "params", "min", "max"}
_KEYS |= {"description"}


class SuiteError(ConfigError):
    """A suite file that cannot be used (names the file and the check)."""


@dataclass(frozen=True)
class Check:
    """One configured expectation of a suite."""

    id: str
    severity: str
    expect: str | None = None
    metric: str | None = None
    column: str | None = None
    mostly: float | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    min: Any = None
    max: Any = None
    description: str = ""

    @property
    def kind(self) -> str:
        """The GX expectation type, or ``metric:<name>`` for a Spark-computed metric."""
        return self.expect if self.metric is None else f"metric:{self.metric}"


@dataclass(frozen=True)
class Derived:
    """A column computed on the batch before validation (see :mod:`quality.derived`)."""

    name: str
    function: str
    column: str


@dataclass(frozen=True)
class Suite:
    """The checks of one table, as loaded from ``quality/suites/<layer>.<table>.yaml``."""

    table: str
    path: str
    checks: tuple[Check, ...]
    derived: tuple[Derived, ...] = ()
    description: str = ""
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def layer(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def spec(self) -> specs.TableSpec:
        return spec_for(self.table)

    def check(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)


def spec_for(table: str) -> specs.TableSpec:
    """The table spec of a qualified name such as ``bronze.vehicle``."""
    layer, _, name = table.partition(".")
    registry = {"bronze": specs.BRONZE, "silver": specs.SILVER, "gold": specs.GOLD}
    try:
        return registry[layer][name]
    except KeyError:
        raise SuiteError(f"unknown table '{table}' (expected e.g. bronze.vehicle)") from None


# ------------------------------------------------------------------------------ loading


def suites_dir(config: Config) -> Path:
    return Path(config.quality.suites_dir) if config.quality.suites_dir else SUITES_DIR


def load_suites(config: Config, layer: str) -> tuple[Suite, ...]:
    """Every suite of ``layer`` in file-name order, validated against the config."""
    if layer not in LAYERS:
        raise SuiteError(f"unknown layer '{layer}'; choose one of {', '.join(LAYERS)}")
    folder = suites_dir(config)
    suites = tuple(s for s in _load_folder(str(folder)) if s.layer == layer)
    for suite in suites:
        resolve(suite, config, date(2000, 1, 3), table_params={})  # fail early on bad names
    return suites


@lru_cache(maxsize=8)
def _load_folder(folder: str) -> tuple[Suite, ...]:
    root = Path(folder)
    if not root.is_dir():
        raise SuiteError(f"{root}: quality suites folder not found")
    files = sorted(p for p in root.glob("*.yaml") if not p.name.startswith("_"))
    return tuple(load_suite(p) for p in files)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SuiteError(f"{path}: top level must be a mapping")
    return data


def load_suite(path: Path) -> Suite:
    """Parse one suite file (with its includes) and check the traps listed above."""
    data = _read(path)
    unknown = set(data) - {"table", "description", "include", "derived", "vars", "expectations"}
    if unknown:
        raise SuiteError(f"{path}: unknown key(s) {sorted(unknown)}")
    table = data.get("table")
    if not isinstance(table, str):
        raise SuiteError(f"{path}: 'table' (e.g. bronze.vehicle) is required")
    entries: list[Any] = []
    for name in data.get("include") or []:
        entries.extend(_read(path.parent / f"{name}.yaml").get("expectations") or [])
    entries.extend(data.get("expectations") or [])
    checks = tuple(_check(path, entry) for entry in entries)
    derived = tuple(
        Derived(name, str(d.get("function")), str(d.get("column")))
        for name, d in (data.get("derived") or {}).items()
    )
    suite = Suite(
        table=table,
        path=str(path),
        checks=checks,
        derived=derived,
        description=str(data.get("description") or ""),
        vars=dict(data.get("vars") or {}),
    )
    spec_for(table)
    _check_ids(suite)
    _check_null_pairing(suite)
    _check_row_count_floor(suite)
    return suite


def _check(path: Path, entry: Any) -> Check:
    if not isinstance(entry, dict):
        raise SuiteError(f"{path}: every expectation must be a mapping, got {entry!r}")
    where = f"{path}: expectation '{entry.get('id', '?')}'"
    unknown = set(entry) - _KEYS
    if unknown:
        raise SuiteError(f"{where}: unknown key(s) {sorted(unknown)}")
    if not isinstance(entry.get("id"), str) or not entry["id"]:
        raise SuiteError(f"{where}: 'id' is required")
    if entry.get("severity") not in SEVERITIES:
        raise SuiteError(f"{where}: 'severity' must be blocking or warning")
    if ("expect" in entry) == ("metric" in entry):
        raise SuiteError(f"{where}: give exactly one of 'expect' or 'metric'")
    if "metric" in entry and "min" not in entry and "max" not in entry:
        raise SuiteError(f"{where}: a metric check needs 'min' and/or 'max'")
    mostly = entry.get("mostly")
    number = isinstance(mostly, int | float) and 0 < mostly <= 1
    parameter = isinstance(mostly, str) and PARAM.match(mostly)
    if mostly is not None and not (number or parameter):
        raise SuiteError(f"{where}: 'mostly' must be in (0, 1] or a ${{parameter}}")
    return Check(
        id=entry["id"],
        severity=entry["severity"],
        expect=entry.get("expect"),
        metric=entry.get("metric"),
        column=entry.get("column"),
        mostly=mostly,
        kwargs=dict(entry.get("kwargs") or {}),
        params=dict(entry.get("params") or {}),
        min=entry.get("min"),
        max=entry.get("max"),
        description=str(entry.get("description") or ""),
    )


def _check_ids(suite: Suite) -> None:
    seen: set[str] = set()
    for check in suite.checks:
        if check.id in seen:
            raise SuiteError(f"{suite.path}: duplicate expectation id '{check.id}'")
        seen.add(check.id)


def _source_column(suite: Suite, column: str) -> str:
    for derived in suite.derived:
        if derived.name == column:
            return derived.column
    return column


def _nullable(suite: Suite, column: str) -> bool:
    fields = {f.name: f for f in suite.spec.schema.fields}
    return column not in fields or fields[column].nullable


def _check_null_pairing(suite: Suite) -> None:
    """Refuse a set/range/pattern check on a nullable column without a null check."""
    null_checked = {
        _source_column(suite, c.column) for c in suite.checks if c.expect in NULL_CHECKS
    }
    for check in suite.checks:
        if check.expect not in NULL_SKIPPING or check.column is None:
            continue
        source = _source_column(suite, check.column)
        if _nullable(suite, source) and source not in null_checked:
            raise SuiteError(
                f"{suite.path}: expectation '{check.id}' ({check.expect}) on nullable "
                f"column '{source}' needs a null-rate check on that column too (GX map "
                "expectations skip nulls, so nulls would pass unseen)"
            )


def _check_row_count_floor(suite: Suite) -> None:
    """Refuse a suite that an empty batch could pass: it needs a row-count floor >= 1."""
    for check in suite.checks:
        if check.expect == ROW_COUNT and check.kwargs.get("min_value") not in (None, 0):
            return
    raise SuiteError(
        f"{suite.path}: needs an '{ROW_COUNT}' check with min_value >= 1 "
        "(an empty batch must fail, not pass vacuously)"
    )


# --------------------------------------------------------------------------- parameters


def resolve(
    suite: Suite, config: Config, day: date, *, table_params: dict[str, Any] | None = None
) -> Suite:
    """The suite with every ``${name}`` replaced by its value for ``day``."""
    values = date_params(config, day, suite.table)
    values["spec_columns"] = [*values["spec_columns"], *(d.name for d in suite.derived)]
    values |= substitute(suite.vars, config, values, f"{suite.path}: vars")
    values |= table_params or {}
    checks = []
    for check in suite.checks:
        where = f"{suite.path}: expectation '{check.id}'"
        checks.append(
            Check(
                id=check.id,
                severity=check.severity,
                expect=check.expect,
                metric=check.metric,
                column=check.column,
                mostly=substitute(check.mostly, config, values, where),
                kwargs=substitute(check.kwargs, config, values, where),
                params=substitute(check.params, config, values, where),
                min=substitute(check.min, config, values, where),
                max=substitute(check.max, config, values, where),
                description=check.description,
            )
        )
    return Suite(
        suite.table, suite.path, tuple(checks), suite.derived, suite.description, suite.vars
    )
