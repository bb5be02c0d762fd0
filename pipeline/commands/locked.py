"""Shared set-up of the commands that write: the run lock first, then Spark and the ledger.

The lock is taken before the Spark session is built (local and S3 locks need no JVM), so a
second process is refused or waits without first paying for a JVM start. SIGTERM (a
cancelled EMR step, a stopped container) is turned into an exception, so the ledger rows
are written and the lock is released on the way out; SIGKILL leaves a stale lock that the
next run takes over.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.ledger import Ledger
from pipeline.lock import RunLock
from pipeline.runner import RunContext, new_run_id
from pipeline.spark import build_spark


class Terminated(PipelineError):
    """The process received SIGTERM; it stops like a failed stage (exit code 1)."""


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
        with _sigterm_raises(), lock:
            spark = build_spark(config.spark)
            ctx = RunContext(spark=spark, config=config, run_id=run_id, command=command)
            yield Session(ctx=ctx, ledger=Ledger(spark, config), lock=lock)
