"""Shared set-up of the commands that write: the run lock first, then Spark and the ledger.

The lock is taken before the Spark session is built (local and S3 locks need no JVM), so a
second process is refused or waits without first paying for a JVM start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog

from pipeline.config import Config
from pipeline.ledger import Ledger
from pipeline.lock import RunLock
from pipeline.runner import RunContext, new_run_id
from pipeline.spark import build_spark


@dataclass
class Session:
    """What a writing command works with while it holds the lock."""

    ctx: RunContext
    ledger: Ledger
    lock: RunLock


@contextmanager
def locked_session(config: Config, *, command: str, label: str) -> Iterator[Session]:
    """Hold the environment's run lock around a Spark session, a run context and the ledger.

    ``label`` names the work in the lock file (e.g. ``run --date 2026-01-05``), so a
    refused process can say what it waits for.
    """
    run_id = new_run_id()
    with structlog.contextvars.bound_contextvars(run_id=run_id, command=command):
        lock = RunLock.for_config(
            config,
            run_id=run_id,
            command=label,
            spark_getter=lambda: build_spark(config.spark),
        )
        with lock:
            spark = build_spark(config.spark)
            ctx = RunContext(spark=spark, config=config, run_id=run_id, command=command)
            yield Session(ctx=ctx, ledger=Ledger(spark, config), lock=lock)
