"""Logging keeps working when the stderr it was configured with is closed and replaced."""

from __future__ import annotations

import io
import json
import sys

import structlog

from pipeline.logs import configure_logging, get_logger


def test_events_go_to_the_current_stderr_after_the_old_one_is_closed(monkeypatch):
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging(fmt="json", level="INFO")
    get_logger().info("before", table="bronze.vehicle")
    first.close()

    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    with structlog.contextvars.bound_contextvars(run_id="r1", stage="silver"):
        get_logger().info("after", table="silver.listing_snapshot")

    event = json.loads(second.getvalue().strip())
    assert event["event"] == "after"
    assert (event["run_id"], event["stage"], event["table"]) == (
        "r1",
        "silver",
        "silver.listing_snapshot",
    )
    configure_logging(fmt="console", level="WARNING")


def test_level_filters_lower_events(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging(fmt="json", level="WARNING")
    get_logger().info("quiet")
    get_logger().warning("loud")
    lines = [json.loads(line)["event"] for line in out.getvalue().splitlines()]
    assert lines == ["loud"]
