"""The static HTML report: content from results, and a real render in headless Chromium."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from quality.report import render, verdict
from quality.results import CheckResult
from tests.conftest import PROJECT_ROOT

DAY = date(2026, 2, 3)
GENERATED = datetime(2026, 2, 4, 6, 0)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def result(day=DAY, layer="bronze", table="bronze.vehicle", check="vin_format", **kw):
    values = {
        "filedate": day,
        "layer": layer,
        "table_name": table,
        "expectation": check,
        "expectation_type": "expect_column_values_to_match_regex",
        "severity": "blocking",
        "success": True,
        "run_id": "run-1",
    }
    values.update(kw)
    return CheckResult(**values)


def everything_passes(day=DAY) -> list[CheckResult]:
    return [
        result(day, layer, f"{layer}.t", "row_count_floor",
               expectation_type="expect_table_row_count_to_be_between", details={"rows": 10})
        for layer in ("bronze", "silver", "gold")
    ]  # fmt: skip


def test_verdict_follows_the_worst_result():
    assert verdict([]) == "not_validated"
    assert verdict(everything_passes()) == "passed"
    assert verdict(everything_passes()[:1]) == "incomplete"
    warned = [*everything_passes(), result(severity="warning", success=False)]
    assert verdict(warned) == "passed_with_warnings"
    assert verdict([*warned, result(check="price_in_range", success=False)]) == "failed"
    missing = result(severity="warning", success=False, details={"missing": True})
    assert verdict([*everything_passes(), missing]) == "failed"


def test_report_shows_verdict_checks_quarantine_and_trends():
    history = [
        result(DAY - timedelta(days=i), expectation_type="expect_table_row_count_to_be_between",
               check="row_count_floor", details={"rows": 100 + i})
        for i in range(5)
    ]  # fmt: skip
    quarantine = result(
        check="quarantine_rate",
        expectation_type="metric:quarantine_rate",
        severity="warning",
        success=False,
        observed_value="0.1",
        details={"metric": {"by_reason": {"negative_price": 7}, "accepted": 63}},
    )
    failed = result(check="status_in_set", success=False, observed_value="<script>x</script>")
    html = render(DAY, [*history, quarantine, failed], generated_at=GENERATED)
    assert "class='verdict v-failed'>FAILED<" in html
    assert html.count("<svg") == 2  # vehicle row counts + failure rates
    assert html.count("<circle") == 5  # one dot per day of history
    assert "<td>bronze.vehicle</td><td>negative_price</td><td>7</td><td>63</td>" in html
    assert "data-check='status_in_set' data-status='failed'" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "silver</td><td colspan='5'>not validated" in html
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")  # self-contained


def _chromium() -> str:
    script = PROJECT_ROOT / "scripts" / "install_chromium.sh"
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    run = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900)
    if run.returncode != 0 or not run.stdout.strip():
        pytest.skip(f"headless Chromium unavailable: {run.stderr.strip() or 'install failed'}")
    return run.stdout.strip().splitlines()[-1]


def _png_top(path: Path, rows: int) -> tuple[int, int, np.ndarray]:
    """Width, height and the first ``rows`` pixel rows (RGB) of an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    header = next(body for kind, body in chunks if kind == b"IHDR")
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6) and header[12] == 0  # not interlaced
    bpp = 4 if color == 6 else 3
    raw = zlib.decompressobj().decompress(
        b"".join(body for kind, body in chunks if kind == b"IDAT"), (width * bpp + 1) * rows
    )
    previous = np.zeros(width * bpp, dtype=np.int32)
    out = []
    for y in range(rows):
        line = raw[y * (width * bpp + 1) : (y + 1) * (width * bpp + 1)]
        kind, cur = line[0], np.frombuffer(line[1:], dtype=np.uint8).astype(np.int32)
        if kind == 2:  # Up
            cur = (cur + previous) % 256
        elif kind in (1, 3, 4):  # Sub, Average, Paeth: left to right, one pixel at a time
            cur = cur.copy()
            for x in range(width):
                i = slice(x * bpp, (x + 1) * bpp)
                left = cur[(x - 1) * bpp : x * bpp] if x else np.zeros(bpp, dtype=np.int32)
                up = previous[i]
                if kind == 1:
                    cur[i] = (cur[i] + left) % 256
                elif kind == 3:
                    cur[i] = (cur[i] + (left + up) // 2) % 256
                else:
                    ul = previous[(x - 1) * bpp : x * bpp] if x else np.zeros(bpp, np.int32)
                    p = left + up - ul
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, ul))
                    cur[i] = (cur[i] + pred) % 256
        out.append(cur.reshape(width, bpp)[:, :3])
        previous = cur
    return width, height, np.stack(out)


def test_report_renders_in_headless_chromium(warned_run, tmp_path):
    chromium = _chromium()
    url = warned_run.report.resolve().as_uri()
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, "--window-size=1280,1600", f"--screenshot={shot}", url],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    dom = subprocess.run(
        [*common, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert "PASSED WITH WARNINGS" in dom
    assert "<svg" in dom and "<polyline" in dom and "<circle" in dom
    width, height, top = _png_top(shot, 520)
    assert (width, height) == (1280, 1600)
    flat = top.reshape(-1, 3)

    def count(rgb: tuple[int, int, int]) -> int:
        return int((flat == np.array(rgb)).all(axis=1).sum())

    assert count((217, 119, 6)) > 3000  # the amber verdict badge, a filled box
    assert count((22, 163, 74)) < 3000  # no green (passed) badge
    assert count((37, 99, 235)) > 200  # the blue row-count lines and dots of the charts
    assert len({tuple(p) for p in flat[::7].tolist()}) > 50  # not a blank page
