"""Data-quality gates: suites as YAML, run with Great Expectations, results and reports.

See docs/quality.md. The runner calls :class:`quality.gate.QualityGate` after each layer.
"""
