"""Columns computed on a batch before validation, named in a suite's ``derived`` block.

GX has no expectation for a VIN check digit, so the suite validates a derived boolean
column with ``expect_column_values_to_be_in_set([true])`` and ``mostly``: a share of bad
VINs is a warning, above a threshold blocking. The derived column is null exactly when its
source column is null, so the source column's null-rate check covers it.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

VIN_FORMAT = "^[A-HJ-NPR-Z0-9]{17}$"
# ISO 3779 / 49 CFR 565 transliteration (I, O, Q are not allowed) and position weights.
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_VALUES = "12345678123457923456789"
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit_ok(vin: Column) -> Column:
    """True when a 17-character VIN's 9th character is its check digit; false for a VIN
    that is not 17 characters of A-Z/0-9 without I, O, Q; null when the VIN is null."""
    upper = F.upper(F.trim(vin))
    total = None
    for position, weight in enumerate(_WEIGHTS, start=1):
        if weight == 0:
            continue
        value = F.translate(F.substring(upper, position, 1), _LETTERS, _VALUES).cast("int")
        term = value * F.lit(weight)
        total = term if total is None else total + term
    remainder = total % F.lit(11)
    expected = F.when(remainder == 10, F.lit("X")).otherwise(remainder.cast("string"))
    valid = upper.rlike(VIN_FORMAT) & (F.substring(upper, 9, 1) == expected)
    return F.when(vin.isNull(), F.lit(None).cast("boolean")).otherwise(
        F.coalesce(valid, F.lit(False))
    )


FUNCTIONS: dict[str, Callable[[Column], Column]] = {
    "vin_check_digit_ok": vin_check_digit_ok,
}


def add_derived(frame: DataFrame, derived) -> DataFrame:
    """``frame`` plus every derived column of a suite (``quality.suite.Derived`` items)."""
    for item in derived:
        try:
            function = FUNCTIONS[item.function]
        except KeyError:
            raise KeyError(
                f"unknown derived function '{item.function}' (known: {sorted(FUNCTIONS)})"
            ) from None
        frame = frame.withColumn(item.name, function(F.col(item.column)))
    return frame
