"""Row-level contract rules per raw table, as data.

Each rule is a SQL boolean expression that is TRUE when a row breaks the contract. A row
is quarantined under the first rule it breaks; ``reason_code`` names the rule family and
``rule`` the rule itself. Type conformance (whole files) is checked before, when reading.

VIN check digits are deliberately not a quarantine rule: non-North-American VINs carry no
check digit, so a bad check digit is measured by the bronze quality suite instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from tables.raw_contract import (
    DEAL_BADGES,
    LEAD_STATUSES,
    LEAD_TYPES,
    PAGE_TYPES,
    RAW_TABLES,
    STOCK_TYPES,
    VEHICLE_STATUSES,
)


@dataclass(frozen=True)
class Rule:
    reason_code: str
    name: str
    broken_when: str


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NULL OR {column} NOT IN ({quoted})"


def _not_in_or_null_ok(column: str, values: tuple[str, ...]) -> str:
    """Broken when set to a value outside ``values``; a null is allowed."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IS NOT NULL AND {column} NOT IN ({quoted})"


def _null_keys(table: str) -> Rule:
    keys = RAW_TABLES[table].keys
    return Rule(
        "null_key",
        f"not null: {', '.join(keys)}",
        " OR ".join(f"{k} IS NULL" for k in keys),
    )


VIN_FORMAT = "^[A-HJ-NPR-Z0-9]{17}$"
ZIP_FORMAT = "^[0-9]{5}$"
EARLIEST_TIMESTAMP = "TIMESTAMP'1990-01-01 00:00:00'"

RULES: dict[str, tuple[Rule, ...]] = {
    "vehicle": (
        _null_keys("vehicle"),
        Rule(
            "invalid_enum", "status in active/pending/sold/removed", _in("status", VEHICLE_STATUSES)
        ),
        Rule(
            "invalid_vin",
            "vin is null or 17 chars of A-Z0-9 without I, O, Q",
            f"vin IS NOT NULL AND NOT (upper(vin) RLIKE '{VIN_FORMAT}')",
        ),
        Rule("negative_price", "price >= 0 and msrp >= 0", "price < 0 OR msrp < 0"),
        Rule("out_of_range", "price <= rules.max_price", "price > {max_price}"),
        Rule(
            "invalid_zip",
            "zip_code is null or 5 digits",
            f"zip_code IS NOT NULL AND NOT (zip_code RLIKE '{ZIP_FORMAT}')",
        ),
        Rule(
            "bad_date",
            "1990 <= listed_at <= updated_at",
            f"listed_at > updated_at OR listed_at < {EARLIEST_TIMESTAMP} "
            f"OR updated_at < {EARLIEST_TIMESTAMP}",
        ),
        Rule(
            "out_of_range",
            "mileage >= 0 and photo_count >= 0",
            "mileage < 0 OR photo_count < 0",
        ),
    ),
    "imp_daily": (
        _null_keys("imp_daily"),
        Rule("invalid_enum", "page_type in srp/featured/vdp", _in("page_type", PAGE_TYPES)),
        Rule("out_of_range", "impressions >= 0", "impressions < 0"),
        Rule(
            "missing_position",
            "srp and featured rows have position >= 1",
            "page_type IN ('srp', 'featured') AND (position IS NULL OR position < 1)",
        ),
        Rule("wrong_date", "event_date = filedate", "event_date <> filedate"),
    ),
    "dw_lead": (
        _null_keys("dw_lead"),
        Rule(
            "invalid_enum", "lead_type in email/phone/chat/text/other", _in("lead_type", LEAD_TYPES)
        ),
        Rule("invalid_enum", "status in valid/spam/test", _in("status", LEAD_STATUSES)),
    ),
    "vehicle_daily": (
        _null_keys("vehicle_daily"),
        Rule(
            "invalid_enum",
            "deal_badge in great/good/fair/high/none",
            _not_in_or_null_ok("deal_badge", DEAL_BADGES),
        ),
    ),
    "stock_type": (
        _null_keys("stock_type"),
        Rule(
            "invalid_enum", "stock_type_name in new/used/cpo", _in("stock_type_name", STOCK_TYPES)
        ),
    ),
    "model_year": (
        _null_keys("model_year"),
        Rule("out_of_range", "1900 <= year <= 2100", "year IS NULL OR year < 1900 OR year > 2100"),
    ),
    "zip_code": (
        _null_keys("zip_code"),
        Rule("invalid_zip", "zip_code is 5 digits", f"NOT (zip_code RLIKE '{ZIP_FORMAT}')"),
    ),
    "dealer_review": (
        _null_keys("dealer_review"),
        Rule(
            "out_of_range", "rating between 1 and 5", "rating IS NULL OR rating < 1 OR rating > 5"
        ),
    ),
    "competitor_listing": (
        Rule(
            "unreadable_file",
            "file is valid JSON in the feed format",
            "_corrupt_record IS NOT NULL",
        ),
        Rule("null_key", "not null: source", "source IS NULL"),
        Rule("invalid_price", "price > 0", "price IS NULL OR price <= 0"),
    ),
}


def rules_for(table: str, *, max_price: float) -> tuple[Rule, ...]:
    """The table's rules with configuration values filled in; null-key rule by default."""
    rules = RULES.get(table) or (_null_keys(table),)
    return tuple(
        Rule(r.reason_code, r.name, r.broken_when.replace("{max_price}", repr(float(max_price))))
        for r in rules
    )
