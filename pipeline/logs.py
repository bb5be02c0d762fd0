"""structlog setup: readable console lines locally, JSON lines in dev/stage/prod.

Context (run id, stage, table, date) is bound with ``structlog.contextvars`` by the runner,
so every event carries it.
"""

from __future__ import annotations

import logging
import sys

import structlog


class StderrLogger:
    """Writes each line to the *current* ``sys.stderr``.

    structlog's ``PrintLogger`` keeps the stream it was given; when that stream is replaced
    and closed (a test's captured output, a daemonised process), every later event would
    raise ``ValueError: I/O operation on closed file``.
    """

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _stderr_logger(*_args: object) -> StderrLogger:
    return StderrLogger()


def configure_logging(*, fmt: str = "console", level: str = "INFO") -> None:
    renderer = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)


def get_logger(name: str = "inventory_activity") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
