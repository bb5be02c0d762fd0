"""The static data-quality report: one self-contained HTML file per date.

It needs no server and loads nothing from the network: CSS is inline and the charts are
inline SVG. Content, all read from ``ops.dq_results``:

- the summary verdict of the date and a count of checks per layer;
- trends over the last ``quality.report_trend_days`` days: row counts of the main tables
  and the share of failed and warning checks per date;
- quarantined rows by table and reason code (from the bronze ``quarantine_rate`` checks);
- every table's checks with severity, result, observed value and unexpected share.

Reports live at ``<paths.reports_root>/dq-report-YYYY-MM-DD.html`` with an ``index.html``
listing every date.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

from pyspark.sql import SparkSession

from pipeline.config import Config
from quality.charts import failure_chart, line_chart
from quality.results import CheckResult, read_results
from quality.suite import LAYERS, ROW_COUNT
from tables import fs
from tables.io import Lake

TREND_TABLES = (
    "bronze.vehicle",
    "bronze.imp_daily",
    "bronze.dw_lead",
    "silver.listing_features",
    "gold.inventory_activity",
)
STATUS_ORDER = {"failed": 0, "warning": 1, "skipped": 2, "passed": 3}
VERDICTS = {
    "failed": ("FAILED", "A blocking check failed: nothing of this date was published."),
    "incomplete": ("INCOMPLETE", "Not every layer was validated (the run stopped early)."),
    "passed_with_warnings": ("PASSED WITH WARNINGS", "Published; see the warnings below."),
    "passed": ("PASSED", "Every check passed; the date was cleared for publishing."),
    "not_validated": ("NOT VALIDATED", "No quality results exist for this date."),
}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#111827}
h1{margin:0 0 4px}h2{margin-top:28px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.meta{color:#6b7280;font-size:13px}
.verdict{display:inline-block;padding:10px 18px;border-radius:6px;font-weight:700;
 font-size:20px;color:#fff;margin:12px 0}
.v-failed{background:#dc2626}.v-incomplete{background:#6b7280}.v-not_validated{background:#6b7280}
.v-passed_with_warnings{background:#d97706}.v-passed{background:#16a34a}
table{border-collapse:collapse;font-size:13px;margin:6px 0 14px}
th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb}
.s-failed{color:#dc2626;font-weight:700}.s-warning{color:#d97706;font-weight:700}
.s-passed{color:#16a34a}.s-skipped{color:#6b7280}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{border:1px solid #e5e7eb;border-radius:4px;background:#fff}
.chart text{font-size:9px;fill:#6b7280}
figure{margin:0}figcaption{font-size:12px;color:#374151;margin-bottom:2px}
.details{color:#6b7280;font-size:12px;min-width:260px;max-width:520px}
.observed{max-width:360px;word-break:break-word}
details.table{margin:6px 0}summary{cursor:pointer;padding:3px 0}
"""


def report_path(config: Config, day: date) -> str:
    return f"{config.paths.reports_root.rstrip('/')}/dq-report-{day.isoformat()}.html"


def write_report(lake: Lake, config: Config, day: date) -> str:
    """Render the report of ``day`` from dq_results, write it and the index; its path."""
    start = day - timedelta(days=max(config.quality.report_trend_days, 1) - 1)
    results = read_results(lake, start, day)
    html = render(day, results, generated_at=datetime.now(UTC).replace(tzinfo=None))
    path = report_path(config, day)
    _write(lake, path, html)
    _write_index(lake, config)
    return path


# ------------------------------------------------------------------------ verdict


def verdict(results: list[CheckResult]) -> str:
    """failed, incomplete, passed_with_warnings, passed or not_validated."""
    if not results:
        return "not_validated"
    if any(r.blocks for r in results):
        return "failed"
    if {r.layer for r in results} != set(LAYERS):
        return "incomplete"
    if any(r.status == "warning" for r in results):
        return "passed_with_warnings"
    return "passed"


# ------------------------------------------------------------------------- render


def render(day: date, results: list[CheckResult], *, generated_at: datetime) -> str:
    """The whole HTML document for ``day``; ``results`` may span the trend window."""
    today = [r for r in results if r.filedate == day]
    key = verdict(today)
    label, explanation = VERDICTS[key]
    run_ids = sorted({r.run_id for r in today if r.run_id})
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Data quality {day.isoformat()}: {label}</title><style>{CSS}</style></head>",
        "<body>",
        f"<h1>Data quality report: inventory-activity, {day.isoformat()}</h1>",
        f"<div class='meta'>Generated {generated_at:%Y-%m-%d %H:%M} UTC; run id(s): "
        f"{escape(', '.join(run_ids) or 'none')}</div>",
        f"<div id='verdict' class='verdict v-{key}'>{label}</div>",
        f"<p>{escape(explanation)}</p>",
        _summary(today),
        "<h2>Trends</h2>",
        _trends(results),
        "<h2>Quarantined rows</h2>",
        _quarantine(today),
        "<h2>Checks by table</h2>",
        _tables(today),
        "<p class='meta'>Blocking checks stop the run before publish; warnings are reported "
        "and the date is published. Results are queryable in the Delta table ops.dq_results.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _summary(results: list[CheckResult]) -> str:
    rows = []
    for layer in LAYERS:
        mine = [r for r in results if r.layer == layer]
        if not mine:
            rows.append(f"<tr><td>{layer}</td><td colspan='5'>not validated</td></tr>")
            continue
        count = Counter(r.status for r in mine)
        rows.append(
            f"<tr><td>{layer}</td><td>{len(mine)}</td><td>{count['passed']}</td>"
            f"<td>{count['skipped']}</td><td class='s-warning'>{count['warning']}</td>"
            f"<td class='s-failed'>{count['failed']}</td></tr>"
        )
    return (
        "<table id='summary'><tr><th>layer</th><th>checks</th><th>passed</th><th>skipped</th>"
        f"<th>warnings</th><th>failed (blocking)</th></tr>{''.join(rows)}</table>"
    )


def _trends(results: list[CheckResult]) -> str:
    counts: dict[str, list[tuple[date, float]]] = defaultdict(list)
    by_day: dict[date, list[CheckResult]] = defaultdict(list)
    for r in results:
        by_day[r.filedate].append(r)
        if r.expectation_type == ROW_COUNT and r.table_name in TREND_TABLES:
            rows = r.details.get("rows")
            if rows is not None:
                counts[r.table_name].append((r.filedate, float(rows)))
    figures = [
        _figure(f"{t}: rows per day", line_chart(f"{t} rows per day", counts[t]))
        for t in TREND_TABLES
        if counts[t]
    ]
    shares = [
        (
            d,
            sum(r.status == "failed" for r in rs) / len(rs),
            sum(r.status == "warning" for r in rs) / len(rs),
        )
        for d, rs in sorted(by_day.items())
    ]
    figures.append(
        _figure(
            "Share of checks failed (red) and warning (amber) per day",
            failure_chart("failure rate per day", shares),
        )
    )
    return f"<div class='charts'>{''.join(figures)}</div>"


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"


def _quarantine(results: list[CheckResult]) -> str:
    rows = []
    for r in sorted(results, key=lambda r: r.table_name):
        if r.expectation_type != "metric:quarantine_rate":
            continue
        metric = r.details.get("metric") or {}
        for reason, n in sorted((metric.get("by_reason") or {}).items()):
            rows.append(
                f"<tr><td>{escape(r.table_name)}</td><td>{escape(reason)}</td>"
                f"<td>{int(n):,}</td><td>{int(metric.get('accepted') or 0):,}</td></tr>"
            )
    if not rows:
        return "<p id='quarantine'>No rows were quarantined on this date.</p>"
    return (
        "<table id='quarantine'><tr><th>table</th><th>reason code</th><th>quarantined rows</th>"
        f"<th>accepted rows</th></tr>{''.join(rows)}</table>"
    )


def _tables(results: list[CheckResult]) -> str:
    if not results:
        return "<p>No checks ran for this date.</p>"
    grouped: dict[str, list[CheckResult]] = defaultdict(list)
    for r in results:
        grouped[r.table_name].append(r)
    order = sorted(grouped, key=lambda t: (LAYERS.index(t.split(".")[0]), t))
    return "".join(_table(name, grouped[name]) for name in order)


def _table(name: str, results: list[CheckResult]) -> str:
    """One table's checks in a <details> block, open when something failed or warned."""
    worst = min(STATUS_ORDER[r.status] for r in results)
    status = next(s for s, rank in STATUS_ORDER.items() if rank == worst)
    rows = []
    for r in sorted(results, key=lambda r: (STATUS_ORDER[r.status], r.expectation)):
        pct = "" if r.unexpected_percent is None else f"{r.unexpected_percent:.3g}%"
        rows.append(
            f"<tr class='check' data-table='{escape(name)}' data-check='{escape(r.expectation)}' "
            f"data-status='{r.status}'>"
            f"<td>{escape(r.expectation)}</td><td>{escape(r.expectation_type)}</td>"
            f"<td>{escape(r.column or '')}</td><td>{r.severity}</td>"
            f"<td class='s-{r.status}'>{r.status}</td>"
            f"<td class='observed'>{escape(r.observed_value or '')}</td><td>{pct}</td>"
            f"<td class='details'>{escape(_describe(r))}</td></tr>"
        )
    opened = " open" if status in ("failed", "warning") else ""
    return (
        f"<details id='{escape(name)}' class='table'{opened}><summary><b>{escape(name)}</b> "
        f"<span class='s-{status}'>{status}</span> ({len(results)} checks)</summary>"
        "<table><tr><th>check</th><th>expectation</th><th>column</th><th>severity</th>"
        "<th>result</th><th>observed</th><th>unexpected</th><th>details</th></tr>"
        f"{''.join(rows)}</table></details>"
    )


def _describe(result: CheckResult) -> str:
    d = result.details
    parts = [str(d["description"]).rstrip(".")] if d.get("description") else []
    if "mostly" in d:
        parts.append(f"mostly {d['mostly']}")
    bounds = d.get("bounds") or {}
    kwargs = d.get("kwargs") or {}
    limits = {"min": bounds.get("min", kwargs.get("min_value"))}
    limits["max"] = bounds.get("max", kwargs.get("max_value"))
    if limits["min"] is not None:
        parts.append(f"min {limits['min']}")
    if limits["max"] is not None:
        parts.append(f"max {limits['max']}")
    for key in ("value_set", "regex"):
        if key in kwargs:
            parts.append(f"{key.replace('_', ' ')} {kwargs[key]}")
    for flag in ("skipped", "error", "missing", "empty_batch", "duplicate"):
        if d.get(flag):
            parts.append(f"{flag.replace('_', ' ')}: {d[flag]}")
    return "; ".join(parts)[:600]


# ------------------------------------------------------------------------- files


def _is_local(path: str) -> bool:
    return "://" not in path and not path.startswith("file:")


def _write(lake: Lake, path: str, text: str) -> None:
    if _is_local(path):
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    else:
        fs.write_text(lake.spark, path, text)


def _write_index(lake: Lake, config: Config) -> None:
    root = config.paths.reports_root.rstrip("/")
    if _is_local(root):
        names = sorted(p.name for p in Path(root).glob("dq-report-*.html"))
    else:
        names = sorted(Path(f.path).name for f in fs.list_files(lake.spark, root, ".html"))
        names = [n for n in names if n.startswith("dq-report-")]
    links = "".join(f"<li><a href='{n}'>{n[10:20]}</a></li>" for n in reversed(names))
    _write(
        lake,
        f"{root}/index.html",
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Data quality "
        f"reports</title><style>{CSS}</style></head><body><h1>Data quality reports</h1>"
        f"<ul>{links}</ul></body></html>",
    )


def report_exists(path: str, spark_factory: Callable[[], SparkSession]) -> bool:
    """Whether the report file exists; Spark is only started for a non-local path."""
    return Path(path).exists() if _is_local(path) else fs.exists(spark_factory(), path)
