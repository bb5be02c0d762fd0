"""Import the public used-EV price tracker feed as raw input (SPEC section 3).

Input: ``<source_dir>/<source>/<YYYY-MM-DD>.json`` in the scraper's format (see
``data/README.md``). Output: the same layout :func:`pipeline.sample.generator.generate`
writes under ``raw_root``.

Choices (all independent of ``start``/``end``, so two windows agree on shared days):

- Platform listings: carmax, carvana and plattauto rows become ``vehicle`` snapshots.
  ``vehicle_id`` = 63-bit blake2b hash of (seller, seller listing id)
  (:func:`listing_vehicle_id`). Rows are delivered as scraped, including the feed's own
  exact duplicates (same listing twice in a file: a tie the pipeline must break).
- Status from presence: a listing in a seller's file of day D is ``active``; a listing in
  that seller's previous file but not in D's is reported once as ``sold`` in D's snapshot
  (with its last known values), then absent. The previous file may lie before ``start``.
- Missing days: a seller with no file (or an empty one) on D contributes no rows on D and
  marks nothing sold; its next file is compared with its last file before the gap. A
  seller whose files stop (carvana after 2026-03-04) never reports its last listings sold.
- ``listed_at`` = 00:00 UTC of the running minimum, over the listing's files up to D, of
  min(listing_date, file date): the listing_date, or the first-seen date when listing_date
  is after the file date. ``updated_at`` = the file's ``scraped_at`` when it falls on the
  file date, else 23:59:59 of the file date.
- Dealers: one ``customer`` per seller location value ("CarMax", "Carvana", "Platt Auto"),
  id = hash of the name, with 1-12 sales locations (one per 1000 distinct listings) at real
  ZIPs chosen by hash rank from the generator's metro ZIPs. A listing's ZIP is one of its
  dealer's locations, chosen by a hash of its vehicle_id. Dimensions are derived from the
  whole source dir (ids are hashes of names; ``model_year_id`` = year - 1900) and written
  every day. ``stock_type`` is 'used'; body style and MSRP come from a per-model table.
- ``dma_zip``: rows of ``dma_csv`` (zip_code, dma_code, dma_description_clean) for the
  ZIPs used; empty but typed when ``dma_csv`` is None.
- Photo count and exterior color are not in the feed: drawn from stable hashes of the
  vehicle_id. Impressions, leads and vehicle_daily come from the generator's activity
  model (:func:`pipeline.sample.generator.simulate_activity`), seeded per day.
- autotrader files in the window are copied byte for byte to
  ``<raw_root>/competitor/autotrader/``.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.sample.generator import (
    BODYSTYLES,
    COLOR_WEIGHTS,
    COLORS,
    DAY_US,
    SECOND_US,
    ActiveListings,
    LeadDeliveries,
    activity_customer_table,
    bodystyle_table,
    build_table,
    category_array,
    day_rng,
    day_start_us,
    decimal_array,
    empty_table,
    geography,
    hash_uniform,
    model_year_id,
    review_pool,
    review_tables,
    segment_key,
    simulate_activity,
    stable_id,
    stock_type_table,
    timestamp_array,
    vehicle_review_rollup_table,
    write_partition,
    zip_code_table,
)
from tables.raw_contract import COMPETITOR_ROOT, RAW_TABLES, STOCK_TYPES, VEHICLE_STATUSES

__all__ = ["COPIED_SOURCES", "PLATFORM_SOURCES", "import_ev", "listing_vehicle_id"]

PLATFORM_SOURCES = ("carmax", "carvana", "plattauto")
COPIED_SOURCES = ("autotrader",)
LISTING_FIELDS = (
    "id",
    "vin",
    "make",
    "model",
    "year",
    "trim",
    "normalized_trim",
    "price",
    "mileage",
    "location",
    "listing_date",
)
FILE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
USED = STOCK_TYPES.index("used")
LISTINGS_PER_LOCATION = 1000
MAX_LOCATIONS = 12

# Body style and base MSRP (USD) per EV model name; unknown models: SUV, 45000.
EV_MODELS: dict[str, tuple[str, int]] = {
    "Ioniq 5": ("SUV", 42000),
    "Kona Electric": ("SUV", 34000),
    "Model 3": ("Sedan", 42000),
    "Model S": ("Sedan", 80000),
    "Model X": ("SUV", 90000),
    "Model Y": ("SUV", 50000),
    "ID.4": ("SUV", 40000),
    "e-Golf": ("Hatchback", 31000),
    "Ariya": ("SUV", 44000),
    "Leaf": ("Hatchback", 29000),
    "EV6": ("SUV", 43000),
    "Niro EV": ("SUV", 40000),
    "R1T": ("Pickup Truck", 70000),
    "R1S": ("SUV", 76000),
    "Bolt EV": ("Hatchback", 27000),
    "Bolt EUV": ("SUV", 28000),
    "Equinox EV": ("SUV", 35000),
    "Mustang Mach-E": ("SUV", 43000),
    "i3": ("Hatchback", 45000),
    "i4": ("Sedan", 53000),
    "i5": ("Sedan", 67000),
    "Prologue": ("SUV", 48000),
    "Q4 e-tron": ("SUV", 50000),
}
DEFAULT_MODEL = ("SUV", 45000)


def listing_vehicle_id(source: str, listing_id: str) -> int:
    """The stable vehicle_id of a seller's listing."""
    return stable_id("vehicle", source, listing_id)


# --------------------------------------------------------------------------------------
# Reading the feed
# --------------------------------------------------------------------------------------


def feed_dates(source_dir: Path, source: str) -> dict[date, Path]:
    """The source's daily files by date (files not named YYYY-MM-DD.json are ignored)."""
    folder = Path(source_dir) / source
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.iterdir()):
        match = FILE_NAME.match(path.name)
        if match and path.is_file():
            found[date.fromisoformat(match.group(1))] = path
    return found


def _updated_us(scraped_at: object, day: date) -> int:
    """scraped_at in microseconds when it falls on ``day``, else 23:59:59 of ``day``."""
    end_of_day = day_start_us(day) + DAY_US - SECOND_US
    try:
        stamp = datetime.fromisoformat(str(scraped_at))
    except ValueError:
        return end_of_day
    if stamp.tzinfo is None or stamp.date() != day:
        return end_of_day
    return int(stamp.timestamp()) * SECOND_US + stamp.microsecond


def _read_files(files: list[tuple[str, date, Path]]) -> pd.DataFrame:
    """Feed rows of ``files`` (source, day, path) as one frame, in file order."""
    columns: dict[str, list] = {field: [] for field in LISTING_FIELDS}
    counts, updated = [], []
    for _, day, path in files:
        payload = json.loads(path.read_bytes())
        listings = payload.get("listings") or []
        for field, values in columns.items():
            values.extend([item.get(field) for item in listings])
        counts.append(len(listings))
        updated.append(_updated_us(payload.get("scraped_at"), day))
    rows = pd.DataFrame(columns)
    rows["source"] = np.repeat([source for source, _, _ in files], counts)
    rows["file_date"] = np.repeat(np.array([d for _, d, _ in files], "datetime64[D]"), counts)
    rows["updated_at"] = np.repeat(np.array(updated, dtype=np.int64), counts)
    return rows


def load_platform(source_dir: Path) -> pd.DataFrame:
    """Every platform listing-day of the whole source dir, one row per feed row (in file
    order), with vehicle_id, trim_name and listed_at (microseconds) derived."""
    files = [
        (source, day, path)
        for source in PLATFORM_SOURCES
        for day, path in feed_dates(source_dir, source).items()
    ]
    if not files:
        raise FileNotFoundError(f"no {'/'.join(PLATFORM_SOURCES)} files under {source_dir}")
    rows = _read_files(files)
    rows["id"] = rows["id"].astype(str)
    rows["location"] = rows["location"].fillna(rows["source"])
    rows[["make", "model"]] = rows[["make", "model"]].fillna("Unknown")
    rows["vehicle_id"] = _hash_ids(rows["source"] + "\x1f" + rows["id"], "vehicle", split=True)
    rows["trim_name"] = rows["normalized_trim"].fillna(rows["trim"]).fillna("Base")
    rows["listed_at"] = _listed_at_us(rows)
    return rows


def _hash_ids(keys: pd.Series, kind: str, *, split: bool = False, bits: int = 63) -> np.ndarray:
    """stable_id(kind, *key parts) per row, hashing each distinct key once."""
    codes, uniques = pd.factorize(keys)
    ids = np.array(
        [stable_id(kind, *(k.split("\x1f") if split else (k,)), bits=bits) for k in uniques],
        dtype=np.int64,
    )
    if len(np.unique(ids)) != len(ids):
        raise RuntimeError(f"{kind} id collision among {len(ids)} keys; widen the id bits")
    return ids[codes]


def _listed_at_us(rows: pd.DataFrame) -> np.ndarray:
    listed = pd.to_datetime(rows["listing_date"], format="%Y-%m-%d", errors="coerce")
    file_day = rows["file_date"].astype("datetime64[ns]")
    candidate = listed.where(listed.notna() & (listed <= file_day), file_day)
    order = np.lexsort((rows["file_date"].to_numpy(), rows["vehicle_id"].to_numpy()))
    running = candidate.iloc[order].groupby(rows["vehicle_id"].iloc[order].to_numpy()).cummin()
    result = np.empty(len(rows), dtype="datetime64[ns]")
    result[order] = running.to_numpy()
    return result.astype("datetime64[us]").astype(np.int64)


# --------------------------------------------------------------------------------------
# Dimensions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sellers:
    """One dealer per seller location value, with its sales locations."""

    customer_id: np.ndarray  # sorted
    name: list[str]
    paying: np.ndarray
    loc_customer: np.ndarray  # per location: dealer index
    loc_zip: np.ndarray  # per location: index into geography()
    loc_id: np.ndarray

    def locations_of(self, dealer: int) -> np.ndarray:
        return np.flatnonzero(self.loc_customer == dealer)


def build_sellers(rows: pd.DataFrame) -> Sellers:
    """Dealers from the ``location`` values; 1 sales location per 1000 distinct listings."""
    geo = geography()
    listings = rows.groupby("location")["vehicle_id"].nunique()
    names = sorted(listings.index, key=lambda n: stable_id("customer", n))
    customer_id = np.array([stable_id("customer", n) for n in names], dtype=np.int64)
    loc_customer, loc_zip, loc_id = [], [], []
    for d, name in enumerate(names):
        n_loc = int(np.clip(listings[name] // LISTINGS_PER_LOCATION, 1, MAX_LOCATIONS))
        ranked = sorted(range(len(geo.zip_code)), key=lambda z: stable_id(name, geo.zip_code[z]))
        for z in ranked[:n_loc]:
            loc_customer.append(d)
            loc_zip.append(z)
            loc_id.append(stable_id("location", name, geo.zip_code[z]))
    return Sellers(
        customer_id=customer_id,
        name=names,
        paying=hash_uniform(customer_id, 21) < 0.7,
        loc_customer=np.array(loc_customer),
        loc_zip=np.array(loc_zip),
        loc_id=np.array(loc_id, dtype=np.int64),
    )


def read_dma_csv(path: Path) -> dict[str, tuple[int, str]]:
    """zip_code -> (dma_code, dma_description_clean) from a zip_to_dma.csv file."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return {
            row["zip_code"].zfill(5): (int(row["dma_code"]), row["dma_description_clean"])
            for row in csv.DictReader(handle)
        }


def dma_zip_table(zips: Iterable[str], dma_csv: Path | None) -> pa.Table:
    """``dma_zip``: one row per used ZIP found in the csv (none when dma_csv is None)."""
    if dma_csv is None:
        return empty_table("dma_zip")
    dma = read_dma_csv(dma_csv)
    found = [z for z in zips if z in dma]
    return build_table(
        "dma_zip",
        {
            "zip_code_id": np.array([int(z) for z in found], dtype=np.int32),
            "dma_code": np.array([dma[z][0] for z in found], dtype=np.int32),
            "dma_name": [dma[z][1] for z in found],
        },
    )


def _name_ids(rows: pd.DataFrame) -> pd.DataFrame:
    """make_id, model_id, trim_id, customer_id columns (hashes of the names)."""
    return pd.DataFrame(
        {
            "make_id": _hash_ids(rows["make"], "make", bits=31),
            "model_id": _hash_ids(
                rows["make"] + "\x1f" + rows["model"], "model", split=True, bits=31
            ),
            "trim_id": _hash_ids(
                rows["make"] + "\x1f" + rows["model"] + "\x1f" + rows["trim_name"],
                "trim",
                split=True,
                bits=31,
            ),
            "customer_id": _hash_ids(rows["location"], "customer"),
        },
        index=rows.index,
    )


def catalog_tables(rows: pd.DataFrame, seed: int) -> dict[str, pa.Table]:
    """make, make_model, model_year, vehicle_trim, bodystyle, stock_type and
    vehicle_review_rollup from the distinct values of the whole feed."""
    makes = rows.drop_duplicates("make_id").sort_values("make")
    models = rows.drop_duplicates("model_id").sort_values(["make", "model"])
    trims = rows.drop_duplicates("trim_id").sort_values(["make", "model", "trim_name"])
    years = np.sort(rows["year"].dropna().unique().astype(np.int64))
    mmy = rows.dropna(subset=["year"]).drop_duplicates(["model_id", "year"])
    mmy = mmy.sort_values(["make", "model", "year"])
    return {
        "make": build_table("make", {"make_id": makes["make_id"], "make_name": makes["make"]}),
        "make_model": build_table(
            "make_model",
            {
                "model_id": models["model_id"],
                "make_id": models["make_id"],
                "model_name": models["model"],
            },
        ),
        "model_year": build_table(
            "model_year", {"model_year_id": model_year_id(years), "year": years}
        ),
        "vehicle_trim": build_table(
            "vehicle_trim",
            {
                "trim_id": trims["trim_id"],
                "model_id": trims["model_id"],
                "trim_name": trims["trim_name"],
            },
        ),
        "bodystyle": bodystyle_table(),
        "stock_type": stock_type_table(),
        "vehicle_review_rollup": vehicle_review_rollup_table(
            day_rng(seed, "vehicle_review_rollup"),
            mmy["make_id"].to_numpy(),
            mmy["model_id"].to_numpy(),
            mmy["year"].to_numpy(),
        ),
    }


def dealer_tables(dealers: Sellers, dma_csv: Path | None, seed: int) -> dict[str, pa.Table]:
    """customer, dealer_sales_locations, activity_customer, zip_code and dma_zip."""
    geo = geography()
    first_loc = np.array([dealers.locations_of(d)[0] for d in range(len(dealers.name))])
    used = np.unique(dealers.loc_zip)
    return {
        "customer": build_table(
            "customer",
            {
                "customer_id": dealers.customer_id,
                "dealer_name": dealers.name,
                "customer_type": ["independent"] * len(dealers.name),
                "zip_code": [geo.zip_code[dealers.loc_zip[i]] for i in first_loc],
                "purchase_flag": dealers.paying,
            },
        ),
        "dealer_sales_locations": build_table(
            "dealer_sales_locations",
            {
                "customer_id": dealers.customer_id[dealers.loc_customer],
                "location_id": dealers.loc_id,
                "zip_code": [geo.zip_code[z] for z in dealers.loc_zip],
            },
        ),
        "activity_customer": activity_customer_table(
            day_rng(seed, "activity_customer"), dealers.customer_id
        ),
        "zip_code": zip_code_table(geo, used),
        "dma_zip": dma_zip_table([geo.zip_code[z] for z in used], dma_csv),
    }


# --------------------------------------------------------------------------------------
# Daily facts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """The whole platform feed, enriched, with an index of rows per (source, date)."""

    rows: pd.DataFrame
    dealers: Sellers
    files: dict[str, list[date]]  # per source: sorted dates with a file
    groups: dict[tuple[str, date], np.ndarray]  # row positions of one file

    def file_rows(self, source: str, day: date) -> pd.DataFrame:
        return self.rows.iloc[self.groups[(source, day)]]


def build_feed(source_dir: Path) -> Feed:
    rows = load_platform(source_dir)
    rows = rows.join(_name_ids(rows))
    dealers = build_sellers(rows)
    groups: dict[tuple[str, date], np.ndarray] = {}
    for (source, day), positions in rows.groupby(["source", "file_date"]).indices.items():
        groups[(source, pd.Timestamp(day).date())] = positions
    files = {s: sorted(d for (src, d) in groups if src == s) for s in PLATFORM_SOURCES}
    return Feed(rows=rows, dealers=dealers, files=files, groups=groups)


def snapshot_rows(feed: Feed, day: date) -> pd.DataFrame:
    """The day's vehicle rows (before typing): each seller's file of the day as active, plus
    listings of its previous file missing from today's as sold (once, last known values)."""
    parts = []
    for source in PLATFORM_SOURCES:
        dates = feed.files[source]
        if day not in dates:
            continue
        today = feed.file_rows(source, day).assign(status=VEHICLE_STATUSES.index("active"))
        parts.append(today)
        previous = [d for d in dates if d < day]
        if previous:
            parts.append(_sold_rows(feed.file_rows(source, previous[-1]), today))
    if not parts:
        return feed.rows.iloc[:0].assign(status=VEHICLE_STATUSES.index("active"))
    return pd.concat(parts, ignore_index=True)


def _sold_rows(before: pd.DataFrame, today: pd.DataFrame) -> pd.DataFrame:
    """Listings of the previous file missing from today's, as sold at today's scrape time."""
    gone = before[~before["vehicle_id"].isin(today["vehicle_id"])]
    gone = gone.drop_duplicates("vehicle_id", keep="last")
    return gone.assign(
        status=VEHICLE_STATUSES.index("sold"), updated_at=today["updated_at"].iloc[0]
    )


def _listing_zip(feed: Feed, vehicle_id: np.ndarray, customer_id: np.ndarray) -> np.ndarray:
    """Index into geography() of each listing's ZIP: one of its dealer's locations by hash."""
    dealers = feed.dealers
    dealer = np.searchsorted(dealers.customer_id, customer_id)
    counts = np.bincount(dealers.loc_customer, minlength=len(dealers.name))
    starts = np.cumsum(counts) - counts
    pick = np.floor(hash_uniform(vehicle_id, 31) * counts[dealer]).astype(np.int64)
    return dealers.loc_zip[starts[dealer] + pick]


def _hash_photo_count(vehicle_id: np.ndarray) -> np.ndarray:
    u = hash_uniform(vehicle_id, 32)
    return np.where(hash_uniform(vehicle_id, 33) < 0.03, 0, 8 + np.floor(u * 53)).astype(np.int32)


def _hash_color(vehicle_id: np.ndarray) -> np.ndarray:
    cum = np.cumsum(COLOR_WEIGHTS) / np.sum(COLOR_WEIGHTS)
    return np.minimum(
        np.searchsorted(cum, hash_uniform(vehicle_id, 34), side="right"), len(COLORS) - 1
    )


def _model_info(models: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(bodystyle_id, msrp cents) per row from the model name."""
    info = [EV_MODELS.get(m, DEFAULT_MODEL) for m in models]
    body = np.array([BODYSTYLES.index(b) + 1 for b, _ in info], dtype=np.int32)
    msrp = np.array([m * 100 for _, m in info], dtype=np.int64)
    return body, msrp


def vehicle_table(feed: Feed, rows: pd.DataFrame) -> pa.Table:
    """``vehicle``: one row per feed row of the day (duplicates kept) plus sold rows."""
    geo = geography()
    vid = rows["vehicle_id"].to_numpy()
    price = rows["price"].to_numpy(dtype=np.float64)
    body, msrp = _model_info(rows["model"])
    zips = _listing_zip(feed, vid, rows["customer_id"].to_numpy())
    return build_table(
        "vehicle",
        {
            "vehicle_id": vid,
            "vin": pa.Array.from_pandas(rows["vin"], type=pa.string()),
            "customer_id": rows["customer_id"].to_numpy(),
            "make_id": rows["make_id"].to_numpy(),
            "model_id": rows["model_id"].to_numpy(),
            "model_year_id": pa.Array.from_pandas(rows["year"] - 1900, type=pa.int32()),
            "trim_id": rows["trim_id"].to_numpy(),
            "bodystyle_id": body,
            "stock_type_id": np.full(len(rows), USED + 1, dtype=np.int32),
            "price": decimal_array(
                np.nan_to_num(np.rint(price * 100)).astype(np.int64), np.isnan(price)
            ),
            "msrp": decimal_array(msrp),
            "mileage": pa.Array.from_pandas(rows["mileage"], type=pa.int32()),
            "exterior_color": category_array(_hash_color(vid), COLORS),
            "zip_code": category_array(zips, geo.zip_code),
            "status": category_array(rows["status"].to_numpy(), VEHICLE_STATUSES),
            "photo_count": _hash_photo_count(vid),
            "listed_at": timestamp_array(rows["listed_at"].to_numpy()),
            "updated_at": timestamp_array(rows["updated_at"].to_numpy()),
        },
    )


def active_listings(feed: Feed, rows: pd.DataFrame) -> ActiveListings:
    """Activity-model input: the day's active rows, one per vehicle_id (last row wins)."""
    active = rows[rows["status"] == VEHICLE_STATUSES.index("active")]
    active = active.drop_duplicates("vehicle_id", keep="last")
    vid = active["vehicle_id"].to_numpy()
    customer = active["customer_id"].to_numpy()
    dealer = np.searchsorted(feed.dealers.customer_id, customer)
    return ActiveListings(
        vehicle_id=vid,
        customer_id=customer,
        price=active["price"].to_numpy(dtype=np.float64),
        segment=segment_key(active["model_id"], active["year"].fillna(0), USED),
        photo_count=_hash_photo_count(vid),
        paying=feed.dealers.paying[dealer],
    )


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def window_dates(feed: Feed, start: date | None, end: date | None) -> list[date]:
    """Dates with at least one platform file, within [start, end] when given."""
    dates = sorted({d for days in feed.files.values() for d in days})
    chosen = [d for d in dates if (start is None or d >= start) and (end is None or d <= end)]
    if not chosen:
        raise ValueError(f"no {'/'.join(PLATFORM_SOURCES)} files between {start} and {end}")
    return chosen


def copy_competitors(source_dir: Path, raw_root: Path, dates: list[date]) -> dict:
    """Copy the window's autotrader files unchanged; returns {source: {date: listings}}."""
    wanted = set(dates)
    counts: dict[str, dict[str, int]] = {}
    for source in COPIED_SOURCES:
        for day, path in feed_dates(source_dir, source).items():
            if day not in wanted:
                continue
            target = Path(raw_root) / COMPETITOR_ROOT / source / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            listings = json.loads(path.read_text(encoding="utf-8")).get("listings") or []
            counts.setdefault(source, {})[day.isoformat()] = len(listings)
    return counts


def import_ev(
    *,
    source_dir: Path,
    raw_root: Path,
    dma_csv: Path | None,
    start: date | None = None,
    end: date | None = None,
    seed: int = 7,
) -> dict:
    """Write the feed's days in [start, end] as raw input under ``raw_root``.

    Returns ``{table: {date_iso: rows}}`` for every raw table plus ``"competitor":
    {"autotrader": {date_iso: listings}}``.
    """
    feed = build_feed(Path(source_dir))
    dates = window_dates(feed, start, end)
    all_days = sorted({d for days in feed.files.values() for d in days})
    pool = review_pool(
        day_rng(seed, "dealer_review"),
        feed.dealers.customer_id,
        day_start_us(all_days[0]) - 3 * 365 * DAY_US,
        day_start_us(all_days[-1]) + DAY_US,
    )
    static = catalog_tables(feed.rows, seed) | dealer_tables(feed.dealers, dma_csv, seed)
    deliveries = LeadDeliveries(dates)
    summary: dict[str, dict] = {name: {} for name in RAW_TABLES}
    for day in dates:
        rows = snapshot_rows(feed, day)
        activity = simulate_activity(
            day_rng(seed, "activity", day), active_listings(feed, rows), day
        )
        deliveries.add(day_rng(seed, "lead_delivery", day), day, activity.leads)
        tables = (
            static
            | review_tables(pool, day)
            | {
                "vehicle": vehicle_table(feed, rows),
                "imp_daily": activity.imp_daily,
                "dw_lead": deliveries.pop(day),
                "vehicle_daily": activity.vehicle_daily,
            }
        )
        for name in RAW_TABLES:
            summary[name][day.isoformat()] = write_partition(raw_root, name, day, tables[name])
    summary["competitor"] = copy_competitors(Path(source_dir), Path(raw_root), dates)
    return summary
