"""Raw inputs for the quality tests: a generated day copied and edited row by row.

Every scenario starts from the generator's day 2 (so row counts stay within the band of
day 1 already in the lake) and changes a few rows with plain Python, so each defect is
visible in the test that introduces it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

Rows = list[dict[str, Any]]
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def copy_day(source: Path, target: Path, day: date) -> Path:
    """Copy every raw partition and competitor file of ``day`` from ``source`` to ``target``."""
    for table in source.iterdir():
        if table.name == "competitor":
            for feed in table.iterdir():
                src = feed / f"{day.isoformat()}.json"
                if src.exists():
                    (target / "competitor" / feed.name).mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, target / "competitor" / feed.name / src.name)
            continue
        part = table / f"filedate={day.isoformat()}"
        if part.exists():
            shutil.copytree(part, target / table.name / part.name)
    return target


def edit(raw: Path, table: str, day: date, change: Callable[[Rows], Rows | None]) -> None:
    """Rewrite a raw partition with ``change(rows)`` (in place or returned), same schema."""
    folder = raw / table / f"filedate={day.isoformat()}"
    files = sorted(folder.glob("*.parquet"))
    data = pa.concat_tables([pq.read_table(f) for f in files])
    rows = data.to_pylist()
    rows = change(rows) or rows
    for f in files:
        f.unlink()
    pq.write_table(pa.Table.from_pylist(rows, schema=data.schema), folder / "part-00000.parquet")


def edit_competitors(raw: Path, day: date, change: Callable[[str, Rows], None]) -> None:
    for path in sorted((raw / "competitor").glob(f"*/{day.isoformat()}.json")):
        payload = json.loads(path.read_text())
        change(path.parent.name, payload["listings"])
        path.write_text(json.dumps(payload))


def every(rows: Rows, share: float, offset: int = 0) -> Rows:
    """A deterministic ``share`` of ``rows`` (at least one), starting at ``offset``."""
    step = max(1, round(1 / share))
    return rows[offset::step]


def bad_check_digit(vin: str) -> str:
    """The VIN with its 9th character replaced by a wrong check digit."""
    wrong = "0" if vin[8] != "0" else "1"
    return vin[:8] + wrong + vin[9:]


def ts(day: date, days: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(days=days)


@dataclass(frozen=True)
class Defect:
    """One row-level change meant to break one check of one table."""

    table: str
    check: str
    change: Callable[[Rows], Any]


def nulls(column: str, n: int = 1) -> Callable[[Rows], None]:
    def change(rows: Rows) -> None:
        for row in rows[:n]:
            row[column] = None

    return change


def set_value(column: str, value: Any, share: float | None = None, at: int = 0):
    def change(rows: Rows) -> None:
        targets = every(rows, share, at) if share else rows[at : at + 1]
        for row in targets:
            row[column] = value

    return change


PRICE_ONE = Decimal("1.00")
