"""The VIN check digit, computed with Spark, against an independent Python computation."""

from __future__ import annotations

from pyspark.sql import functions as F

from quality.derived import vin_check_digit_ok

# Published examples: a Honda VIN and the 49 CFR 565 sample with the check digit X.
VALID = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "11111111111111111", "5XYUG35C2SD000002"]
INVALID = [
    "1HGCM82643A004352",  # check digit changed
    "1M8GDM9A1KP042788",
    "1HGCM82633A00435",  # 16 characters
    "1HGCM82633A0043520",  # 18 characters
    "1HGCM8263IA004352",  # contains I
    "ABC",
]
VALUES = {c: v for v, c in enumerate("0123456789", start=0)}
VALUES |= dict(zip("ABCDEFGH", range(1, 9), strict=True))
VALUES |= dict(zip("JKLMN", range(1, 6), strict=True)) | {"P": 7, "R": 9}
VALUES |= dict(zip("STUVWXYZ", range(2, 10), strict=True))
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def python_check(vin: str) -> bool:
    vin = vin.upper()
    if len(vin) != 17 or any(c not in VALUES for c in vin):
        return False
    total = sum(VALUES[c] * w for c, w in zip(vin, WEIGHTS, strict=True)) % 11
    return vin[8] == ("X" if total == 10 else str(total))


def test_python_oracle_agrees_with_published_examples():
    assert all(python_check(v) for v in VALID)
    assert not any(python_check(v) for v in INVALID)


def test_spark_check_digit_matches_the_oracle(spark):
    vins = [*VALID, *INVALID, "1hgcm82633a004352", None]
    frame = spark.createDataFrame([(v,) for v in vins], "vin string")
    got = {
        r["vin"]: r["ok"]
        for r in frame.select("vin", vin_check_digit_ok(F.col("vin")).alias("ok")).collect()
    }
    for vin in vins:
        expected = None if vin is None else python_check(vin)
        assert got[vin] is expected, vin
    assert sum(1 for v in got.values() if v) == len(VALID) + 1
