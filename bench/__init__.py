"""Benchmark suite of the daily job: scale tiers, side-by-side baselines, history costs.

``inventory-activity bench --tier M`` (or ``make bench``) runs :func:`bench.harness.run`;
results are appended to ``bench/results/bench.jsonl`` and charted in ``bench.svg``.
"""
