"""Date arguments and windows (all dates are UTC calendar dates)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import date, timedelta


def parse_date(text: str) -> date:
    """argparse type for YYYY-MM-DD; a clear message otherwise."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def date_range(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
