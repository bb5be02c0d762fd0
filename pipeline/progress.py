"""Progress of a multi-date run: a live line on a terminal, JSON lines elsewhere.

Reports dates done of the total, rows written (inventory_activity rows of the computed
dates), elapsed time and an ETA from the average time of the dates computed so far.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TextIO


def _clock() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hms(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


@dataclass
class Progress:
    """Counts dates as they finish and reports after each one."""

    total: int
    label: str = "backfill"
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    tty: bool | None = None
    context: dict[str, str] = field(default_factory=dict)
    monotonic: Callable[[], float] = time.monotonic
    done: int = 0
    computed: int = 0
    rows: int = 0
    _started: float | None = None

    def __post_init__(self) -> None:
        if self.tty is None:
            self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._started = self.monotonic()

    def add_total(self, extra: int) -> None:
        """More dates joined the run (later dates recomputed by a cascade)."""
        self.total += extra

    @property
    def elapsed(self) -> float:
        return self.monotonic() - (self._started or 0.0)

    def eta(self, elapsed: float) -> float | None:
        """Seconds left: average seconds of the computed dates times the dates left."""
        left = self.total - self.done
        if left <= 0:
            return 0.0
        if not self.computed:
            return None
        return elapsed / self.computed * left

    def update(self, day: date, status: str, rows: int = 0) -> None:
        self.done += 1
        self.rows += rows
        if status == "computed":
            self.computed += 1
        elapsed = self.elapsed
        if self.tty:
            self._line(day, status, elapsed)
        else:
            self._json(day, status, elapsed)

    def _line(self, day: date, status: str, elapsed: float) -> None:
        width = 20
        filled = int(width * self.done / max(self.total, 1))
        text = (
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} dates "
            f"| {day} {status:<8} | rows {self.rows:,} | elapsed {hms(elapsed)} "
            f"| ETA {hms(self.eta(elapsed))}"
        )
        end = "\n" if self.done >= self.total else ""
        self.stream.write(text + end)
        self.stream.flush()

    def _json(self, day: date, status: str, elapsed: float) -> None:
        eta = self.eta(elapsed)
        event = {
            "event": f"{self.label} progress",
            "level": "info",
            "timestamp": _clock(),
            "date": day.isoformat(),
            "status": status,
            "dates_done": self.done,
            "dates_total": self.total,
            "rows": self.rows,
            "elapsed_s": round(elapsed, 1),
            "eta_s": None if eta is None else round(eta, 1),
            **self.context,
        }
        self.stream.write(json.dumps(event, sort_keys=True) + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()
