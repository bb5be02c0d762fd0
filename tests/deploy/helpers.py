"""Helpers for the deploy tests: free ports, child processes that always end, CLI runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CLI = str(VENV_BIN / "inventory-activity")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the test process dies, even without cleanup (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@contextmanager
def child(args: Sequence[str], *, log: Path, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """A background process in its own process group, killed (group-wide) on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(args),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def run(
    args: Sequence[str], *, env: dict | None = None, timeout: float = 1800, log: Path | None = None
) -> str:
    """Run a command (output also streamed to ``log``); fail with its causes and its end."""
    if log is None:
        log = Path(tempfile.mkstemp(prefix="deploy-test-", suffix=".log")[1])
    with log.open("w") as out:
        try:
            done = subprocess.run(
                list(args), stdout=subprocess.PIPE, stderr=out, text=True, env=env,
                timeout=timeout, cwd=ROOT,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"timed out after {timeout}s: {' '.join(map(str, args))}\n{log.read_text()[-3000:]}"
            ) from None
    if done.returncode != 0:
        output = done.stdout + log.read_text()
        causes = [
            line.strip()[:300]
            for line in output.splitlines()
            if "Caused by" in line or "Exception:" in line or line.startswith("E   ")
        ]
        cause = "\n".join(dict.fromkeys(causes[:12]))
        raise AssertionError(
            f"exit {done.returncode}: {' '.join(map(str, args))}\n{cause}\n...\n{output[-3000:]}"
        )
    return done.stdout


def lake_overrides(raw: str, lake: str, landing: str, core: str) -> list[str]:
    """--set options that put raw input and every lake layer under the given roots."""
    paths = {
        "raw_root": raw,
        "lake_root": lake,
        "landing_root": landing,
        "core_root": core,
        "reports_root": f"{lake}/_reports",
        "lock_root": f"{lake}/_locks",
    }
    out: list[str] = []
    for key, value in paths.items():
        out += ["--set", f"paths.{key}={value}"]
    return out


SMALL_RUN = [
    "--set", "spark.shuffle_partitions=2",
    "--set", "spark.driver_memory=1g",
    "--set", "run.output_files_per_partition=1",
    "--set", "run.retries=0",
]  # fmt: skip


def active_ids_from_raw(raw_root: Path, day: date) -> set[int]:
    """Oracle: distinct active vehicle_ids of a raw snapshot (latest updated_at wins)."""
    frame = pd.read_parquet(raw_root / "vehicle" / f"filedate={day.isoformat()}")
    frame = frame.sort_values("updated_at").drop_duplicates("vehicle_id", keep="last")
    return set(frame.loc[frame["status"] == "active", "vehicle_id"].astype(int))
