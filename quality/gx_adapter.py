"""The only module that imports Great Expectations (GX 1.x).

It turns a resolved :class:`quality.suite.Suite` into GX expectations and runs them:

- ``expect`` checks on the persisted Spark DataFrame of one date, through an ephemeral
  Data Context, a Spark data source (``persist=False``: the gate persists the batch itself)
  and a whole-dataframe batch definition;
- ``metric`` checks (values computed with Spark by :mod:`quality.metrics`) with
  ``expect_column_values_to_be_between`` on a one-row pandas frame, one column per check.

Every expectation carries its suite id in ``meta['id']``; :func:`run_spark_checks` and
:func:`run_metric_checks` return GX's results with that id, and the gate checks that
every configured id came back exactly once.
The result format asks for counts but no unexpected-value samples, which would cost a
Spark job per expectation. GX's progress bars and INFO logging are switched off.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import ProgressBarsConfig

from quality.suite import Check, Suite

RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0}
METRIC_EXPECTATION = "expect_column_values_to_be_between"
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class GxResult:
    """What GX said about one expectation."""

    id: str
    success: bool
    observed: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    error: str | None = None


def quiet_logging() -> None:
    """Only errors from GX: it logs at INFO and WARNING, some modules at a level of their own,
    and warns about its own deprecations (filtered once here: ``catch_warnings`` around each
    validation would not be thread-safe)."""
    names = [n for n in logging.root.manager.loggerDict if n.startswith("great_expectations")]
    for name in ["great_expectations", *names]:
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?$")


def _context() -> Any:
    """One ephemeral Data Context per process, GX progress bars and INFO logging off."""
    with _LOCK:
        if "context" not in _STATE:
            quiet_logging()
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(
                globally=False, metric_calculations=False
            )
            _STATE["context"] = context
            _STATE["sources"] = 0
        return _STATE["context"]


@contextmanager
def _definitions() -> Iterator[tuple[Any, Any]]:
    """Lease a (Spark, pandas) pair of whole-dataframe batch definitions.

    A data source keeps one execution engine with one active batch, so concurrent
    validations each lease data sources of their own; leases are reused, so the number
    of data sources stays at the highest concurrency seen.
    """
    context = _context()
    with _LOCK:
        free = _STATE.setdefault("free", [])
        pair = free.pop() if free else None
        if pair is None:
            _STATE["sources"] += 1
            n = _STATE["sources"]
            spark = context.data_sources.add_spark(name=f"lake_{n}", persist=False)
            pandas = context.data_sources.add_pandas(name=f"metrics_{n}")
            pair = (
                spark.add_dataframe_asset(name="batch").add_batch_definition_whole_dataframe(
                    "date"
                ),
                pandas.add_dataframe_asset(name="metrics").add_batch_definition_whole_dataframe(
                    "date"
                ),
            )
    try:
        yield pair
    finally:
        with _LOCK:
            _STATE["free"].append(pair)


def expectation_class(name: str) -> type:
    """The GX expectation class of a snake_case name, e.g. ``expect_column_values_to_be_in_set``."""
    camel = "".join(part.capitalize() for part in name.split("_"))
    cls = getattr(gxe, camel, None)
    if cls is None:
        raise ValueError(f"unknown Great Expectations expectation '{name}'")
    return cls


def build_expectation(check: Check) -> Any:
    """The GX expectation object of one resolved ``expect`` check."""
    kwargs = dict(check.kwargs)
    if check.column is not None:
        kwargs["column"] = check.column
    if check.mostly is not None:
        kwargs["mostly"] = check.mostly
    return expectation_class(check.expect)(**kwargs, meta={"id": check.id})


def build_metric_expectation(check: Check) -> Any:
    """``expect_column_values_to_be_between`` on the check's column of the metric frame."""
    return expectation_class(METRIC_EXPECTATION)(
        column=check.id, min_value=check.min, max_value=check.max, meta={"id": check.id}
    )


def _suite(name: str, expectations: list[Any]) -> Any:
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def _error(info: dict[str, Any]) -> str | None:
    """The first exception message in GX's ``exception_info``.

    It is either one ``{raised_exception, exception_message, ...}`` mapping or, when a
    metric failed, a mapping from metric ids to such mappings.
    """
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "GX raised an exception")[:500]
    return None


def _convert(result: Any) -> GxResult:
    meta = result.expectation_config.meta or {}
    body = result.result or {}
    error = _error(result.exception_info or {})
    return GxResult(
        id=str(meta.get("id")),
        success=bool(result.success) and error is None,
        observed=body.get("observed_value"),
        element_count=body.get("element_count"),
        unexpected_count=body.get("unexpected_count"),
        unexpected_percent=body.get("unexpected_percent"),
        error=error,
    )


def _validate(definition: Any, data: Any, suite: Any) -> list[GxResult]:
    batch = definition.get_batch(batch_parameters={"dataframe": data})
    outcome = batch.validate(suite, result_format=RESULT_FORMAT)
    return [_convert(r) for r in outcome.results]


def run_spark_checks(suite: Suite, batch: DataFrame) -> list[GxResult]:
    """Run the suite's ``expect`` checks on the (persisted) Spark batch of one date."""
    expectations = [build_expectation(c) for c in suite.checks if c.expect is not None]
    if not expectations:
        return []
    with _definitions() as (spark_definition, _):
        return _validate(spark_definition, batch, _suite(suite.table, expectations))


def run_metric_checks(suite: Suite, metric_values: dict[str, float]) -> list[GxResult]:
    """Run the suite's metric checks on the computed values (skipped ones left out)."""
    checks = [c for c in suite.checks if c.metric is not None and c.id in metric_values]
    if not checks:
        return []
    frame = pd.DataFrame([{c.id: metric_values[c.id] for c in checks}])
    expectations = [build_metric_expectation(c) for c in checks]
    with _definitions() as (_, pandas_definition):
        return _validate(pandas_definition, frame, _suite(f"{suite.table}.metrics", expectations))
