"""Peak memory of the driver JVM and of the Python process, per benchmark phase.

Two views of the JVM: the heap pools' peak usage from ``java.lang.management`` (through
py4j; reset at the start of each phase) and the resident set of the ``java`` child process
sampled by a background thread (what the machine actually gave it). Python is sampled the
same way.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

MB = 1024 * 1024


def _psutil():
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in the bench/dev extras
        return None
    return psutil


def java_children() -> list:
    """``java`` processes started by this Python process (the py4j gateway's JVM)."""
    psutil = _psutil()
    if psutil is None:
        return []
    found = []
    for child in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if "java" in child.name():
                found.append(child)
        except psutil.Error:
            continue
    return found


def _rss(proc) -> int:
    try:
        return proc.memory_info().rss
    except Exception:
        return 0


class JvmPools:
    """Heap pools of the driver JVM through ``ManagementFactory`` (py4j)."""

    def __init__(self, spark):
        self.factory = spark.sparkContext._jvm.java.lang.management.ManagementFactory

    def _heap_pools(self) -> list:
        return [p for p in self.factory.getMemoryPoolMXBeans() if str(p.getType()) == "Heap memory"]

    def reset(self) -> None:
        for pool in self._heap_pools():
            pool.resetPeakUsage()

    def peak_heap_bytes(self) -> int:
        """Sum of the heap pools' peaks since the last reset (an upper bound of the peak)."""
        return int(sum(p.getPeakUsage().getUsed() for p in self._heap_pools()))

    def max_heap_bytes(self) -> int:
        return int(self.factory.getMemoryMXBean().getHeapMemoryUsage().getMax())


@dataclass
class Peaks:
    jvm_heap_peak_mb: float | None = None
    jvm_heap_max_mb: float | None = None
    java_rss_peak_mb: float | None = None
    python_rss_peak_mb: float | None = None
    # Load-insensitive companions of wall time: CPU seconds and Spark jobs/stages run.
    java_cpu_s: float | None = None
    python_cpu_s: float | None = None
    spark_jobs: int | None = None
    spark_stages: int | None = None

    def as_dict(self) -> dict:
        return {k: (round(v, 1) if v is not None else None) for k, v in self.__dict__.items()}


def _cpu(procs) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except Exception:
            continue
    return total


class SparkCounters:
    """Jobs and stages submitted so far (the DAG scheduler's id counters, via py4j)."""

    def __init__(self, spark):
        self.scheduler = spark.sparkContext._jsc.sc().dagScheduler()

    def read(self) -> tuple[int, int]:
        return int(self.scheduler.nextJobId()), int(self.scheduler.nextStageId())


class PeakSampler:
    """Context manager sampling RSS of Python and its java child every ``interval`` s."""

    def __init__(self, spark=None, *, interval: float = 0.25):
        self.interval = interval
        self.pools = None
        self.counters = None
        if spark is not None:
            try:
                self.pools = JvmPools(spark)
                self.counters = SparkCounters(spark)
            except Exception:
                self.pools = self.counters = None
        self._cpu0 = (0.0, 0.0)
        self._jobs0 = (0, 0)
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._java: list = []
        self._py = None
        self._java_peak = 0
        self._py_peak = 0

    def _sample(self) -> None:
        self._java_peak = max(self._java_peak, sum(_rss(p) for p in self._java))
        if self._py is not None:
            self._py_peak = max(self._py_peak, _rss(self._py))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakSampler:
        psutil = _psutil()
        self._java = java_children()
        self._py = psutil.Process(os.getpid()) if psutil else None
        if self.pools is not None:
            try:
                self.pools.reset()
            except Exception:
                self.pools = None
        self._sample()
        self._cpu0 = (_cpu(self._java), _cpu([self._py] if self._py else []))
        if self.counters is not None:
            try:
                self._jobs0 = self.counters.read()
            except Exception:
                self.counters = None
        self._thread = threading.Thread(target=self._loop, name="bench-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        if self.pools is not None:
            try:
                self.peaks.jvm_heap_peak_mb = self.pools.peak_heap_bytes() / MB
                self.peaks.jvm_heap_max_mb = self.pools.max_heap_bytes() / MB
            except Exception:
                pass
        if self._java:
            self.peaks.java_rss_peak_mb = self._java_peak / MB
            self.peaks.java_cpu_s = _cpu(self._java) - self._cpu0[0]
        if self._py is not None:
            self.peaks.python_rss_peak_mb = self._py_peak / MB
            self.peaks.python_cpu_s = _cpu([self._py]) - self._cpu0[1]
        if self.counters is not None:
            try:
                jobs, stages = self.counters.read()
                self.peaks.spark_jobs = jobs - self._jobs0[0]
                self.peaks.spark_stages = stages - self._jobs0[1]
            except Exception:
                pass


def timed() -> float:
    return time.perf_counter()
