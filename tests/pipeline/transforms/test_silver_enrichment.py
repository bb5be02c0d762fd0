"""Silver enrichment: dimensions, market (ZIP/DMA), dealer, reviews, competitors, segment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from pipeline.transforms import silver_enrichment as enrich
from tables import specs

DAY = date(2026, 3, 4)
FEATURES = {f.name: f for f in specs.LISTING_FEATURES.schema.fields}


def usd(value: str | int | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def feature_schema(*names: str) -> T.StructType:
    return T.StructType([FEATURES[n] for n in names])


def by_id(df, *columns: str) -> dict:
    return {r["vehicle_id"]: tuple(r[c] for c in columns) for r in df.collect()}


# ------------------------------------------------------------------------ dimensions


def test_vehicle_dimensions(snapshot, bronze_rows):
    listings = snapshot(
        [
            {"vehicle_id": 1},
            {"vehicle_id": 2, "make_id": 99},  # unknown make: kept, name null
            {"vehicle_id": 3, "stock_type_id": None, "trim_id": None},
        ],
        filedate=DAY,
    )
    out = enrich.with_vehicle_dimensions(
        listings,
        make=bronze_rows(
            "make",
            # a key repeated in the snapshot must not multiply listings
            [{"make_id": 1, "make_name": "Honda"}, {"make_id": 1, "make_name": "Honda"}],
            filedate=DAY,
        ),
        make_model=bronze_rows(
            "make_model", [{"model_id": 11, "make_id": 1, "model_name": "Civic"}], filedate=DAY
        ),
        model_year=bronze_rows("model_year", [{"model_year_id": 2022, "year": 2022}], filedate=DAY),
        vehicle_trim=bronze_rows(
            "vehicle_trim", [{"trim_id": 111, "model_id": 11, "trim_name": "EX"}], filedate=DAY
        ),
        bodystyle=bronze_rows(
            "bodystyle", [{"bodystyle_id": 5, "bodystyle_name": "Sedan"}], filedate=DAY
        ),
        stock_type=bronze_rows(
            "stock_type",
            [{"stock_type_id": 2, "stock_type_name": "used"}],
            filedate=DAY,
        ),
    )
    cols = ("make_name", "model_name", "model_year", "trim_name", "bodystyle_name")
    assert by_id(out, *cols, "stock_type_name") == {
        1: ("Honda", "Civic", 2022, "EX", "Sedan", "used"),
        2: (None, "Civic", 2022, "EX", "Sedan", "used"),
        3: ("Honda", "Civic", 2022, None, "Sedan", None),
    }


# ---------------------------------------------------------------------------- market


@pytest.fixture(scope="module")
def market_dims(bronze_rows):
    zip_code = bronze_rows(
        "zip_code",
        [
            {"zip_code_id": 1, "zip_code": "10001", "city": "New York", "state": "NY"},
            {"zip_code_id": 2, "zip_code": "59001", "city": "Absarokee", "state": "MT"},
        ],
        filedate=DAY,
    )
    dma_zip = bronze_rows(
        "dma_zip", [{"zip_code_id": 1, "dma_code": 501, "dma_name": "New York"}], filedate=DAY
    )
    return zip_code, dma_zip


def test_market_zip_without_dma_keeps_null_dma(market_dims):
    zip_code, dma_zip = market_dims
    out = {r["zip_code"]: r for r in enrich.market(zip_code=zip_code, dma_zip=dma_zip).collect()}
    assert sorted(out) == ["10001", "59001"]
    assert (out["10001"]["city"], out["10001"]["dma_code"], out["10001"]["dma_name"]) == (
        "New York",
        501,
        "New York",
    )
    assert (out["59001"]["city"], out["59001"]["dma_code"]) == ("Absarokee", None)


def test_with_market_keeps_every_listing(snapshot, market_dims):
    zip_code, dma_zip = market_dims
    listings = snapshot(
        [
            {"vehicle_id": 1, "zip_code": "10001"},
            {"vehicle_id": 2, "zip_code": "59001"},  # ZIP known, no DMA
            {"vehicle_id": 3, "zip_code": "00000"},  # ZIP unknown
            {"vehicle_id": 4, "zip_code": None},
        ],
        filedate=DAY,
    )
    out = enrich.with_market(listings, zip_code=zip_code, dma_zip=dma_zip)
    assert by_id(out, "city", "state", "dma_code", "dma_name") == {
        1: ("New York", "NY", 501, "New York"),
        2: ("Absarokee", "MT", None, None),
        3: (None, None, None, None),
        4: (None, None, None, None),
    }


# ---------------------------------------------------------------------------- dealer


def test_with_dealer(snapshot, bronze_rows):
    listings = snapshot(
        [{"vehicle_id": 1, "customer_id": 10}, {"vehicle_id": 2, "customer_id": 99}],
        filedate=DAY,
    )
    out = enrich.with_dealer(
        listings,
        customer=bronze_rows(
            "customer",
            [
                {
                    "customer_id": 10,
                    "dealer_name": "Best Motors",
                    "customer_type": "franchise",
                    "purchase_flag": True,
                }
            ],
            filedate=DAY,
        ),
        dealer_sales_locations=bronze_rows(
            "dealer_sales_locations",
            [
                {"customer_id": 10, "location_id": 100, "zip_code": "10001"},
                {"customer_id": 10, "location_id": 101, "zip_code": "10002"},
                {"customer_id": 10, "location_id": 101, "zip_code": "10002"},
            ],
            filedate=DAY,
        ),
        activity_customer=bronze_rows(
            "activity_customer",
            [{"customer_id": 10, "avg_response_minutes": 12.5, "active_flag": True}],
            filedate=DAY,
        ),
        dealer_review_rollup=bronze_rows(
            "dealer_review_rollup",
            [{"customer_id": 10, "avg_rating": 4.5, "review_count": 20}],
            filedate=DAY,
        ),
    )
    cols = (
        "dealer_name",
        "customer_type",
        "is_paying_dealer",
        "dealer_location_count",
        "dealer_avg_response_minutes",
        "dealer_active_flag",
        "dealer_avg_rating",
        "dealer_review_count",
    )
    assert by_id(out, *cols) == {
        1: ("Best Motors", "franchise", True, 2, 12.5, True, 4.5, 20),
        2: (None, None, None, None, None, None, None, None),
    }


def test_with_vehicle_reviews_by_make_model_year(frame, bronze_rows):
    listings = frame(
        feature_schema("vehicle_id", "make_id", "model_id", "model_year"),
        [
            {"vehicle_id": 1, "make_id": 1, "model_id": 11, "model_year": 2022},
            {"vehicle_id": 2, "make_id": 1, "model_id": 11, "model_year": 2020},
        ],
    )
    rollup = bronze_rows(
        "vehicle_review_rollup",
        [
            {"make_id": 1, "model_id": 11, "year": 2022, "avg_rating": 4.2, "review_count": 130},
            {"make_id": 1, "model_id": 11, "year": 2021, "avg_rating": 3.9, "review_count": 50},
        ],
        filedate=DAY,
    )
    out = enrich.with_vehicle_reviews(listings, vehicle_review_rollup=rollup)
    assert by_id(out, "vehicle_avg_rating", "vehicle_review_count") == {
        1: (4.2, 130),
        2: (None, None),
    }


def test_with_daily_attributes(snapshot, bronze_rows):
    listings = snapshot([{"vehicle_id": 1}, {"vehicle_id": 2}], filedate=DAY)
    daily = bronze_rows(
        "vehicle_daily",
        [{"vehicle_id": 1, "is_featured": True, "has_video": False, "deal_badge": "great"}],
        filedate=DAY,
    )
    out = enrich.with_daily_attributes(listings, vehicle_daily=daily)
    assert by_id(out, "is_featured", "has_video", "deal_badge") == {
        1: (True, False, "great"),
        2: (None, None, None),
    }


# ----------------------------------------------------------------------- competitors

VIN_1 = "1HGCM82633A004352"
VIN_2 = "2T1BURHE0JC000001"
VIN_4 = "3VWDP7AJ5DM000004"
VIN_5 = "5YJ3E1EA7MF000005"
VIN_6 = "WBA3A5C50CF000006"

COMPETITORS = [
    ("carsa", VIN_1, 19000),
    ("carsb", VIN_1, 21000),
    ("carsb", VIN_1, 20500),  # the source's lowest price counts
    ("carsc", VIN_1.lower(), 16000),
    ("carsa", VIN_4, 0),  # no valid price: ignored
    ("carsb", VIN_4, None),
    ("carsa", VIN_5, 10000),
    ("carsc", VIN_6, 10000),
    ("carsa", None, 5000),  # no VIN: matches nothing
]


@pytest.fixture(scope="module")
def competitors(bronze_rows):
    return bronze_rows(
        "competitor_listing",
        [
            {"source": s, "listing_id": f"{s}-{i}", "vin": v, "price": usd(p)}
            for i, (s, v, p) in enumerate(COMPETITORS)
        ],
        filedate=DAY,
    )


def test_competitor_prices_per_vin(competitors):
    out = {r["vin"]: r for r in enrich.competitor_prices(competitors).collect()}
    assert sorted(out) == [VIN_1, VIN_5, VIN_6]
    one = out[VIN_1]
    assert one["competitor_count"] == 3
    assert one["competitor_prices"] == {
        "carsa": usd(19000),
        "carsb": usd(20500),
        "carsc": usd(16000),
    }
    assert one["competitor_min_price"] == usd(16000)


@pytest.fixture(scope="module")
def with_competitors(frame, competitors):
    listings = frame(
        feature_schema("vehicle_id", "vin", "price"),
        [
            {"vehicle_id": 1, "vin": VIN_1, "price": usd(20000)},
            {"vehicle_id": 2, "vin": VIN_2, "price": usd(15000)},  # no competitor
            {"vehicle_id": 3, "vin": None, "price": usd(18000)},  # no VIN
            {"vehicle_id": 4, "vin": VIN_4, "price": usd(12000)},  # only unusable prices
            {"vehicle_id": 5, "vin": VIN_5, "price": None},  # we show no price
            {"vehicle_id": 6, "vin": VIN_6, "price": usd(9000)},  # cheaper than competitors
            {"vehicle_id": 7, "vin": VIN_1.lower(), "price": usd(16000)},
        ],
    )
    return enrich.with_competitors(listings, competitors=competitors)


def test_with_competitors_counts_and_min(with_competitors):
    assert by_id(with_competitors, "competitor_count", "competitor_min_price") == {
        1: (3, usd(16000)),
        2: (0, None),
        3: (None, None),
        4: (0, None),
        5: (1, usd(10000)),
        6: (1, usd(10000)),
        7: (3, usd(16000)),
    }


def test_with_competitors_price_vs_competitor_pct(with_competitors):
    got = by_id(with_competitors, "price_vs_competitor_pct")
    assert got[1][0] == pytest.approx(25.0)  # (20000 - 16000) / 16000 * 100
    assert got[6][0] == pytest.approx(-10.0)  # (9000 - 10000) / 10000 * 100
    assert got[7][0] == pytest.approx(0.0)
    assert [got[i][0] for i in (2, 3, 4, 5)] == [None, None, None, None]


def test_with_competitors_price_map(with_competitors):
    got = by_id(with_competitors, "competitor_prices")
    assert got[6] == ({"carsc": usd(10000)},)
    assert got[2] == (None,)
    assert got[3] == (None,)


# --------------------------------------------------------------------------- segment

SEGMENT = {"make_id": 1, "model_id": 11, "model_year_id": 2022, "stock_type_id": 2}
SEGMENT_LISTINGS = [
    # segment A, DMA 501, four prices: median (20000 + 30000) / 2 = 25000
    (1, SEGMENT, 501, 10000),
    (2, SEGMENT, 501, 20000),
    (3, SEGMENT, 501, 30000),
    (4, SEGMENT, 501, 50000),
    (5, SEGMENT, 501, None),  # no price: not in the median
    # segment B, same vehicle in DMA 502, three prices: median 12000
    (6, SEGMENT, 502, 10000),
    (7, SEGMENT, 502, 12000),
    (8, SEGMENT, 502, 40000),
    # another stock type in DMA 501: its own segment
    (9, {**SEGMENT, "stock_type_id": 1}, 501, 99999),
    # no DMA: no segment
    (10, SEGMENT, None, 20000),
    # another model year in DMA 501
    (11, {**SEGMENT, "model_year_id": 2021}, 501, 7000),
    # cents: median of 10000.01 and 10000.02 is 10000.015 exactly
    (12, SEGMENT, 503, "10000.01"),
    (13, SEGMENT, 503, "10000.02"),
]


@pytest.fixture(scope="module")
def segments(frame):
    listings = frame(
        feature_schema(
            "vehicle_id",
            "make_id",
            "model_id",
            "model_year_id",
            "stock_type_id",
            "dma_code",
            "price",
        ),
        [
            {"vehicle_id": vid, **keys, "dma_code": dma, "price": usd(price)}
            for vid, keys, dma, price in SEGMENT_LISTINGS
        ],
    )
    out = enrich.with_segment(listings)
    return {r["vehicle_id"]: r for r in out.collect()}


def median(value: str) -> Decimal:
    return Decimal(value).quantize(Decimal("0.0001"))


def test_segment_median_and_count(segments):
    got = {
        vid: (r["segment_median_price"], r["segment_listing_count"]) for vid, r in segments.items()
    }
    assert got == {
        1: (median("25000"), 4),
        2: (median("25000"), 4),
        3: (median("25000"), 4),
        4: (median("25000"), 4),
        5: (median("25000"), 4),
        6: (median("12000"), 3),
        7: (median("12000"), 3),
        8: (median("12000"), 3),
        9: (median("99999"), 1),
        10: (None, None),
        11: (median("7000"), 1),
        12: (median("10000.015"), 2),
        13: (median("10000.015"), 2),
    }


@pytest.mark.parametrize(
    ("vehicle_id", "expected"),
    [
        (1, -60.0),  # (10000 - 25000) / 25000 * 100
        (2, -20.0),
        (3, 20.0),
        (4, 100.0),
        (6, -50.0 / 3),  # (10000 - 12000) / 12000 * 100
        (7, 0.0),
        (8, 700.0 / 3),  # (40000 - 12000) / 12000 * 100
        (9, 0.0),
        (11, 0.0),
    ],
)
def test_price_vs_segment_pct(segments, vehicle_id, expected):
    assert segments[vehicle_id]["price_vs_segment_pct"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("vehicle_id", [5, 10])
def test_price_vs_segment_pct_null_without_price_or_dma(segments, vehicle_id):
    assert segments[vehicle_id]["price_vs_segment_pct"] is None


def test_select_features_orders_columns(frame):
    df = frame(
        T.StructType([FEATURES["price"], FEATURES["vehicle_id"], specs.LISTING_FEATURES.schema[0]]),
        [{"vehicle_id": 1, "price": usd(1), "filedate": DAY}],
    )
    out = enrich.select_features(df, columns=["vehicle_id", "price"])
    assert out.columns == ["filedate", "vehicle_id", "price"]
