"""Synthetic raw input for the pipeline (SPEC section 3), in numpy + pyarrow, without Spark.

``generate()`` writes every table of :data:`tables.raw_contract.RAW_TABLES` for each day as
``<raw_root>/<table>/filedate=YYYY-MM-DD/part-00000.parquet`` and competitor feeds as
``<raw_root>/competitor/<source>/<YYYY-MM-DD>.json``. Arrow types come from the contract
through :func:`arrow_schema`, so a Spark read gets exactly the contract types.

The world: a hard-coded catalog of real makes, models and trims (model years 2015-2025),
dealers at real US ZIP codes (``zipcodes`` package) grouped into synthetic DMAs (a few
ZIPs have no DMA row on purpose), and listings that arrive, change price, go pending and
get sold or removed while the number of active listings stays near the target.

Determinism: every random draw comes from a numpy generator seeded by ``(seed, stream,
day)``; nothing reads the wall clock; parquet writer options are fixed. Same arguments,
same bytes.

Shared with :mod:`pipeline.sample.import_ev`: the Arrow helpers, stable ids and hashes,
the dimension builders and the activity model (:func:`simulate_activity`,
:class:`LeadDeliveries`), so both producers model impressions, leads and daily attributes
the same way.

Contract-breaking rows (only when ``bad_row_share > 0``; they are extra rows, copies of
real ones with one defect and a later ``updated_at``, so a pipeline that lets them through
lets them win de-duplication):

- ``vehicle`` (:data:`VEHICLE_BAD_KINDS`): ``vin_length`` (16 or 18 chars), ``vin_char``
  (contains I, O or Q), ``vin_check`` (wrong check digit), ``listed_after_updated``,
  ``listed_1900`` (listed_at in year 1900), ``negative_price``, ``unknown_zip`` (real
  5-digit ZIP missing from the ``zip_code`` dimension), ``malformed_zip`` ('ABCDE', '123'),
  ``bad_status`` (not in the enumeration), ``null_vehicle_id``.
- ``imp_daily`` (:data:`IMP_BAD_KINDS`): ``negative_impressions``, ``unknown_page_type``,
  ``srp_null_position``.
- ``dw_lead`` (:data:`LEAD_BAD_KINDS`): ``unknown_lead_type``, ``null_lead_id``.

Every kind appears at least once per day when the share is positive. Natural, contract-
conforming oddities are always present: null VINs (~3%), null prices (~2%), duplicate
vehicle deliveries (~1%, a few with tied ``updated_at``), late and re-delivered leads.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import zipcodes
from pyspark.sql import types as T

from tables.raw_contract import (
    COMPETITOR_ROOT,
    DEAL_BADGES,
    LEAD_STATUSES,
    LEAD_TYPES,
    PAGE_TYPES,
    RAW_TABLES,
    STOCK_TYPES,
    VEHICLE_STATUSES,
)

__all__ = [
    "IMP_BAD_KINDS",
    "LEAD_BAD_KINDS",
    "RAW_ARROW_SCHEMAS",
    "VEHICLE_BAD_KINDS",
    "ActiveListings",
    "LeadDeliveries",
    "arrow_schema",
    "arrow_type",
    "generate",
    "simulate_activity",
    "stable_id",
    "tier_listings",
    "write_partition",
]

TIERS = {"S": 10_000, "M": 200_000, "L": 1_000_000}
DAY_US = 86_400_000_000
SECOND_US = 1_000_000
PART_FILE = "part-00000.parquet"
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "snappy",
    "version": "2.6",
    "data_page_version": "1.0",
    "use_dictionary": True,
    "write_statistics": True,
    "row_group_size": 1 << 20,
}
DEFAULT_COMPETITORS = ("autotrader", "cargurus", "truecar")


def tier_listings(tier: str) -> int:
    """Target active listings per day of a size tier: S=10k, M=200k, L=1M."""
    try:
        return TIERS[tier.upper()]
    except KeyError:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}") from None


# --------------------------------------------------------------------------------------
# Contract -> Arrow
# --------------------------------------------------------------------------------------

_SIMPLE_ARROW_TYPES: dict[type[T.DataType], pa.DataType] = {
    T.LongType: pa.int64(),
    T.IntegerType: pa.int32(),
    T.DoubleType: pa.float64(),
    T.BooleanType: pa.bool_(),
    T.StringType: pa.string(),
    T.DateType: pa.date32(),
    T.TimestampType: pa.timestamp("us", tz="UTC"),
}


def arrow_type(dtype: T.DataType) -> pa.DataType:
    """The Arrow type that Spark reads back from parquet as exactly ``dtype``."""
    if isinstance(dtype, T.DecimalType):
        return pa.decimal128(dtype.precision, dtype.scale)
    try:
        return _SIMPLE_ARROW_TYPES[type(dtype)]
    except KeyError:
        raise TypeError(f"no Arrow mapping for Spark type {dtype.simpleString()}") from None


def arrow_schema(struct: T.StructType) -> pa.Schema:
    """Arrow schema of a contract ``StructType`` (same names, order and nullability)."""
    return pa.schema(
        [pa.field(f.name, arrow_type(f.dataType), nullable=f.nullable) for f in struct.fields]
    )


RAW_ARROW_SCHEMAS: dict[str, pa.Schema] = {
    name: arrow_schema(table.schema) for name, table in RAW_TABLES.items()
}


def _validity(null: np.ndarray | None) -> pa.Buffer | None:
    if null is None or not null.any():
        return None
    return pa.array(~null).buffers()[1]


def decimal_array(cents: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """decimal128(12, 2) from integer cents (exact, no float rounding)."""
    cents = np.asarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    null_count = int(null.sum()) if null is not None else 0
    return pa.Array.from_buffers(
        pa.decimal128(12, 2),
        len(cents),
        [_validity(null), pa.py_buffer(words.tobytes())],
        null_count=null_count,
    )


def timestamp_array(micros: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """UTC timestamp (microseconds) from int64 microseconds since the epoch."""
    return pa.array(np.asarray(micros, dtype=np.int64), pa.timestamp("us", tz="UTC"), mask=null)


def category_array(codes: np.ndarray, labels: Sequence[str]) -> pa.Array:
    """String array from integer codes into ``labels`` (vectorized dictionary decode)."""
    indices = pa.array(np.asarray(codes, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(labels), pa.string())).cast(
        pa.string()
    )


def build_table(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """A raw table with exactly the contract's columns and Arrow types (safe casts only)."""
    schema = RAW_ARROW_SCHEMAS[name]
    if set(columns) != set(schema.names):
        raise ValueError(
            f"{name}: columns {sorted(columns)} do not match contract {sorted(schema.names)}"
        )
    arrays = [_as_arrow(columns[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _as_arrow(values: Any, typ: pa.DataType) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == typ else values.cast(typ)
    return pa.array(values, type=typ)


def empty_table(name: str) -> pa.Table:
    """A typed table with no rows."""
    return RAW_ARROW_SCHEMAS[name].empty_table()


def partition_dir(raw_root: Path, name: str, day: date) -> Path:
    return Path(raw_root) / name / f"filedate={day.isoformat()}"


def write_partition(raw_root: Path, name: str, day: date, table: pa.Table) -> int:
    """Write one raw partition atomically (temp file + rename); returns its row count.

    The partition holds exactly one file afterwards: older ``part-*.parquet`` files in it
    are removed, so rerunning with other arguments never mixes deliveries.
    """
    expected = RAW_ARROW_SCHEMAS[name]
    if not table.schema.equals(expected):
        raise TypeError(f"{name}: schema {table.schema} differs from the contract {expected}")
    folder = partition_dir(raw_root, name, day)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        if old.name != PART_FILE:
            old.unlink()
    tmp = folder / f".{PART_FILE}.tmp"
    pq.write_table(table, tmp, **PARQUET_OPTIONS)
    os.replace(tmp, folder / PART_FILE)
    return table.num_rows


def write_json(path: Path, payload: Any) -> None:
    """Write JSON atomically with a fixed layout (no wall clock, stable key order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------------------
# Stable ids, hashes, random streams, time
# --------------------------------------------------------------------------------------


def stable_id(*parts: object, bits: int = 63) -> int:
    """A positive id from a hash of ``parts`` (blake2b): same parts, same id, any run."""
    key = "\x1f".join(str(p) for p in parts).encode("utf-8")
    value = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> (64 - bits)
    return value or 1


_MASK64 = (1 << 64) - 1


def hash_uniform(ids: np.ndarray, salt: int) -> np.ndarray:
    """Per-id uniform [0, 1) numbers, stable across runs and days (splitmix64 of id+salt)."""
    offset = np.uint64((0x9E3779B97F4A7C15 * (salt + 1)) & _MASK64)
    z = np.asarray(ids).astype(np.uint64) + offset
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def day_rng(seed: int, stream: str, day: date | None = None) -> np.random.Generator:
    """The random generator of one named stream (and day): independent of other streams."""
    key = [seed & _MASK64, stable_id(stream, bits=32)]
    if day is not None:
        key.append(day.toordinal())
    return np.random.default_rng(key)


def day_start_us(day: date) -> int:
    """Microseconds since the epoch at 00:00 UTC of ``day``."""
    return (day - date(1970, 1, 1)).days * DAY_US


def _choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum())


# --------------------------------------------------------------------------------------
# VINs (ISO 3779 / North American check digit in position 9)
# --------------------------------------------------------------------------------------

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
_VIN_VALUES = dict(zip("ABCDEFGH", range(1, 9), strict=True))
_VIN_VALUES |= dict(zip("JKLMN", range(1, 6), strict=True)) | {"P": 7, "R": 9}
_VIN_VALUES |= dict(zip("STUVWXYZ", range(2, 10), strict=True))
_VIN_VALUES |= {str(d): d for d in range(10)}
_VIN_TRANSLIT = np.zeros(256, dtype=np.int64)
for _char, _value in _VIN_VALUES.items():
    _VIN_TRANSLIT[ord(_char)] = _value
_VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_CHECK_CHARS = np.frombuffer(b"0123456789X", dtype=np.uint8)
_YEAR_CODES = dict(zip(range(2010, 2027), "ABCDEFGHJKLMNPRST", strict=True))


def vin_check_chars(vins: np.ndarray) -> np.ndarray:
    """Expected check character (uint8) of each row of an (n, 17) uint8 VIN array."""
    total = (_VIN_TRANSLIT[vins] * _VIN_WEIGHTS).sum(axis=1)
    return _CHECK_CHARS[total % 11]


def make_vins(
    rng: np.random.Generator, wmi: np.ndarray, years: np.ndarray, serial: np.ndarray
) -> np.ndarray:
    """Valid VINs as an (n, 17) uint8 array: WMI, random VDS, check digit, year, plant, serial."""
    n = len(years)
    alphabet = np.frombuffer(VIN_ALPHABET.encode(), dtype=np.uint8)
    vins = np.empty((n, 17), dtype=np.uint8)
    vins[:, 0:3] = wmi
    vins[:, 3:8] = alphabet[rng.integers(0, len(alphabet), size=(n, 5))]
    vins[:, 8] = ord("0")
    year_codes = np.frombuffer("".join(_YEAR_CODES.values()).encode(), dtype=np.uint8)
    vins[:, 9] = year_codes[np.asarray(years) - min(_YEAR_CODES)]
    vins[:, 10] = alphabet[rng.integers(0, len(alphabet), size=n)]
    digits = (np.asarray(serial, dtype=np.int64)[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    vins[:, 11:17] = digits + ord("0")
    vins[:, 8] = vin_check_chars(vins)
    return vins


def vin_array(vins: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """String array of (n, 17) uint8 VINs, null where ``null``."""
    raw = pa.array(np.ascontiguousarray(vins).view("S17").ravel(), mask=null)
    return raw.cast(pa.string())


# --------------------------------------------------------------------------------------
# Reference data: catalog, body styles, colors, metros
# --------------------------------------------------------------------------------------

BODYSTYLES = (
    "Sedan",
    "SUV",
    "Pickup Truck",
    "Coupe",
    "Hatchback",
    "Minivan",
    "Wagon",
    "Convertible",
)
STOCK_NEW, STOCK_USED, STOCK_CPO = range(3)  # positions in STOCK_TYPES; id = position + 1
COLORS = ("White", "Black", "Gray", "Silver", "Blue", "Red", "Green", "Brown", "Beige")
COLOR_WEIGHTS = (24, 22, 18, 12, 9, 9, 2, 2, 2)
MIN_YEAR, MAX_YEAR = 2015, 2025


@dataclass(frozen=True)
class ModelSpec:
    make: str
    name: str
    bodystyle: str
    msrp: int
    first_year: int
    last_year: int
    popularity: float
    trims: tuple[str, ...]


MAKES: tuple[tuple[str, str, float], ...] = (
    # name, world manufacturer identifier (VIN positions 1-3), popularity
    ("Toyota", "4T1", 15.0),
    ("Honda", "1HG", 11.0),
    ("Ford", "1FT", 13.0),
    ("Chevrolet", "1G1", 12.0),
    ("Nissan", "1N4", 8.0),
    ("Hyundai", "5NP", 7.0),
    ("Kia", "5XY", 6.0),
    ("Subaru", "4S4", 5.0),
    ("Jeep", "1C4", 6.0),
    ("BMW", "WBA", 4.0),
    ("Mercedes-Benz", "W1K", 4.0),
    ("Tesla", "5YJ", 3.0),
)


def _m(make: str, name: str, body: str, msrp: int, years: tuple[int, int], pop: float, trims: str):
    return ModelSpec(make, name, body, msrp, years[0], years[1], pop, tuple(trims.split("|")))


MODELS: tuple[ModelSpec, ...] = (
    _m("Toyota", "Camry", "Sedan", 27000, (2015, 2025), 5, "LE|SE|XLE|XSE|TRD"),
    _m("Toyota", "Corolla", "Sedan", 22000, (2015, 2025), 4, "L|LE|SE|XSE"),
    _m("Toyota", "RAV4", "SUV", 29000, (2015, 2025), 6, "LE|XLE|XLE Premium|Adventure|Limited"),
    _m("Toyota", "Highlander", "SUV", 39000, (2015, 2025), 3, "L|LE|XLE|Limited|Platinum"),
    _m("Toyota", "Tacoma", "Pickup Truck", 32000, (2015, 2025), 3, "SR|SR5|TRD Sport|Limited"),
    _m("Honda", "Civic", "Sedan", 24000, (2015, 2025), 5, "LX|Sport|EX|Touring"),
    _m("Honda", "Accord", "Sedan", 28000, (2015, 2025), 4, "LX|Sport|EX-L|Touring"),
    _m("Honda", "CR-V", "SUV", 30000, (2015, 2025), 5, "LX|EX|EX-L|Touring"),
    _m("Honda", "Pilot", "SUV", 40000, (2015, 2025), 2, "LX|EX-L|Touring|Elite"),
    _m("Honda", "Odyssey", "Minivan", 38000, (2015, 2025), 2, "EX|EX-L|Touring|Elite"),
    _m("Ford", "F-150", "Pickup Truck", 38000, (2015, 2025), 8, "XL|XLT|Lariat|King Ranch"),
    _m("Ford", "Escape", "SUV", 28000, (2015, 2025), 3, "S|SE|SEL|Titanium"),
    _m("Ford", "Explorer", "SUV", 37000, (2015, 2025), 3, "Base|XLT|Limited|ST|Platinum"),
    _m("Ford", "Mustang", "Coupe", 31000, (2015, 2025), 2, "EcoBoost|EcoBoost Premium|GT"),
    _m("Chevrolet", "Silverado 1500", "Pickup Truck", 37000, (2015, 2025), 7, "WT|LT|RST|LTZ"),
    _m("Chevrolet", "Equinox", "SUV", 27000, (2015, 2025), 4, "LS|LT|RS|Premier"),
    _m("Chevrolet", "Malibu", "Sedan", 25000, (2015, 2024), 3, "LS|RS|LT|Premier"),
    _m("Chevrolet", "Tahoe", "SUV", 55000, (2015, 2025), 2, "LS|LT|RST|Z71|Premier"),
    _m("Nissan", "Altima", "Sedan", 26000, (2015, 2025), 4, "S|SV|SR|SL"),
    _m("Nissan", "Rogue", "SUV", 28000, (2015, 2025), 5, "S|SV|SL|Platinum"),
    _m("Nissan", "Sentra", "Sedan", 20000, (2015, 2025), 3, "S|SV|SR"),
    _m("Hyundai", "Elantra", "Sedan", 21000, (2015, 2025), 4, "SE|SEL|N Line|Limited"),
    _m("Hyundai", "Tucson", "SUV", 28000, (2015, 2025), 4, "SE|SEL|N Line|Limited"),
    _m("Hyundai", "Santa Fe", "SUV", 30000, (2015, 2025), 3, "SE|SEL|XRT|Limited|Calligraphy"),
    _m("Hyundai", "Ioniq 5", "SUV", 42000, (2022, 2025), 2, "SE|SEL|Limited"),
    _m("Kia", "Sorento", "SUV", 31000, (2015, 2025), 3, "LX|S|EX|SX"),
    _m("Kia", "Sportage", "SUV", 27000, (2015, 2025), 3, "LX|EX|SX|X-Line"),
    _m("Kia", "Telluride", "SUV", 36000, (2020, 2025), 3, "LX|S|EX|SX"),
    _m("Kia", "Forte", "Sedan", 20000, (2015, 2024), 2, "FE|LXS|GT-Line|GT"),
    _m("Subaru", "Outback", "Wagon", 29000, (2015, 2025), 4, "Base|Premium|Limited|Touring"),
    _m("Subaru", "Forester", "SUV", 27000, (2015, 2025), 4, "Base|Premium|Sport|Limited"),
    _m("Subaru", "Crosstrek", "Hatchback", 25000, (2016, 2025), 3, "Base|Premium|Sport"),
    _m("Jeep", "Wrangler", "SUV", 32000, (2015, 2025), 4, "Sport|Sport S|Sahara|Rubicon"),
    _m("Jeep", "Grand Cherokee", "SUV", 40000, (2015, 2025), 4, "Laredo|Limited|Overland"),
    _m("Jeep", "Cherokee", "SUV", 28000, (2015, 2023), 2, "Latitude|Latitude Lux|Trailhawk"),
    _m("BMW", "3 Series", "Sedan", 44000, (2015, 2025), 3, "330i|330i xDrive|M340i"),
    _m("BMW", "X3", "SUV", 47000, (2015, 2025), 3, "sDrive30i|xDrive30i|M40i"),
    _m("BMW", "X5", "SUV", 62000, (2015, 2025), 2, "sDrive40i|xDrive40i|M60i"),
    _m("BMW", "4 Series", "Convertible", 56000, (2015, 2025), 1, "430i|M440i xDrive"),
    _m("Mercedes-Benz", "C-Class", "Sedan", 46000, (2015, 2025), 3, "C 300|C 300 4MATIC"),
    _m("Mercedes-Benz", "GLC", "SUV", 48000, (2016, 2025), 3, "GLC 300|GLC 300 4MATIC"),
    _m("Mercedes-Benz", "E-Class", "Sedan", 58000, (2015, 2025), 2, "E 350|E 450 4MATIC"),
    _m("Tesla", "Model 3", "Sedan", 42000, (2017, 2025), 3, "Standard Range Plus|Long Range"),
    _m("Tesla", "Model Y", "SUV", 50000, (2020, 2025), 3, "Long Range|Performance"),
)

METROS: tuple[tuple[str, str, float], ...] = (
    # city, state (as spelled in the zipcodes package), relative market size
    ("New York", "NY", 19.0),
    ("Los Angeles", "CA", 13.0),
    ("Chicago", "IL", 9.5),
    ("Dallas", "TX", 7.6),
    ("Houston", "TX", 7.1),
    ("Washington", "DC", 6.3),
    ("Philadelphia", "PA", 6.2),
    ("Miami", "FL", 6.1),
    ("Atlanta", "GA", 6.1),
    ("Boston", "MA", 4.9),
    ("Phoenix", "AZ", 4.9),
    ("Detroit", "MI", 4.4),
    ("Seattle", "WA", 4.0),
    ("Minneapolis", "MN", 3.7),
    ("San Diego", "CA", 3.3),
    ("Tampa", "FL", 3.2),
    ("Denver", "CO", 3.0),
    ("Baltimore", "MD", 2.8),
    ("Saint Louis", "MO", 2.8),
    ("Orlando", "FL", 2.7),
    ("Charlotte", "NC", 2.7),
    ("San Antonio", "TX", 2.6),
    ("Portland", "OR", 2.5),
    ("Sacramento", "CA", 2.4),
    ("Pittsburgh", "PA", 2.4),
    ("Austin", "TX", 2.4),
    ("Las Vegas", "NV", 2.3),
    ("Cincinnati", "OH", 2.3),
    ("Kansas City", "MO", 2.2),
    ("Columbus", "OH", 2.1),
    ("Indianapolis", "IN", 2.1),
    ("Cleveland", "OH", 2.1),
    ("Nashville", "TN", 2.0),
    ("Jacksonville", "FL", 1.6),
    ("Oklahoma City", "OK", 1.4),
    ("Raleigh", "NC", 1.4),
    ("Memphis", "TN", 1.3),
    ("Richmond", "VA", 1.3),
    ("Louisville", "KY", 1.3),
    ("Salt Lake City", "UT", 1.3),
)
ZIPS_PER_METRO = 10
NO_DMA_EVERY = 7  # the last ZIP of every 7th metro has no dma_zip row (join-miss path)
UNKNOWN_ZIPS = ("99501", "59601", "05401", "82001", "83702", "03301")  # real, not in the dim


@dataclass(frozen=True)
class Catalog:
    """The hard-coded vehicle catalog as arrays (index = position in MAKES / MODELS)."""

    make_wmi: np.ndarray  # (n_makes, 3) uint8
    model_make: np.ndarray
    model_body: np.ndarray
    model_msrp: np.ndarray
    model_first_year: np.ndarray
    model_last_year: np.ndarray
    model_popularity: np.ndarray
    trim_start: np.ndarray  # per model: first index into trim arrays
    trim_count: np.ndarray
    trim_model: np.ndarray
    trim_names: tuple[str, ...]

    @property
    def make_ids(self) -> np.ndarray:
        return np.arange(1, len(MAKES) + 1, dtype=np.int32)

    @property
    def model_ids(self) -> np.ndarray:
        return np.arange(101, 101 + len(MODELS), dtype=np.int32)

    @property
    def trim_ids(self) -> np.ndarray:
        return np.arange(1001, 1001 + len(self.trim_names), dtype=np.int32)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    make_index = {name: i for i, (name, _, _) in enumerate(MAKES)}
    counts = np.array([len(m.trims) for m in MODELS])
    return Catalog(
        make_wmi=np.frombuffer("".join(w for _, w, _ in MAKES).encode(), np.uint8).reshape(-1, 3),
        model_make=np.array([make_index[m.make] for m in MODELS]),
        model_body=np.array([BODYSTYLES.index(m.bodystyle) for m in MODELS]),
        model_msrp=np.array([m.msrp for m in MODELS], dtype=np.float64),
        model_first_year=np.array([m.first_year for m in MODELS]),
        model_last_year=np.array([m.last_year for m in MODELS]),
        model_popularity=np.array([m.popularity for m in MODELS], dtype=np.float64),
        trim_start=np.concatenate([[0], np.cumsum(counts)[:-1]]),
        trim_count=counts,
        trim_model=np.repeat(np.arange(len(MODELS)), counts),
        trim_names=tuple(t for m in MODELS for t in m.trims),
    )


def model_year_id(year: Any) -> np.ndarray:
    """Stable model-year id (distinct from the year itself so joins must use the dimension)."""
    return np.asarray(year, dtype=np.int64) - 1900


@dataclass(frozen=True)
class Geography:
    """The chosen ZIP codes (index = position) with city, state, coordinates and DMA."""

    zip_code: tuple[str, ...]
    city: tuple[str, ...]
    state: tuple[str, ...]
    latitude: np.ndarray
    longitude: np.ndarray
    metro: np.ndarray  # index into METROS
    has_dma: np.ndarray  # False: no dma_zip row (ZIP with no DMA)

    @property
    def metro_weight(self) -> np.ndarray:
        return np.array([w for _, _, w in METROS], dtype=np.float64)


@lru_cache(maxsize=1)
def geography() -> Geography:
    """A deterministic subset of real ZIPs: up to ZIPS_PER_METRO standard ZIPs per metro."""
    by_metro: dict[tuple[str, str], list[dict]] = defaultdict(list)
    wanted = {(c, s) for c, s, _ in METROS}
    for row in zipcodes.list_all():
        key = (row["city"], row["state"])
        if key in wanted and row["zip_code_type"] == "STANDARD" and row["active"]:
            by_metro[key].append(row)
    picked: list[tuple[int, dict, bool]] = []
    for m, (city, state, _) in enumerate(METROS):
        rows = sorted(by_metro[(city, state)], key=lambda r: r["zip_code"])
        if not rows:
            raise RuntimeError(f"zipcodes has no standard ZIP for {city}, {state}")
        take = np.unique(np.linspace(0, len(rows) - 1, min(ZIPS_PER_METRO, len(rows))).round())
        for k, i in enumerate(take.astype(int)):
            no_dma = m % NO_DMA_EVERY == NO_DMA_EVERY - 1 and k == len(take) - 1
            picked.append((m, rows[i], not no_dma))
    return Geography(
        zip_code=tuple(r["zip_code"] for _, r, _ in picked),
        city=tuple(r["city"] for _, r, _ in picked),
        state=tuple(r["state"] for _, r, _ in picked),
        latitude=np.array([float(r["lat"]) for _, r, _ in picked]),
        longitude=np.array([float(r["long"]) for _, r, _ in picked]),
        metro=np.array([m for m, _, _ in picked]),
        has_dma=np.array([d for _, _, d in picked]),
    )


def zip_code_table(geo: Geography, rows: np.ndarray | None = None) -> pa.Table:
    """``zip_code`` dimension, one row per ZIP; zip_code_id = the ZIP as an integer."""
    idx = np.arange(len(geo.zip_code)) if rows is None else np.asarray(rows)
    zips = [geo.zip_code[i] for i in idx]
    return build_table(
        "zip_code",
        {
            "zip_code_id": np.array([int(z) for z in zips], dtype=np.int32),
            "zip_code": zips,
            "city": [geo.city[i] for i in idx],
            "state": [geo.state[i] for i in idx],
            "latitude": geo.latitude[idx],
            "longitude": geo.longitude[idx],
        },
    )


def synthetic_dma_table(geo: Geography) -> pa.Table:
    """``dma_zip`` of synthetic DMAs, one row per ZIP that has one: code 500 + metro index,
    name '<City> DMA'. ZIPs with ``has_dma`` False get no row."""
    idx = np.flatnonzero(geo.has_dma)
    return build_table(
        "dma_zip",
        {
            "zip_code_id": np.array([int(geo.zip_code[i]) for i in idx], dtype=np.int32),
            "dma_code": (500 + geo.metro[idx]).astype(np.int32),
            "dma_name": [f"{METROS[geo.metro[i]][0]} DMA" for i in idx],
        },
    )


def bodystyle_table() -> pa.Table:
    """``bodystyle`` dimension: one row per body style, id = position + 1."""
    return build_table(
        "bodystyle",
        {"bodystyle_id": np.arange(1, len(BODYSTYLES) + 1), "bodystyle_name": list(BODYSTYLES)},
    )


def stock_type_table() -> pa.Table:
    """``stock_type`` dimension: new, used, cpo with id = position + 1."""
    return build_table(
        "stock_type",
        {"stock_type_id": np.arange(1, len(STOCK_TYPES) + 1), "stock_type_name": STOCK_TYPES},
    )


def catalog_tables(cat: Catalog) -> dict[str, pa.Table]:
    """Vehicle dimensions of the synthetic catalog, one row per make / model / year / trim."""
    years = np.arange(MIN_YEAR, MAX_YEAR + 1)
    return {
        "make": build_table(
            "make", {"make_id": cat.make_ids, "make_name": [n for n, _, _ in MAKES]}
        ),
        "make_model": build_table(
            "make_model",
            {
                "model_id": cat.model_ids,
                "make_id": cat.make_ids[cat.model_make],
                "model_name": [m.name for m in MODELS],
            },
        ),
        "model_year": build_table(
            "model_year", {"model_year_id": model_year_id(years), "year": years}
        ),
        "vehicle_trim": build_table(
            "vehicle_trim",
            {
                "trim_id": cat.trim_ids,
                "model_id": cat.model_ids[cat.trim_model],
                "trim_name": list(cat.trim_names),
            },
        ),
        "bodystyle": bodystyle_table(),
        "stock_type": stock_type_table(),
    }


# --------------------------------------------------------------------------------------
# Dealer-side dimensions (shared with import_ev)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewPool:
    """All dealer reviews ever written in the simulated period, sorted by review_ts."""

    review_id: np.ndarray
    customer_id: np.ndarray
    rating: np.ndarray
    review_ts: np.ndarray  # microseconds


def review_pool(
    rng: np.random.Generator, customer_ids: np.ndarray, first_us: int, last_us: int
) -> ReviewPool:
    """Reviews per dealer: a dealer quality level, ~15% of dealers never reviewed."""
    n = len(customer_ids)
    quality = np.clip(rng.normal(4.1, 0.5, n), 2.0, 4.9)
    per_dealer = rng.poisson(rng.lognormal(np.log(25), 0.8, n)) * (rng.random(n) >= 0.15)
    owner = np.repeat(np.arange(n), per_dealer)
    rating = np.clip(np.rint(rng.normal(quality[owner], 1.0)), 1, 5).astype(np.int32)
    ts = rng.integers(first_us, last_us, size=len(owner))
    order = np.argsort(ts, kind="stable")
    return ReviewPool(
        review_id=np.arange(5_000_001, 5_000_001 + len(owner), dtype=np.int64),
        customer_id=np.asarray(customer_ids, dtype=np.int64)[owner[order]],
        rating=rating[order],
        review_ts=ts[order],
    )


def review_tables(pool: ReviewPool, day: date) -> dict[str, pa.Table]:
    """``dealer_review`` (one row per review written before the end of ``day``) and
    ``dealer_review_rollup`` (one row per reviewed dealer, consistent with those rows)."""
    upto = int(np.searchsorted(pool.review_ts, day_start_us(day) + DAY_US, side="left"))
    cust, rating = pool.customer_id[:upto], pool.rating[:upto]
    dealers, inverse = np.unique(cust, return_inverse=True)
    count = np.bincount(inverse, minlength=len(dealers))
    total = np.bincount(inverse, weights=rating, minlength=len(dealers))
    return {
        "dealer_review": build_table(
            "dealer_review",
            {
                "review_id": pool.review_id[:upto],
                "customer_id": cust,
                "rating": rating,
                "review_ts": timestamp_array(pool.review_ts[:upto]),
            },
        ),
        "dealer_review_rollup": build_table(
            "dealer_review_rollup",
            {
                "customer_id": dealers,
                "avg_rating": np.round(total / np.maximum(count, 1), 2),
                "review_count": count.astype(np.int32),
            },
        ),
    }


def activity_customer_table(rng: np.random.Generator, customer_ids: np.ndarray) -> pa.Table:
    """``activity_customer``: one row per dealer (response time in minutes, active flag)."""
    n = len(customer_ids)
    return build_table(
        "activity_customer",
        {
            "customer_id": np.asarray(customer_ids, dtype=np.int64),
            "avg_response_minutes": np.round(rng.lognormal(np.log(40), 0.9, n), 1),
            "active_flag": rng.random(n) < 0.95,
        },
    )


def vehicle_review_rollup_table(
    rng: np.random.Generator, make_id: np.ndarray, model_id: np.ndarray, year: np.ndarray
) -> pa.Table:
    """``vehicle_review_rollup``: one row per reviewed (make, model, year); ~10% have none."""
    keep = rng.random(len(year)) >= 0.10
    n = int(keep.sum())
    return build_table(
        "vehicle_review_rollup",
        {
            "make_id": np.asarray(make_id)[keep],
            "model_id": np.asarray(model_id)[keep],
            "year": np.asarray(year)[keep],
            "avg_rating": np.round(np.clip(rng.normal(4.35, 0.3, n), 2.5, 5.0), 2),
            "review_count": (1 + rng.poisson(rng.lognormal(np.log(60), 1.0, n))).astype(np.int32),
        },
    )


# --------------------------------------------------------------------------------------
# Activity model (shared with import_ev): vehicle_daily, imp_daily, dw_lead
# --------------------------------------------------------------------------------------

DEVICES = ("desktop", "mobile", "tablet")
DEVICE_SHARE = np.array([0.38, 0.55, 0.07])
SRP_MAX_POSITION, FEATURED_MAX_POSITION = 50, 10
LEAD_TYPE_WEIGHTS = (0.45, 0.30, 0.12, 0.10, 0.03)  # email, phone, chat, text, other
LEAD_STATUS_WEIGHTS = (0.93, 0.05, 0.02)  # valid, spam, test
LATE_D1_SHARE, LATE_D2_SHARE, REDELIVERY_SHARE = 0.20, 0.05, 0.02


@dataclass(frozen=True)
class ActiveListings:
    """Input of the activity model: one row per active listing of a day (unique vehicle_id)."""

    vehicle_id: np.ndarray  # int64
    customer_id: np.ndarray  # int64
    price: np.ndarray  # float64 dollars; NaN = no price shown
    segment: np.ndarray  # int64 key: same make/model/year/stock type = same segment
    photo_count: np.ndarray  # int
    paying: np.ndarray  # bool: the dealer pays (only paying dealers buy featured slots)

    def __len__(self) -> int:
        return len(self.vehicle_id)


@dataclass(frozen=True)
class DailyActivity:
    """What the activity model produced for one day (leads not yet scheduled for delivery)."""

    vehicle_daily: pa.Table
    imp_daily: pa.Table
    leads: pa.Table
    competitiveness: np.ndarray  # log(segment median / price), per listing


def competitiveness(price: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """log(segment median price / price), clipped to +-0.5; positive = cheaper than segment.

    Listings without a price get -0.15 (buyers skip them)."""
    comp = np.full(len(price), -0.15)
    priced = np.flatnonzero(~np.isnan(price))
    if len(priced) == 0:
        return comp
    order = priced[np.lexsort((price[priced], segment[priced]))]
    seg_sorted = segment[order]
    starts = np.flatnonzero(np.r_[True, seg_sorted[1:] != seg_sorted[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    p_sorted = price[order]
    median = (p_sorted[starts + (counts - 1) // 2] + p_sorted[starts + counts // 2]) / 2
    group_median = np.repeat(median, counts)
    comp[order] = np.clip(np.log(group_median / np.maximum(p_sorted, 1.0)), -0.5, 0.5)
    return comp


def _deal_badge_codes(rng: np.random.Generator, comp: np.ndarray, price: np.ndarray):
    codes = np.select([comp > 0.10, comp > 0.04, comp > -0.04], [0, 1, 2], default=3)
    no_badge = np.isnan(price) | (rng.random(len(comp)) < 0.03)
    return np.where(no_badge, DEAL_BADGES.index("none"), codes)


def vehicle_daily_table(
    rng: np.random.Generator, listings: ActiveListings, comp: np.ndarray
) -> pa.Table:
    """``vehicle_daily``: one row per active listing. Featured (paying dealers, ~12%, stable
    per listing with a little daily churn), video (~25%, stable), deal badge from price."""
    vid = listings.vehicle_id
    featured = listings.paying & (hash_uniform(vid, 11) < 0.12) & (rng.random(len(vid)) >= 0.03)
    return build_table(
        "vehicle_daily",
        {
            "vehicle_id": vid,
            "is_featured": featured,
            "has_video": hash_uniform(vid, 12) < 0.25,
            "deal_badge": category_array(_deal_badge_codes(rng, comp, listings.price), DEAL_BADGES),
        },
    )


def _group_offsets(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each group of a np.repeat(..., counts) layout."""
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(starts, counts)


def _srp_slots(rng: np.random.Generator, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(listing index, position) of each distinct search-results position a listing held:
    cheaper listings hold more positions, nearer the top."""
    n = len(comp)
    k = 1 + rng.binomial(5, np.clip(0.45 + comp, 0.1, 0.9))
    idx = np.repeat(np.arange(n), k)
    first = np.exp(np.log(14.0) - 3.0 * comp + rng.normal(0.0, 0.45, n))
    first = np.clip(np.rint(first), 1, SRP_MAX_POSITION).astype(np.int64)
    steps = rng.geometric(0.3, size=len(idx))
    rank = _group_offsets(k)
    steps[rank == 0] = 0
    cum = np.cumsum(steps)
    offset = cum - np.repeat(cum[np.cumsum(k) - k], k)
    position = first[idx] + offset
    keep = position <= SRP_MAX_POSITION
    return idx[keep], position[keep]


def _featured_slots(rng: np.random.Generator, featured: np.ndarray):
    """(listing index, position 1..10) of the featured carousel slots of featured listings."""
    idx0 = np.flatnonzero(featured)
    k = 1 + (rng.random(len(idx0)) < 0.5)
    idx = np.repeat(idx0, k)
    first = rng.integers(1, FEATURED_MAX_POSITION, size=len(idx0))
    position = first[np.searchsorted(idx0, idx)] + _group_offsets(k)
    return idx, np.minimum(position, FEATURED_MAX_POSITION)


def _by_device(rng: np.random.Generator, idx: np.ndarray, position: np.ndarray, mean: np.ndarray):
    """Split slot means over devices, draw Poisson counts, keep non-zero rows."""
    n = len(idx)
    imps = rng.poisson(mean[:, None] * DEVICE_SHARE[None, :]).ravel()
    device = np.tile(np.arange(len(DEVICES)), n)
    rows = np.repeat(np.arange(n), len(DEVICES))
    keep = imps > 0
    return idx[rows[keep]], position[rows[keep]], device[keep], imps[keep]


def impression_rows(
    rng: np.random.Generator, listings: ActiveListings, comp: np.ndarray, featured: np.ndarray
) -> dict[str, np.ndarray]:
    """Impression rows as arrays: (listing index, page code, position or -1, device, count).

    Grain: one row per listing, page type, position and device with impressions > 0.
    srp: 1-6 positions per listing (more and higher when cheaper than its segment);
    featured: 1-2 carousel slots for featured listings; vdp: detail views = search and
    carousel impressions times a click rate that grows with price advantage and photos."""
    n = len(listings)
    pop = rng.lognormal(0.0, 0.35, n) * (0.6 + np.minimum(listings.photo_count, 40) / 50.0)
    s_idx, s_pos = _srp_slots(rng, comp)
    s_mean = pop[s_idx] * 90.0 / np.log2(s_pos + 1.0) ** 1.2
    srp = _by_device(rng, s_idx, s_pos, s_mean)
    f_idx, f_pos = _featured_slots(rng, featured)
    f_mean = pop[f_idx] * 45.0 / np.log2(f_pos + 1.0)
    feat = _by_device(rng, f_idx, f_pos, f_mean)
    ctr = 0.035 * np.exp(2.0 * comp) * (0.6 + np.minimum(listings.photo_count, 40) / 60.0)
    seen = np.zeros(n * len(DEVICES))
    for l_idx, _, dev, imps in (srp, feat):
        seen += np.bincount(l_idx * len(DEVICES) + dev, weights=imps, minlength=len(seen))
    vdp_mean = seen * np.repeat(ctr, len(DEVICES))
    vdp_imps = rng.poisson(vdp_mean)
    v_keep = np.flatnonzero(vdp_imps > 0)
    vdp = (
        v_keep // len(DEVICES),
        np.full(len(v_keep), -1),
        v_keep % len(DEVICES),
        vdp_imps[v_keep],
    )
    parts = [
        (PAGE_TYPES.index(p), rows) for p, rows in zip(PAGE_TYPES, (srp, feat, vdp), strict=True)
    ]
    return {
        "listing": np.concatenate([r[0] for _, r in parts]),
        "page": np.concatenate([np.full(len(r[0]), code) for code, r in parts]),
        "position": np.concatenate([r[1] for _, r in parts]),
        "device": np.concatenate([r[2] for _, r in parts]),
        "impressions": np.concatenate([r[3] for _, r in parts]),
    }


def imp_daily_table(day: date, vehicle_id: np.ndarray, rows: dict[str, np.ndarray]) -> pa.Table:
    """``imp_daily`` from :func:`impression_rows` (event_date = the day)."""
    n = len(rows["listing"])
    epoch_day = (day - date(1970, 1, 1)).days
    return build_table(
        "imp_daily",
        {
            "event_date": pa.array(np.full(n, epoch_day, dtype=np.int32), pa.date32()),
            "vehicle_id": vehicle_id[rows["listing"]],
            "page_type": category_array(rows["page"], PAGE_TYPES),
            "position": pa.array(rows["position"], pa.int32(), mask=rows["position"] < 0),
            "device": category_array(rows["device"], DEVICES),
            "impressions": rows["impressions"].astype(np.int64),
        },
    )


def lead_table(
    rng: np.random.Generator, day: date, listings: ActiveListings, vdp_views: np.ndarray
) -> pa.Table:
    """``dw_lead`` rows of the leads that happened on ``day``: one row per lead, ~3% of
    detail-page views convert; lead_id 'ld-YYYYMMDD-nnnnnnn' is unique across days."""
    counts = rng.poisson(vdp_views * 0.03)
    owner = np.repeat(np.arange(len(listings)), counts)
    n = len(owner)
    ts = day_start_us(day) + rng.integers(0, DAY_US, size=n)
    order = np.argsort(ts, kind="stable")
    owner, ts = owner[order], ts[order]
    seq = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 7, "0")
    lead_ids = pc.binary_join_element_wise(f"ld-{day:%Y%m%d}-", seq, "")
    return build_table(
        "dw_lead",
        {
            "lead_id": lead_ids,
            "vehicle_id": listings.vehicle_id[owner],
            "customer_id": listings.customer_id[owner],
            "lead_type": category_array(_choice(rng, LEAD_TYPE_WEIGHTS, n), LEAD_TYPES),
            "lead_ts": timestamp_array(ts),
            "status": category_array(_choice(rng, LEAD_STATUS_WEIGHTS, n), LEAD_STATUSES),
        },
    )


def simulate_activity(
    rng: np.random.Generator, listings: ActiveListings, day: date
) -> DailyActivity:
    """The day's vehicle_daily, imp_daily and (undelivered) leads of the active listings."""
    comp = competitiveness(listings.price, listings.segment)
    daily = vehicle_daily_table(rng, listings, comp)
    featured = daily.column("is_featured").to_numpy(zero_copy_only=False)
    rows = impression_rows(rng, listings, comp, featured)
    vdp = rows["page"] == PAGE_TYPES.index("vdp")
    views = np.bincount(
        rows["listing"][vdp], weights=rows["impressions"][vdp], minlength=len(listings)
    )
    return DailyActivity(
        vehicle_daily=daily,
        imp_daily=imp_daily_table(day, listings.vehicle_id, rows),
        leads=lead_table(rng, day, listings, views),
        competitiveness=comp,
    )


class LeadDeliveries:
    """Schedules leads into delivery partitions: on time, D+1 (~20%), D+2 (~5%), and ~2%
    delivered again (same or next partition). A late day outside ``dates`` means on time."""

    def __init__(self, dates: Sequence[date]) -> None:
        self._dates = set(dates)
        self._pending: dict[date, list[pa.Table]] = defaultdict(list)

    def _feasible(self, day: date, offsets: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        ok = np.array([day + timedelta(days=int(o)) in self._dates for o in range(4)])
        return np.where(ok[offsets], offsets, fallback)

    def add(self, rng: np.random.Generator, day: date, leads: pa.Table) -> None:
        n = leads.num_rows
        u = rng.random(n)
        late = np.where(u < LATE_D2_SHARE, 2, np.where(u < LATE_D2_SHARE + LATE_D1_SHARE, 1, 0))
        offset = self._feasible(day, late, np.zeros(n, dtype=np.int64))
        again = rng.random(n) < REDELIVERY_SHARE
        re_offset = self._feasible(day, offset + rng.integers(0, 2, size=n), offset)
        for o in range(4):
            for mask in (offset == o, again & (re_offset == o)):
                if mask.any():
                    self._pending[day + timedelta(days=o)].append(leads.filter(pa.array(mask)))

    def pop(self, day: date) -> pa.Table:
        """All leads delivered in ``day``'s partition (in arrival order)."""
        parts = self._pending.pop(day, [])
        return pa.concat_tables(parts) if parts else empty_table("dw_lead")


# --------------------------------------------------------------------------------------
# Synthetic world: dealers and listings
# --------------------------------------------------------------------------------------

NAME_WORDS = (
    "Northside", "Lakeside", "Capitol", "Premier", "Sunrise", "Valley", "Metro", "Gateway",
    "Riverside", "Summit", "Heritage", "Coastal", "Liberty", "Pioneer", "Crossroads", "Parkway",
)  # fmt: skip
INDEPENDENT_SUFFIXES = ("Auto Sales", "Motors", "Auto Group", "Car Company", "Pre-Owned")
ACTIVE, PENDING, SOLD, REMOVED = (VEHICLE_STATUSES.index(s) for s in VEHICLE_STATUSES)
FIRST_VEHICLE_ID = 1_000_000_001
FIRST_CUSTOMER_ID = 10_001
OUTSIDER_FIRST_ID = 9_000_000_001  # competitor-only listings (never in our vehicle table)


@dataclass(frozen=True)
class Dealers:
    """Dealers (index = position) and their sales locations."""

    customer_id: np.ndarray
    franchise_make: np.ndarray  # make index, -1 = independent dealer
    paying: np.ndarray
    weight: np.ndarray  # share of listings
    loc_start: np.ndarray  # per dealer: first index into the location arrays
    loc_count: np.ndarray
    loc_zip: np.ndarray  # per location: ZIP index
    table: pa.Table  # customer dimension
    locations: pa.Table  # dealer_sales_locations dimension


def build_dealers(rng: np.random.Generator, geo: Geography, n: int) -> Dealers:
    """``customer`` (one row per dealer) and ``dealer_sales_locations`` (1-3 per dealer, in the
    dealer's metro; the first is the dealer's own ZIP)."""
    zip_weight = geo.metro_weight[geo.metro] / np.bincount(geo.metro)[geo.metro]
    home = _choice(rng, zip_weight, n)
    franchise = np.where(rng.random(n) < 0.55, _choice(rng, [p for _, _, p in MAKES], n), -1)
    loc_count = 1 + rng.binomial(2, 0.3, size=n)
    loc_start = np.cumsum(loc_count) - loc_count
    owner = np.repeat(np.arange(n), loc_count)
    by_metro = np.argsort(geo.metro, kind="stable")
    metro_count = np.bincount(geo.metro, minlength=len(METROS))
    metro_start = np.cumsum(metro_count) - metro_count
    loc_metro = geo.metro[home[owner]]
    pick = np.floor(rng.random(len(owner)) * metro_count[loc_metro]).astype(np.int64)
    loc_zip = by_metro[metro_start[loc_metro] + pick]
    loc_zip[loc_start] = home
    customer_id = np.arange(FIRST_CUSTOMER_ID, FIRST_CUSTOMER_ID + n, dtype=np.int64)
    words = rng.integers(0, len(NAME_WORDS), size=n)
    suffix = rng.integers(0, len(INDEPENDENT_SUFFIXES), size=n)
    names = [
        f"{NAME_WORDS[w]} {MAKES[f][0]} of {geo.city[z]}"
        if f >= 0
        else f"{NAME_WORDS[w]} {INDEPENDENT_SUFFIXES[s]}"
        for w, s, f, z in zip(words, suffix, franchise, home, strict=True)
    ]
    paying = rng.random(n) < np.where(franchise >= 0, 0.85, 0.55)
    return Dealers(
        customer_id=customer_id,
        franchise_make=franchise,
        paying=paying,
        weight=rng.lognormal(0.0, 0.7, n) * np.where(franchise >= 0, 1.6, 1.0),
        loc_start=loc_start,
        loc_count=loc_count,
        loc_zip=loc_zip,
        table=build_table(
            "customer",
            {
                "customer_id": customer_id,
                "dealer_name": names,
                "customer_type": np.where(franchise >= 0, "franchise", "independent").tolist(),
                "zip_code": [geo.zip_code[z] for z in home],
                "purchase_flag": paying,
            },
        ),
        locations=build_table(
            "dealer_sales_locations",
            {
                "customer_id": customer_id[owner],
                "location_id": np.arange(1, len(owner) + 1, dtype=np.int64),
                "zip_code": [geo.zip_code[z] for z in loc_zip],
            },
        ),
    )


@dataclass(frozen=True)
class World:
    """Everything that does not change from day to day."""

    catalog: Catalog
    geo: Geography
    dealers: Dealers
    reviews: ReviewPool
    static_tables: dict[str, pa.Table]  # dimensions written unchanged every day
    outsiders: dict[str, np.ndarray]  # competitor-only listings (VINs we do not have)


def build_world(seed: int, listings: int, start: date, days: int) -> World:
    cat, geo = catalog(), geography()
    rng = day_rng(seed, "world")
    dealers = build_dealers(rng, geo, max(20, listings // 60))
    first_us = day_start_us(start) - 3 * 365 * DAY_US
    reviews = review_pool(rng, dealers.customer_id, first_us, day_start_us(start) + days * DAY_US)
    model_of_pair = np.repeat(np.arange(len(MODELS)), MAX_YEAR - MIN_YEAR + 1)
    years = np.tile(np.arange(MIN_YEAR, MAX_YEAR + 1), len(MODELS))
    sold_then = (years >= cat.model_first_year[model_of_pair]) & (
        years <= cat.model_last_year[model_of_pair]
    )
    static = catalog_tables(cat) | {
        "zip_code": zip_code_table(geo),
        "dma_zip": synthetic_dma_table(geo),
        "customer": dealers.table,
        "dealer_sales_locations": dealers.locations,
        "activity_customer": activity_customer_table(rng, dealers.customer_id),
        "vehicle_review_rollup": vehicle_review_rollup_table(
            rng,
            cat.make_ids[cat.model_make[model_of_pair[sold_then]]],
            cat.model_ids[model_of_pair[sold_then]],
            years[sold_then],
        ),
    }
    outsiders = _new_listings(
        rng, cat, dealers, max(50, listings // 12), OUTSIDER_FIRST_ID, start, initial=True
    )
    return World(cat, geo, dealers, reviews, static, outsiders)


def _pick_models(rng: np.random.Generator, cat: Catalog, make: np.ndarray) -> np.ndarray:
    """A model per row by popularity; rows with make >= 0 get a model of that make."""
    model = _choice(rng, cat.model_popularity, len(make))
    for m in range(len(MAKES)):
        rows = np.flatnonzero(make == m)
        if len(rows):
            of_make = np.flatnonzero(cat.model_make == m)
            model[rows] = of_make[_choice(rng, cat.model_popularity[of_make], len(rows))]
    return model


def _pick_years(rng, cat: Catalog, model: np.ndarray, stock: np.ndarray) -> np.ndarray:
    n = len(model)
    new_year = MAX_YEAR - (rng.random(n) < 0.3)
    used_year = MAX_YEAR - np.floor(rng.gamma(2.0, 1.8, n)).astype(np.int64)
    cpo_year = MAX_YEAR - rng.integers(1, 7, size=n)
    year = np.select([stock == STOCK_NEW, stock == STOCK_CPO], [new_year, cpo_year], used_year)
    return np.clip(year, cat.model_first_year[model], cat.model_last_year[model])


def _price_and_mileage(rng, cat: Catalog, model, trim_rank, year, stock):
    """(msrp cents, price cents, mileage): new near MSRP, used depreciated by age and miles."""
    n = len(model)
    msrp = cat.model_msrp[model] * (1 + 0.09 * trim_rank) * (1 + 0.025 * (year - 2020))
    msrp_cents = (np.rint(msrp / 10) * 1000).astype(np.int64)
    age = np.maximum(MAX_YEAR + 1 - year, 1)
    mileage = age * 11_500 * rng.lognormal(0.0, 0.35, n)
    mileage = np.where(stock == STOCK_CPO, np.minimum(mileage, 79_000), mileage)
    mileage = np.where(stock == STOCK_NEW, rng.integers(0, 60, size=n), mileage).astype(np.int64)
    wear = np.clip(1 - (mileage - 11_500 * age) / 300_000, 0.7, 1.2)
    used = msrp * 0.86 * 0.87**age * wear * rng.lognormal(0.0, 0.06, n)
    dollars = np.select(
        [stock == STOCK_NEW, stock == STOCK_CPO],
        [msrp * rng.uniform(0.93, 1.02, n), used * 1.06],
        used,
    )
    dollars = np.maximum(dollars, 2500.0)
    dollars = np.where(
        rng.random(n) < 0.4, np.rint(dollars / 100) * 100 - 1, np.rint(dollars / 10) * 10
    )
    return msrp_cents, dollars.astype(np.int64) * 100, mileage


def _new_listings(
    rng: np.random.Generator,
    cat: Catalog,
    dealers: Dealers,
    n: int,
    first_id: int,
    day: date,
    *,
    initial: bool,
) -> dict[str, np.ndarray]:
    """``n`` new listing states (active). Initial listings were listed up to ~8 months ago;
    later arrivals are listed during ``day``."""
    dealer = _choice(rng, dealers.weight, n)
    franchise = dealers.franchise_make[dealer]
    stock = np.where(franchise >= 0, _choice(rng, (0.45, 0.40, 0.15), n), STOCK_USED)
    model = _pick_models(rng, cat, np.where(stock == STOCK_USED, -1, franchise))
    year = _pick_years(rng, cat, model, stock)
    rank = np.floor(rng.random(n) ** 1.3 * cat.trim_count[model]).astype(np.int64)
    msrp, price, mileage = _price_and_mileage(rng, cat, model, rank, year, stock)
    vehicle_id = np.arange(first_id, first_id + n, dtype=np.int64)
    loc = dealers.loc_start[dealer] + np.where(
        rng.random(n) < 0.75, 0, np.floor(rng.random(n) * dealers.loc_count[dealer])
    ).astype(np.int64)
    start = day_start_us(day)
    age_us = np.minimum(rng.exponential(28 * DAY_US, n), 240 * DAY_US).astype(np.int64)
    listed = start - age_us if initial else start + rng.integers(0, 20 * 3600 * SECOND_US, n)
    return {
        "vehicle_id": vehicle_id,
        "vin": make_vins(rng, cat.make_wmi[cat.model_make[model]], year, vehicle_id % 1_000_000),
        "vin_null": rng.random(n) < 0.03,
        "dealer": dealer,
        "model": model,
        "year": year,
        "trim": cat.trim_start[model] + rank,
        "stock": stock,
        "msrp": msrp,
        "price": price,
        "prev_price": price.copy(),
        "price_null": rng.random(n) < 0.02,
        "mileage": mileage,
        "color": _choice(rng, COLOR_WEIGHTS, n),
        "zip": dealers.loc_zip[loc],
        "status": np.full(n, ACTIVE, dtype=np.int64),
        "photo_count": np.where(rng.random(n) < 0.03, 0, rng.integers(8, 61, size=n)),
        "listed_at": listed,
    }


def _take(state: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in state.items()}


def _concat(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


# Daily transition probabilities by current status (the rest stays put).
ACTIVE_TO = ((SOLD, 0.012), (REMOVED, 0.006), (PENDING, 0.015))
PENDING_TO = ((SOLD, 0.35), (ACTIVE, 0.10), (REMOVED, 0.02))
PRICE_CHANGE_SHARE, PRICE_DROP_SHARE = 0.05, 0.7


def _transition(rng: np.random.Generator, status: np.ndarray) -> np.ndarray:
    u = rng.random(len(status))
    new = status.copy()
    for current, moves in ((ACTIVE, ACTIVE_TO), (PENDING, PENDING_TO)):
        low = 0.0
        for target, p in moves:
            new[(status == current) & (u >= low) & (u < low + p)] = target
            low += p
    return new


def _reprice(rng: np.random.Generator, price: np.ndarray, active: np.ndarray) -> np.ndarray:
    """~5% of active listings change price: 70% drop 1-7%, 30% rise 1-4% (whole dollars)."""
    n = len(price)
    change = active & (rng.random(n) < PRICE_CHANGE_SHARE)
    factor = np.where(
        rng.random(n) < PRICE_DROP_SHARE,
        1 - rng.uniform(0.01, 0.07, n),
        1 + rng.uniform(0.01, 0.04, n),
    )
    new = (np.rint(price * factor / 100) * 100).astype(np.int64)
    return np.where(change, new, price)


def initial_state(rng, world: World, target: int, day: date) -> dict[str, np.ndarray]:
    """Day one: ``target`` active listings plus ~2% pending."""
    n = target + max(1, target // 50)
    state = _new_listings(rng, world.catalog, world.dealers, n, FIRST_VEHICLE_ID, day, initial=True)
    state["status"][target:] = PENDING
    return state


def advance(rng, world: World, state: dict[str, np.ndarray], target: int, day: date):
    """Next day's states: yesterday's sold/removed leave, statuses move, prices change,
    new listings arrive so that the active count is back near ``target``."""
    state = _take(state, np.flatnonzero((state["status"] == ACTIVE) | (state["status"] == PENDING)))
    state["prev_price"] = state["price"].copy()
    state["status"] = _transition(rng, state["status"])
    state["price"] = _reprice(rng, state["price"], state["status"] == ACTIVE)
    n_active = int((state["status"] == ACTIVE).sum())
    wanted = round(target * (1 + rng.normal(0.0, 0.01)))
    arrivals = max(0, wanted - n_active)
    next_id = int(state["vehicle_id"].max()) + 1 if len(state["vehicle_id"]) else FIRST_VEHICLE_ID
    new = _new_listings(rng, world.catalog, world.dealers, arrivals, next_id, day, initial=False)
    return _concat(state, new)


def _updated_at(rng: np.random.Generator, listed_at: np.ndarray, day: date) -> np.ndarray:
    """A time within ``day``, never before listed_at."""
    lo = np.maximum(listed_at, day_start_us(day))
    hi = day_start_us(day) + DAY_US
    return lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)


def _delivery_rows(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row order of the delivery: every row once, ~1% again with an earlier updated_at and
    ~0.1% again with the very same updated_at (a tie). Returns (rows, dup mask, tie mask)."""
    dup = rng.choice(n, size=round(n * 0.01), replace=False) if n else np.empty(0, int)
    tie = rng.choice(n, size=max(1, round(n * 0.001)) if n else 0, replace=False)
    rows = np.concatenate([np.arange(n), dup, tie])
    is_dup = np.r_[np.zeros(n, bool), np.ones(len(dup), bool), np.zeros(len(tie), bool)]
    is_tie = np.r_[np.zeros(n + len(dup), bool), np.ones(len(tie), bool)]
    return rows, is_dup, is_tie


def vehicle_table(
    rng: np.random.Generator, world: World, state: dict[str, np.ndarray], day: date
) -> pa.Table:
    """``vehicle``: one row per listing that is active or pending on ``day`` or was sold or
    removed that day, plus duplicate deliveries (earlier copy carries the previous price)."""
    cat, geo = world.catalog, world.geo
    updated = _updated_at(rng, state["listed_at"], day)
    rows, is_dup, is_tie = _delivery_rows(rng, len(updated))
    s = _take(state, rows)
    earlier = rng.integers(SECOND_US, 3600 * SECOND_US, size=len(rows))
    upd = np.where(is_dup, np.maximum(updated[rows] - earlier, s["listed_at"]), updated[rows])
    price = np.where(is_dup, s["prev_price"], s["price"])
    model = s["model"]
    return build_table(
        "vehicle",
        {
            "vehicle_id": s["vehicle_id"],
            "vin": vin_array(s["vin"], s["vin_null"]),
            "customer_id": world.dealers.customer_id[s["dealer"]],
            "make_id": cat.make_ids[cat.model_make[model]],
            "model_id": cat.model_ids[model],
            "model_year_id": model_year_id(s["year"]),
            "trim_id": cat.trim_ids[s["trim"]],
            "bodystyle_id": cat.model_body[model] + 1,
            "stock_type_id": s["stock"] + 1,
            "price": decimal_array(price, s["price_null"]),
            "msrp": decimal_array(s["msrp"]),
            "mileage": s["mileage"],
            "exterior_color": category_array(s["color"], COLORS),
            "zip_code": category_array(s["zip"], geo.zip_code),
            "status": category_array(s["status"], VEHICLE_STATUSES),
            "photo_count": s["photo_count"] + is_tie,
            "listed_at": timestamp_array(s["listed_at"]),
            "updated_at": timestamp_array(upd),
        },
    )


def segment_key(model: np.ndarray, year: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """One int64 per (model, model year, stock type): the price segment."""
    return (np.asarray(model, np.int64) * 10_000 + np.asarray(year)) * 10 + np.asarray(stock)


def active_listings(world: World, state: dict[str, np.ndarray]) -> ActiveListings:
    s = _take(state, np.flatnonzero(state["status"] == ACTIVE))
    return ActiveListings(
        vehicle_id=s["vehicle_id"],
        customer_id=world.dealers.customer_id[s["dealer"]],
        price=np.where(s["price_null"], np.nan, s["price"] / 100.0),
        segment=segment_key(s["model"], s["year"], s["stock"]),
        photo_count=s["photo_count"],
        paying=world.dealers.paying[s["dealer"]],
    )


# --------------------------------------------------------------------------------------
# Contract-breaking rows
# --------------------------------------------------------------------------------------

VEHICLE_BAD_KINDS = (
    "vin_length",
    "vin_char",
    "vin_check",
    "listed_after_updated",
    "listed_1900",
    "negative_price",
    "unknown_zip",
    "malformed_zip",
    "bad_status",
    "null_vehicle_id",
)
IMP_BAD_KINDS = ("negative_impressions", "unknown_page_type", "srp_null_position")
LEAD_BAD_KINDS = ("unknown_lead_type", "null_lead_id")
BAD_SHARE_FACTOR = {"vehicle": 1.0, "imp_daily": 0.01, "dw_lead": 0.1}
FALLBACK_VIN = "1HGCM82633A004352"  # a valid VIN for corrupting rows whose VIN is null


def bad_row_count(share: float, rows: int, table: str, kinds: Sequence[str]) -> int:
    """Bad rows to add: share x rows x table factor, at least one per kind (0 if share is 0)."""
    if share <= 0 or rows == 0:
        return 0
    return max(len(kinds), round(share * rows * BAD_SHARE_FACTOR[table]))


def _break_vin(kind: str, vin: str, rng: np.random.Generator) -> str:
    if kind == "vin_length":
        return vin[:16] if rng.random() < 0.5 else vin + "7"
    if kind == "vin_char":
        pos = int(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 10]))
        return vin[:pos] + "IOQ"[int(rng.integers(0, 3))] + vin[pos + 1 :]
    wrong = [c for c in "0123456789X" if c != vin[8]]
    return vin[:8] + wrong[int(rng.integers(0, len(wrong)))] + vin[9:]


def _break_vehicle(kind: str, row: dict, rng: np.random.Generator, day_end: datetime) -> None:
    row["updated_at"] = min(
        row["updated_at"] + timedelta(seconds=int(rng.integers(1, 600))), day_end
    )
    if kind.startswith("vin_"):
        row["vin"] = _break_vin(kind, row["vin"] or FALLBACK_VIN, rng)
    elif kind == "listed_after_updated":
        row["listed_at"] = row["updated_at"] + timedelta(days=int(rng.integers(1, 30)))
    elif kind == "listed_1900":
        row["listed_at"] = row["listed_at"].replace(year=1900, month=1, day=1)
    elif kind == "negative_price":
        row["price"] = -abs(row["price"] or Decimal("1000.00"))
    elif kind == "unknown_zip":
        row["zip_code"] = UNKNOWN_ZIPS[int(rng.integers(0, len(UNKNOWN_ZIPS)))]
    elif kind == "malformed_zip":
        row["zip_code"] = "ABCDE" if rng.random() < 0.5 else "123"
    elif kind == "bad_status":
        row["status"] = ("deleted", "archived", "unknown")[int(rng.integers(0, 3))]
    elif kind == "null_vehicle_id":
        row["vehicle_id"] = None


def _break_imp(kind: str, row: dict, rng: np.random.Generator) -> None:
    if kind == "negative_impressions":
        row["impressions"] = -int(rng.integers(1, 50))
    elif kind == "unknown_page_type":
        row["page_type"] = ("search", "home", "gallery")[int(rng.integers(0, 3))]
    elif kind == "srp_null_position":
        row["page_type"], row["position"] = "srp", None


def _break_lead(kind: str, row: dict, rng: np.random.Generator, serial: int) -> None:
    if kind == "unknown_lead_type":
        row["lead_type"] = ("fax", "sms", "walk-in")[int(rng.integers(0, 3))]
        row["lead_id"] = f"{row['lead_id']}-x{serial}"
    elif kind == "null_lead_id":
        row["lead_id"] = None


def bad_rows(
    rng: np.random.Generator, table: pa.Table, name: str, kinds: Sequence[str], n: int, day: date
) -> pa.Table:
    """``n`` corrupted copies of random rows of ``table``, kinds assigned round-robin."""
    if n == 0 or table.num_rows == 0:
        return table.schema.empty_table()
    picks = rng.choice(table.num_rows, size=n, replace=n > table.num_rows)
    rows = table.take(pa.array(picks)).to_pylist()
    day_end = datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UTC)
    for i, row in enumerate(rows):
        kind = kinds[i % len(kinds)]
        if name == "vehicle":
            _break_vehicle(kind, row, rng, day_end)
        elif name == "imp_daily":
            _break_imp(kind, row, rng)
        else:
            _break_lead(kind, row, rng, i)
    return pa.Table.from_pylist(rows, schema=table.schema)


def with_bad_rows(
    rng: np.random.Generator, table: pa.Table, name: str, share: float, day: date
) -> pa.Table:
    kinds = {"vehicle": VEHICLE_BAD_KINDS, "imp_daily": IMP_BAD_KINDS, "dw_lead": LEAD_BAD_KINDS}
    n = bad_row_count(share, table.num_rows, name, kinds[name])
    if n == 0:
        return table
    return pa.concat_tables([table, bad_rows(rng, table, name, kinds[name], n, day)])


# --------------------------------------------------------------------------------------
# Competitor feeds
# --------------------------------------------------------------------------------------

COMPETITOR_PROFILES: dict[str, tuple[float, str, str]] = {
    # share of our VINs listed, display name (location field), listing URL pattern
    "autotrader": (0.35, "Autotrader", "https://www.autotrader.com/cars-for-sale/vehicle/{n}"),
    "cargurus": (0.25, "CarGurus", "https://www.cargurus.com/Cars/inventorylisting/{n}"),
    "truecar": (0.15, "TrueCar", "https://www.truecar.com/used-cars-for-sale/listing/{n}/"),
}


def _competitor_profile(source: str) -> tuple[float, str, str]:
    default = (0.2, source.title(), f"https://www.{source}.com/listing/{{n}}")
    return COMPETITOR_PROFILES.get(source, default)


def _feed_rows(world: World, s: dict[str, np.ndarray], price: np.ndarray, source: str) -> list:
    """Feed listing dicts for listing states ``s`` at competitor prices ``price`` (dollars)."""
    cat = world.catalog
    _, display, url = _competitor_profile(source)
    listing_no = s["vehicle_id"] - FIRST_VEHICLE_ID + 700_000_000 + stable_id(source, bits=24)
    vins = vin_array(s["vin"], s["vin_null"]).to_pylist()
    listed = (s["listed_at"] // DAY_US).astype("datetime64[D]").astype(str)
    cols = zip(
        listing_no.tolist(), vins, s["model"].tolist(), s["year"].tolist(), s["trim"].tolist(),
        price.astype(np.int64).tolist(), s["mileage"].tolist(), listed.tolist(), strict=True,
    )  # fmt: skip
    return [
        {
            "id": f"{source}-{no}",
            "vin": vin,
            "make": MAKES[cat.model_make[m]][0],
            "model": MODELS[m].name,
            "year": year,
            "trim": cat.trim_names[t],
            "normalized_trim": cat.trim_names[t],
            "price": dollars,
            "mileage": miles,
            "location": display,
            "url": url.format(n=no),
            "listing_date": ld,
        }
        for no, vin, m, year, t, dollars, miles, ld in cols
    ]


def competitor_feed(
    rng: np.random.Generator, world: World, state: dict[str, np.ndarray], source: str, day: date
) -> dict[str, Any]:
    """One source's feed of ``day``: a stable share of our active, priced listings with a VIN
    at our price +-10% (stable per VIN and source), plus about half of the outsider VINs."""
    salt = stable_id(source, bits=16)
    share = _competitor_profile(source)[0]
    ours = (state["status"] == ACTIVE) & ~state["vin_null"] & ~state["price_null"]
    ours &= hash_uniform(state["vehicle_id"], salt) < share
    s = _take(state, np.flatnonzero(ours))
    n = len(s["vehicle_id"])
    delta = (hash_uniform(s["vehicle_id"], salt + 1) - 0.5) * 0.16 + rng.normal(0, 0.005, n)
    our_price = s["price"] / 100.0
    price = np.rint(our_price * (1 + np.clip(delta, -0.10, 0.10)))
    out = world.outsiders
    pick = _take(out, np.flatnonzero(hash_uniform(out["vehicle_id"], salt + 2) < 0.5))
    out_price = np.rint(pick["price"] / 100.0 * (1 + rng.normal(0, 0.01, len(pick["price"]))))
    seconds = int(rng.integers(3600, 3 * 3600))
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)
    return {
        "source": source,
        "scraped_at": f"{stamp:%Y-%m-%dT%H:%M:%S}.{int(rng.integers(0, 1000)):03d}Z",
        "models_exceeded_max_vehicles": [],
        "listings": _feed_rows(world, s, price, source)
        + _feed_rows(world, pick, out_price, source),
    }


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def _validate(days: int, listings: int, bad_row_share: float) -> None:
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if listings < 1:
        raise ValueError(f"listings must be >= 1, got {listings}")
    if not 0 <= bad_row_share < 0.5:
        raise ValueError(f"bad_row_share must be in [0, 0.5), got {bad_row_share}")


def generate(
    *,
    raw_root: Path,
    start: date,
    days: int,
    listings: int,
    seed: int,
    bad_row_share: float = 0.01,
    competitor_sources: tuple[str, ...] = DEFAULT_COMPETITORS,
) -> dict:
    """Write ``days`` consecutive days of synthetic raw input from ``start`` under ``raw_root``.

    ``listings`` is the target number of active listings per day. Returns
    ``{table: {date_iso: rows}}`` for every raw table plus ``"competitor": {source:
    {date_iso: listings}}``.
    """
    _validate(days, listings, bad_row_share)
    raw_root = Path(raw_root)
    dates = [start + timedelta(days=i) for i in range(days)]
    world = build_world(seed, listings, start, days)
    deliveries = LeadDeliveries(dates)
    summary: dict[str, dict] = {name: {} for name in RAW_TABLES} | {"competitor": {}}
    state: dict[str, np.ndarray] = {}
    for i, day in enumerate(dates):
        life = day_rng(seed, "lifecycle", day)
        state = (
            initial_state(life, world, listings, day)
            if i == 0
            else advance(life, world, state, listings, day)
        )
        tables = _day_tables(seed, world, state, day, deliveries, bad_row_share)
        for name, table in tables.items():
            summary[name][day.isoformat()] = write_partition(raw_root, name, day, table)
        for source in competitor_sources:
            feed = competitor_feed(
                day_rng(seed, f"competitor:{source}", day), world, state, source, day
            )
            write_json(raw_root / COMPETITOR_ROOT / source / f"{day.isoformat()}.json", feed)
            summary["competitor"].setdefault(source, {})[day.isoformat()] = len(feed["listings"])
    return summary


def _day_tables(
    seed: int,
    world: World,
    state: dict[str, np.ndarray],
    day: date,
    deliveries: LeadDeliveries,
    bad_row_share: float,
) -> dict[str, pa.Table]:
    """Every raw table of one day (facts with their bad rows, dimension snapshots)."""
    bad = day_rng(seed, "bad_rows", day)
    activity = simulate_activity(day_rng(seed, "activity", day), active_listings(world, state), day)
    deliveries.add(day_rng(seed, "lead_delivery", day), day, activity.leads)
    vehicle = vehicle_table(day_rng(seed, "vehicle", day), world, state, day)
    facts = {
        "vehicle": with_bad_rows(bad, vehicle, "vehicle", bad_row_share, day),
        "imp_daily": with_bad_rows(bad, activity.imp_daily, "imp_daily", bad_row_share, day),
        "dw_lead": with_bad_rows(bad, deliveries.pop(day), "dw_lead", bad_row_share, day),
        "vehicle_daily": activity.vehicle_daily,
    }
    tables = facts | world.static_tables | review_tables(world.reviews, day)
    missing = set(RAW_TABLES) - set(tables)
    if missing:
        raise RuntimeError(f"generator produced no table for {sorted(missing)}")
    return tables
