"""Fault injection for the crash tests; does nothing unless its environment variable is set.

``INVENTORY_ACTIVITY_FAULT=stall-write:<layer.table>`` makes the write of that table stall
inside its Spark write job (a Python UDF in the written plan blocks on its first row), after
creating the file named by ``INVENTORY_ACTIVITY_FAULT_MARKER``. A test waits for the marker
and kills the process with SIGKILL, so the kill lands while Delta is writing data files
and before it commits.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

FAULT_ENV = "INVENTORY_ACTIVITY_FAULT"
MARKER_ENV = "INVENTORY_ACTIVITY_FAULT_MARKER"


def _stall(marker: str) -> bool:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(3600)
    return True


def during_write(frame: DataFrame, table: str) -> DataFrame:
    """``frame``, or ``frame`` with a stall in its plan when the fault names ``table``."""
    if os.environ.get(FAULT_ENV) != f"stall-write:{table}":
        return frame
    marker = os.environ[MARKER_ENV]
    stall = F.udf(lambda _: _stall(marker), T.BooleanType()).asNondeterministic()
    return frame.where(stall(F.lit(1)))
