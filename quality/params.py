"""Parameters of suites: ``"${name}"`` values filled in for one table and date.

Names are ``quality.*`` and ``rules.*`` configuration keys, or per-date values from
:func:`date_params` (file-date bounds, derived thresholds, the table's spec columns, its
row-count floor). A string that is exactly ``"${name}"`` is replaced by the value itself,
so numbers, dates and lists keep their types.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from pipeline.config import Config
from pipeline.errors import ConfigError
from tables import specs

PARAM = re.compile(r"^\$\{([a-z_][a-z0-9_.]*)\}$")
EARLIEST_TIMESTAMP = datetime(1990, 1, 1)


class ParameterError(ConfigError):
    """A suite names a parameter that does not exist."""


def _columns(table: str) -> list[str]:
    layer, _, name = table.partition(".")
    registry = {"bronze": specs.BRONZE, "silver": specs.SILVER, "gold": specs.GOLD}
    return registry[layer][name].columns


def date_params(config: Config, day: date, table: str) -> dict[str, Any]:
    """Per-date values a suite may reference as ``${name}``."""
    q = config.quality
    start = datetime.combine(day, time.min)
    return {
        "filedate": day,
        "band_min_median": 1,
        "earliest_ts": EARLIEST_TIMESTAMP,
        "filedate_start": start,
        "filedate_end": start + timedelta(days=1) - timedelta(microseconds=1),
        "lead_ts_min": start - timedelta(days=q.max_lead_delay_days),
        "max_model_year": day.year + q.max_model_year_ahead,
        "spec_columns": _columns(table),
        "row_count_floor": row_count_floor(config, table),
        "row_count_min_ratio": round(1.0 - q.row_count_band, 6),
        "row_count_max_ratio": round(1.0 + q.row_count_band, 6),
        "active_count_min_ratio": round(1.0 - q.active_count_band, 6),
        "active_count_max_ratio": round(1.0 + q.active_count_band, 6),
        "min_non_null_dma": round(1.0 - q.max_dma_miss_rate, 6),
        "min_non_null_dealer": round(1.0 - q.max_dealer_miss_rate, 6),
        "min_non_null_review": round(1.0 - q.max_review_miss_rate, 6),
        "min_good_vin_warn": round(1.0 - q.bad_vin_warn_rate, 6),
        "min_good_vin_block": round(1.0 - q.bad_vin_block_rate, 6),
    }


def row_count_floor(config: Config, table: str) -> int:
    """The configured minimum rows per date of ``table`` (``layer.name``)."""
    floors = config.quality.row_count_floors
    return int(floors.get(table, config.quality.default_row_count_floor))


def _lookup(name: str, config: Config, values: dict[str, Any], where: str) -> Any:
    if name in values:
        return values[name]
    section, _, key = name.partition(".")
    if section in ("quality", "rules") and key:
        group = getattr(config, section)
        if hasattr(group, key):
            return getattr(group, key)
    raise ParameterError(f"{where}: unknown parameter '${{{name}}}'")


def substitute(value: Any, config: Config, values: dict[str, Any], where: str) -> Any:
    """``value`` with every ``"${name}"`` string (also inside lists and mappings) replaced."""
    if isinstance(value, str):
        match = PARAM.match(value)
        return _lookup(match.group(1), config, values, where) if match else value
    if isinstance(value, dict):
        return {k: substitute(v, config, values, where) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, config, values, where) for v in value]
    return value
