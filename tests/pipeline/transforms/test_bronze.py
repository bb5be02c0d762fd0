"""Bronze: tagging, contract rules (quarantine with the right reason) and competitor flattening.

Each table's cases are classified in one Spark job (module-scoped fixtures); every case is
then its own parametrized test. A case is labelled through a column the rules do not look
at (``exterior_color``, ``device``, ...), so a row with a null key can still be found.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pyspark.sql import types as T

from pipeline.transforms import bronze
from pipeline.transforms.contract_rules import rules_for
from tables import specs
from tables.raw_contract import COMPETITOR_FILE_SCHEMA, RAW_TABLES

DAY = date(2026, 3, 4)
MAX_PRICE = 5_000_000.0
GOOD_VIN = "1HGCM82633A004352"  # valid format and valid check digit ('3')
BAD_CHECK_DIGIT_VIN = "1HGCM82634A004352"  # valid format, check digit should be '3'


def _classify(bronze_rows, table: str, rows: list[dict[str, Any]], label: str):
    """{label value: (reason_code, rule)} for rows of ``table`` classified by its rules."""
    df = bronze_rows(table, rows, filedate=DAY)
    out = bronze.classify(df, rules=rules_for(table, max_price=MAX_PRICE))
    result = {r[label]: (r[bronze.REASON], r[bronze.RULE]) for r in out.collect()}
    assert len(result) == len(rows), "labels must be unique and every row kept"
    return result


# --------------------------------------------------------------------------- vehicle

VEHICLE_BASE: dict[str, Any] = {
    "vehicle_id": 1,
    "vin": GOOD_VIN,
    "price": Decimal("20000.00"),
    "msrp": Decimal("25000.00"),
}
PRICE_RULE = "price <= rules.max_price"
MILEAGE_RULE = "mileage >= 0 and photo_count >= 0"

# label -> (overrides of VEHICLE_BASE, expected reason_code, expected rule or None = any)
VEHICLE_CASES: dict[str, tuple[dict[str, Any], str | None, str | None]] = {
    "valid": ({}, None, None),
    "null_vin_allowed": ({"vin": None}, None, None),
    "bad_check_digit_allowed": ({"vin": BAD_CHECK_DIGIT_VIN}, None, None),
    "null_price_allowed": ({"price": None}, None, None),
    "price_at_max_allowed": ({"price": Decimal("5000000.00")}, None, None),
    "null_zip_allowed": ({"zip_code": None}, None, None),
    "null_optional_numbers": ({"mileage": None, "photo_count": None, "msrp": None}, None, None),
    "other_statuses_ok_pending": ({"status": "pending"}, None, None),
    "other_statuses_ok_sold": ({"status": "sold"}, None, None),
    "other_statuses_ok_removed": ({"status": "removed"}, None, None),
    "null_vehicle_id": ({"vehicle_id": None}, "null_key", None),
    "null_updated_at": ({"updated_at": None}, "null_key", None),
    "null_status": ({"status": None}, "null_key", None),
    "unknown_status": ({"status": "archived"}, "invalid_enum", None),
    "status_wrong_case": ({"status": "Active"}, "invalid_enum", None),
    "vin_16_chars": ({"vin": GOOD_VIN[:16]}, "invalid_vin", None),
    "vin_18_chars": ({"vin": GOOD_VIN + "1"}, "invalid_vin", None),
    "vin_with_I": ({"vin": "1HGCM82633A00435I"}, "invalid_vin", None),
    "vin_with_O": ({"vin": "1HGCM8263OA004352"}, "invalid_vin", None),
    "vin_with_Q": ({"vin": "QHGCM82633A004352"}, "invalid_vin", None),
    "vin_with_dash": ({"vin": "1HGCM82633-004352"}, "invalid_vin", None),
    "negative_price": ({"price": Decimal("-1.00")}, "negative_price", None),
    "negative_msrp": ({"msrp": Decimal("-0.01")}, "negative_price", None),
    "price_above_max": ({"price": Decimal("5000000.01")}, "out_of_range", PRICE_RULE),
    "zip_4_digits": ({"zip_code": "1234"}, "invalid_zip", None),
    "zip_6_digits": ({"zip_code": "123456"}, "invalid_zip", None),
    "zip_with_letter": ({"zip_code": "1234a"}, "invalid_zip", None),
    "listed_after_updated": (
        {
            "listed_at": datetime(2026, 3, 2, tzinfo=UTC),
            "updated_at": datetime(2026, 3, 1, tzinfo=UTC),
        },
        "bad_date",
        None,
    ),
    "updated_before_1990": (
        {
            "listed_at": datetime(1989, 1, 1, tzinfo=UTC),
            "updated_at": datetime(1989, 12, 31, tzinfo=UTC),
        },
        "bad_date",
        None,
    ),
    "negative_mileage": ({"mileage": -1}, "out_of_range", MILEAGE_RULE),
    "negative_photo_count": ({"photo_count": -1}, "out_of_range", MILEAGE_RULE),
    # A row breaking several rules is quarantined under the first one in rule order.
    "enum_before_price": ({"status": "gone", "price": Decimal("-5.00")}, "invalid_enum", None),
    "vin_before_zip": ({"vin": "SHORT", "zip_code": "x"}, "invalid_vin", None),
    "key_before_everything": (
        {"vehicle_id": None, "status": "bogus", "mileage": -3},
        "null_key",
        None,
    ),
}


@pytest.fixture(scope="module")
def vehicle_result(bronze_rows):
    rows = [
        {**VEHICLE_BASE, **overrides, "exterior_color": label}
        for label, (overrides, _, _) in VEHICLE_CASES.items()
    ]
    return _classify(bronze_rows, "vehicle", rows, "exterior_color")


@pytest.mark.parametrize("label", list(VEHICLE_CASES))
def test_vehicle_rule(vehicle_result, label):
    _, reason, rule = VEHICLE_CASES[label]
    got_reason, got_rule = vehicle_result[label]
    assert got_reason == reason
    if reason is None:
        assert got_rule is None
    else:
        assert got_rule is not None
    if rule is not None:
        assert got_rule == rule


def test_vehicle_rule_names_are_distinct_for_the_two_out_of_range_rules(vehicle_result):
    assert vehicle_result["price_above_max"][1] != vehicle_result["negative_mileage"][1]


def test_max_price_comes_from_configuration(bronze_rows):
    df = bronze_rows(
        "vehicle",
        [
            {**VEHICLE_BASE, "price": Decimal("150.00"), "exterior_color": "over"},
            {**VEHICLE_BASE, "price": Decimal("100.00"), "exterior_color": "at"},
        ],
        filedate=DAY,
    )
    rules = rules_for("vehicle", max_price=100.0)
    assert all("{max_price}" not in r.broken_when for r in rules)
    out = {
        r["exterior_color"]: r[bronze.REASON] for r in bronze.classify(df, rules=rules).collect()
    }
    assert out == {"over": "out_of_range", "at": None}


# ------------------------------------------------------------------------- imp_daily

IMP_BASE: dict[str, Any] = {
    "event_date": DAY,
    "vehicle_id": 1,
    "page_type": "srp",
    "position": 1,
    "impressions": 10,
}
IMP_CASES: dict[str, tuple[dict[str, Any], str | None]] = {
    "valid_srp": ({}, None),
    "valid_featured": ({"page_type": "featured", "position": 2}, None),
    "vdp_without_position": ({"page_type": "vdp", "position": None}, None),
    "zero_impressions": ({"impressions": 0}, None),
    "null_event_date": ({"event_date": None}, "null_key"),
    "null_vehicle_id": ({"vehicle_id": None}, "null_key"),
    "null_page_type": ({"page_type": None}, "null_key"),
    "null_impressions": ({"impressions": None}, "null_key"),
    "unknown_page_type": ({"page_type": "banner"}, "invalid_enum"),
    "negative_impressions": ({"impressions": -1}, "out_of_range"),
    "srp_without_position": ({"position": None}, "missing_position"),
    "featured_position_0": ({"page_type": "featured", "position": 0}, "missing_position"),
    "event_date_not_filedate": ({"event_date": date(2026, 3, 3)}, "wrong_date"),
}


@pytest.fixture(scope="module")
def imp_result(bronze_rows):
    rows = [{**IMP_BASE, **o, "device": label} for label, (o, _) in IMP_CASES.items()]
    return _classify(bronze_rows, "imp_daily", rows, "device")


@pytest.mark.parametrize("label", list(IMP_CASES))
def test_imp_daily_rule(imp_result, label):
    assert imp_result[label][0] == IMP_CASES[label][1]


# --------------------------------------------------------------------------- dw_lead

LEAD_BASE: dict[str, Any] = {
    "lead_id": "L1",
    "vehicle_id": 1,
    "lead_type": "email",
    "lead_ts": datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
    "status": "valid",
}
LEAD_CASES: dict[int, tuple[dict[str, Any], str | None, str | None]] = {
    1: ({}, None, None),
    2: ({"status": "spam"}, None, None),
    3: ({"status": "test", "lead_type": "other"}, None, None),
    4: ({"lead_id": None}, "null_key", None),
    5: ({"vehicle_id": None}, "null_key", None),
    6: ({"lead_ts": None}, "null_key", None),
    7: ({"status": None}, "null_key", None),
    8: ({"lead_type": None}, "null_key", None),
    9: ({"lead_type": "fax"}, "invalid_enum", "lead_type in email/phone/chat/text/other"),
    10: ({"status": "duplicate"}, "invalid_enum", "status in valid/spam/test"),
}


@pytest.fixture(scope="module")
def lead_result(bronze_rows):
    rows = [{**LEAD_BASE, **o, "customer_id": label} for label, (o, _, _) in LEAD_CASES.items()]
    return _classify(bronze_rows, "dw_lead", rows, "customer_id")


@pytest.mark.parametrize("label", list(LEAD_CASES))
def test_dw_lead_rule(lead_result, label):
    _, reason, rule = LEAD_CASES[label]
    assert lead_result[label][0] == reason
    if rule is not None:
        assert lead_result[label][1] == rule


# --------------------------------------------------------------------- vehicle_daily

# vehicle_id -> (deal_badge, expected reason)
BADGE_CASES: dict[int, tuple[str | None, str | None]] = {
    1: ("great", None),
    2: ("good", None),
    3: ("fair", None),
    4: ("high", None),
    5: ("none", None),
    6: (None, None),
    7: ("superb", "invalid_enum"),
    8: ("Great", "invalid_enum"),
}


@pytest.fixture(scope="module")
def badge_result(bronze_rows):
    rows = [
        {"vehicle_id": vid, "deal_badge": badge, "is_featured": True}
        for vid, (badge, _) in BADGE_CASES.items()
    ]
    rows.append({"vehicle_id": None, "deal_badge": "great", "is_featured": False})
    df = bronze_rows("vehicle_daily", rows, filedate=DAY)
    out = bronze.classify(df, rules=rules_for("vehicle_daily", max_price=MAX_PRICE))
    return {r["vehicle_id"]: r[bronze.REASON] for r in out.collect()}


@pytest.mark.parametrize("vehicle_id", list(BADGE_CASES))
def test_vehicle_daily_deal_badge(badge_result, vehicle_id):
    assert badge_result[vehicle_id] == BADGE_CASES[vehicle_id][1]


def test_vehicle_daily_null_vehicle_id(badge_result):
    assert badge_result[None] == "null_key"


# ------------------------------------------------------------------------ dimensions


def test_stock_type_rules(bronze_rows):
    rows = [
        {"stock_type_id": 1, "stock_type_name": "new"},
        {"stock_type_id": 2, "stock_type_name": "used"},
        {"stock_type_id": 3, "stock_type_name": "cpo"},
        {"stock_type_id": 4, "stock_type_name": "lease"},
        {"stock_type_id": 5, "stock_type_name": None},
    ]
    got = _classify(bronze_rows, "stock_type", rows, "stock_type_id")
    assert {k: v[0] for k, v in got.items()} == {
        1: None,
        2: None,
        3: None,
        4: "invalid_enum",
        5: "invalid_enum",
    }


def test_model_year_rules(bronze_rows):
    rows = [
        {"model_year_id": 1, "year": 1900},
        {"model_year_id": 2, "year": 2100},
        {"model_year_id": 3, "year": 1899},
        {"model_year_id": 4, "year": 2101},
        {"model_year_id": 5, "year": None},
    ]
    got = _classify(bronze_rows, "model_year", rows, "model_year_id")
    assert {k: v[0] for k, v in got.items()} == {
        1: None,
        2: None,
        3: "out_of_range",
        4: "out_of_range",
        5: "out_of_range",
    }


def test_zip_code_rules(bronze_rows):
    rows = [
        {"zip_code_id": 1, "zip_code": "10001", "city": "New York"},
        {"zip_code_id": 2, "zip_code": "1001", "city": "short"},
        {"zip_code_id": 3, "zip_code": None, "city": "no zip"},
    ]
    got = _classify(bronze_rows, "zip_code", rows, "zip_code_id")
    assert {k: v[0] for k, v in got.items()} == {1: None, 2: "invalid_zip", 3: "null_key"}


def test_dealer_review_rules(bronze_rows):
    rows = [
        {"review_id": 1, "customer_id": 10, "rating": 1},
        {"review_id": 2, "customer_id": 10, "rating": 5},
        {"review_id": 3, "customer_id": 10, "rating": 0},
        {"review_id": 4, "customer_id": 10, "rating": 6},
        {"review_id": 5, "customer_id": 10, "rating": None},
        {"review_id": 6, "customer_id": None, "rating": 4},
    ]
    got = _classify(bronze_rows, "dealer_review", rows, "review_id")
    assert {k: v[0] for k, v in got.items()} == {
        1: None,
        2: None,
        3: "out_of_range",
        4: "out_of_range",
        5: "out_of_range",
        6: "null_key",
    }


def test_table_without_own_rules_gets_the_null_key_rule(bronze_rows):
    rows = [
        {"make_id": 1, "make_name": "Honda"},
        {"make_id": 2, "make_name": None},
        {"make_id": None, "make_name": "Nameless"},
    ]
    got = _classify(bronze_rows, "make", rows, "make_name")
    assert got == {
        "Honda": (None, None),
        None: (None, None),
        "Nameless": ("null_key", "not null: make_id"),
    }


def test_competitor_listing_rules(frame):
    rows = [
        {"listing_id": "ok", "source": "a", "vin": GOOD_VIN, "price": Decimal("100.00")},
        {"listing_id": "no_vin", "source": "a", "vin": None, "price": Decimal("100.00")},
        {"listing_id": "corrupt", "source": None, "_corrupt_record": "{not json"},
        {"listing_id": "no_source", "source": None, "price": Decimal("100.00")},
        {"listing_id": "zero_price", "source": "a", "price": Decimal("0.00")},
        {"listing_id": "no_price", "source": "a", "price": None},
    ]
    # Before bronze drops it, a competitor row still carries ``_corrupt_record``.
    schema = T.StructType(
        [*specs.COMPETITOR_LISTING.schema.fields, T.StructField("_corrupt_record", T.StringType())]
    )
    df = frame(schema, [{specs.PARTITION: DAY, **r} for r in rows])
    out = bronze.classify(df, rules=rules_for("competitor_listing", max_price=MAX_PRICE))
    got = {r["listing_id"]: r[bronze.REASON] for r in out.collect()}
    assert got == {
        "ok": None,
        "no_vin": None,
        "corrupt": "unreadable_file",
        "no_source": "null_key",
        "zero_price": "invalid_price",
        "no_price": "invalid_price",
    }


# ------------------------------------------------------------ accepted and rejected


@pytest.fixture(scope="module")
def split(bronze_rows):
    rows = [
        {**VEHICLE_BASE, "vehicle_id": 1, "exterior_color": "good"},
        {**VEHICLE_BASE, "vehicle_id": 2, "status": "archived", "exterior_color": "bad enum"},
        {**VEHICLE_BASE, "vehicle_id": 3, "zip_code": "ABCDE", "_source_file": "file:/raw/b"},
        {**VEHICLE_BASE, "vehicle_id": 4, "vin": None, "exterior_color": "no vin"},
    ]
    df = bronze_rows("vehicle", rows, filedate=DAY)
    classified = bronze.classify(df, rules=rules_for("vehicle", max_price=MAX_PRICE))
    record_columns = [f.name for f in RAW_TABLES["vehicle"].schema.fields]
    spec = specs.BRONZE["vehicle"]
    return (
        bronze.accepted(classified, columns=spec.columns),
        bronze.rejected(classified, record_columns=record_columns),
    )


def test_accepted_keeps_valid_rows_in_bronze_shape(split):
    accepted, _ = split
    assert accepted.columns == specs.BRONZE["vehicle"].columns
    assert sorted(r["vehicle_id"] for r in accepted.collect()) == [1, 4]


def test_rejected_rows_carry_reason_rule_and_the_original_record(split):
    _, rejected = split
    assert rejected.columns == specs.QUARANTINE["vehicle"].columns
    rows = {json.loads(r["record"])["vehicle_id"]: r for r in rejected.collect()}
    assert sorted(rows) == [2, 3]
    assert rows[2]["reason_code"] == "invalid_enum"
    assert rows[2]["rule"] == "status in active/pending/sold/removed"
    assert rows[3]["reason_code"] == "invalid_zip"
    assert rows[3]["_source_file"] == "file:/raw/b"
    assert rows[3]["filedate"] == DAY
    record = json.loads(rows[2]["record"])
    assert record["status"] == "archived"
    assert record["vin"] == GOOD_VIN
    assert record["exterior_color"] == "bad enum"
    assert Decimal(str(record["price"])) == Decimal("20000.00")


def test_tag_adds_partition_and_ingest_metadata(frame):
    schema = T.StructType(
        [T.StructField("make_id", T.IntegerType()), T.StructField("_source_file", T.StringType())]
    )
    df = frame(schema, [{"make_id": 1, "_source_file": "file:/raw/make/x.parquet"}])
    ingest_ts = datetime(2026, 3, 5, 1, 2, 3, tzinfo=UTC)
    out = bronze.tag(df, filedate=DAY, run_id="r-1", ingest_ts=ingest_ts)
    assert out.columns == ["make_id", "_source_file", "filedate", "_ingest_ts", "_run_id"]
    row = out.collect()[0]
    assert row["filedate"] == DAY
    assert row["_run_id"] == "r-1"
    assert row["_source_file"] == "file:/raw/make/x.parquet"
    # Spark returns naive datetimes in the driver's local zone; compare as instants.
    assert row["_ingest_ts"].astimezone(UTC) == ingest_ts


# ----------------------------------------------------------------------- competitors


def test_flatten_competitors(frame):
    schema = T.StructType(
        [
            T.StructField("source", T.StringType()),
            T.StructField("scraped_at", T.StringType()),
            T.StructField("listing", COMPETITOR_FILE_SCHEMA["listings"].dataType.elementType),
            T.StructField("_corrupt_record", T.StringType()),
            T.StructField("_source_file", T.StringType()),
        ]
    )

    def listing(listing_id: str, vin: str | None, price: float | None) -> dict:
        return {
            "id": listing_id,
            "vin": vin,
            "make": "Tesla",
            "model": "Model 3",
            "year": 2021,
            "trim": "LR",
            "price": price,
            "mileage": 30000,
        }

    folder = "file:/raw/competitor"
    rows = [
        {
            "source": "carsa",
            "scraped_at": "2026-03-04T05:00:00",
            "listing": listing("a1", " 5yj3e1ea7mf000001 ", 31999.5),
            "_source_file": f"{folder}/carsa/2026-03-04.json",
        },
        {  # no source in the file: taken from the folder name
            "scraped_at": "2026-03-04T05:00:00",
            "listing": listing("b1", "5YJ3E1EA7MF000002", 28000.0),
            "_source_file": f"{folder}/carsb/2026-03-04.json",
        },
        # a file without listings: nothing to keep
        {"source": "carsa", "_source_file": f"{folder}/carsa/2026-03-03.json"},
        # an unreadable file: kept so bronze can quarantine it
        {"_corrupt_record": "{broken", "_source_file": f"{folder}/carsc/2026-03-04.json"},
    ]
    out = bronze.flatten_competitors(frame(schema, rows))
    assert out.columns == [
        "source",
        "listing_id",
        "vin",
        "make",
        "model",
        "year",
        "trim",
        "price",
        "mileage",
        "scraped_at",
        "_corrupt_record",
        "_source_file",
    ]
    got = {r["source"]: r for r in out.collect()}
    assert sorted(got) == ["carsa", "carsb", "carsc"]
    a, b, c = got["carsa"], got["carsb"], got["carsc"]
    assert (a["listing_id"], a["vin"], a["year"], a["price"]) == (
        "a1",
        "5YJ3E1EA7MF000001",  # trimmed and upper-cased
        2021,
        Decimal("31999.50"),
    )
    assert (b["listing_id"], b["vin"], b["price"]) == (
        "b1",
        "5YJ3E1EA7MF000002",
        Decimal("28000.00"),
    )
    assert (c["listing_id"], c["_corrupt_record"]) == (None, "{broken")
