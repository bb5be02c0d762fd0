"""The run lock: exclusive, waits then refuses naming the holder, takes over stale locks.

Unit tests on the local store (O_EXCL) and the S3 store (conditional PUT, against moto);
the two-process test through the real CLI is in tests/jobs/test_concurrency_and_crash.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from pipeline.errors import ExitCode, LockBusy
from pipeline.lock import (
    Holder,
    LocalLockStore,
    LockLost,
    RunLock,
    S3LockStore,
    process_alive,
    process_start,
    read_state,
)
from pipeline.logs import configure_logging


@pytest.fixture(autouse=True)
def _logs_to_the_current_stderr():
    """Re-bind structlog to this test's stderr (a CLI call binds it to a captured stream)."""
    configure_logging(level="WARNING")


@pytest.fixture
def store(tmp_path):
    return LocalLockStore(str(tmp_path / "locks" / "local"))


def make_lock(store, run_id: str, **settings) -> RunLock:
    options = {
        "timeout_seconds": 0.3,
        "stale_seconds": 60,
        "heartbeat_seconds": 30,
        "poll_seconds": 0.05,
        **settings,
    }
    return RunLock(store, env="local", run_id=run_id, command=f"run ({run_id})", **options)


def foreign_holder(store, generation: int, **fields) -> Holder:
    """Write a lock file as another process would have."""
    now = time.time()
    holder = Holder(
        generation=generation,
        run_id=fields.get("run_id", "other-run"),
        command="run --date 2026-01-05",
        env="local",
        host=fields.get("host", socket.gethostname()),
        pid=fields.get("pid", os.getpid()),
        pid_start=fields.get("pid_start"),
        since=fields.get("since", now),
        heartbeat=fields.get("heartbeat", now),
        token="t0k3n",
    )
    assert store.create(f"{generation:012d}.lock", holder.to_json())
    return holder


def exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_acquire_release_and_generations(store):
    first = make_lock(store, "r1")
    with first:
        state = read_state(store)
        assert (state.top, state.holder.run_id, state.released) == (1, "r1", False)
        assert first.held
    assert read_state(store).free
    with make_lock(store, "r2"):
        assert read_state(store).top == 2
    assert read_state(store).free


def test_busy_lock_waits_then_refuses_naming_the_holder(store):
    with make_lock(store, "holder-run"):
        waiting = make_lock(store, "second-run", timeout_seconds=0.4)
        started = time.monotonic()
        with pytest.raises(LockBusy) as refused:
            waiting.acquire()
        waited = time.monotonic() - started
    message = str(refused.value)
    assert refused.value.exit_code == ExitCode.BUSY
    assert 0.35 <= waited < 5
    for part in ("holder-run", socket.gethostname(), f"pid {os.getpid()}", "since "):
        assert part in message, message
    assert waiting.generation is None


def test_a_waiting_lock_gets_it_when_the_holder_releases(store):
    holder = make_lock(store, "first")
    holder.acquire()
    waiter = make_lock(store, "second", timeout_seconds=10)
    got = threading.Event()

    def wait_for_it():
        waiter.acquire()
        got.set()

    thread = threading.Thread(target=wait_for_it)
    thread.start()
    time.sleep(0.3)
    assert not got.is_set()
    holder.release()
    thread.join(timeout=10)
    assert got.is_set()
    assert read_state(store).holder.run_id == "second"
    waiter.release()


def test_lock_of_a_dead_process_on_this_host_is_taken_over(store):
    foreign_holder(store, 1, pid=exited_pid(), run_id="killed-run")
    lock = make_lock(store, "new-run", timeout_seconds=0)
    lock.acquire()
    state = read_state(store)
    assert (state.top, state.holder.run_id) == (2, "new-run")
    lock.release()


def test_reused_pid_is_not_mistaken_for_the_holder(store):
    # Our own pid is alive, but with another start time it is another process.
    foreign_holder(store, 1, pid=os.getpid(), pid_start="1", run_id="old-run")
    with make_lock(store, "new-run", timeout_seconds=0):
        assert read_state(store).holder.run_id == "new-run"


def test_holder_without_heartbeat_is_taken_over_even_on_another_host(store):
    old = time.time() - 3600
    foreign_holder(store, 1, host="emr-driver-17", pid=1, heartbeat=old, since=old)
    with make_lock(store, "new-run", timeout_seconds=0, stale_seconds=60):
        assert read_state(store).holder.run_id == "new-run"


def test_live_holder_on_another_host_is_respected(store):
    foreign_holder(store, 1, host="emr-driver-17", pid=1, run_id="remote-run")
    with pytest.raises(LockBusy) as refused:
        make_lock(store, "new-run", timeout_seconds=0.1).acquire()
    assert "remote-run" in str(refused.value) and "emr-driver-17" in str(refused.value)
    assert read_state(store).holder.run_id == "remote-run"


def test_unreadable_lock_file_is_taken_over_after_the_stale_period(store):
    assert store.create(f"{1:012d}.lock", "")  # a writer died between create and write
    lock = make_lock(store, "new-run", timeout_seconds=5, stale_seconds=0.2)
    lock.acquire()
    assert read_state(store).top == 2
    lock.release()


@pytest.mark.parametrize("stale", [False, True])
def test_of_many_racing_contenders_exactly_one_wins(store, stale):
    if stale:
        foreign_holder(store, 1, pid=exited_pid())
    barrier = threading.Barrier(8)
    winners, refused = [], []

    def contend(index: int):
        lock = make_lock(store, f"racer-{index}", timeout_seconds=0.2)
        barrier.wait()
        try:
            lock.acquire()
            winners.append(lock)
        except LockBusy:
            refused.append(index)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(refused) == 7
    assert read_state(store).holder.run_id == winners[0].run_id
    winners[0].release()


def test_heartbeat_refreshes_and_a_takeover_is_detected(store):
    lock = make_lock(store, "slow-run", heartbeat_seconds=0.1)
    lock.acquire()
    first = read_state(store).holder.heartbeat
    time.sleep(0.35)
    assert read_state(store).holder.heartbeat > first
    lock.check()  # still ours
    foreign_holder(store, 2, run_id="usurper")  # someone presumed us dead
    lock.beat()
    with pytest.raises(LockLost) as lost:
        lock.check()
    assert lost.value.exit_code == ExitCode.BUSY
    lock.release()  # must not free the usurper's lock
    state = read_state(store)
    assert (state.top, state.free, state.holder.run_id) == (2, False, "usurper")


def test_old_generations_are_cleaned_up(store):
    for _ in range(4):
        with make_lock(store, "r"):
            pass
    names = store.names()
    assert f"{4:012d}.lock" in names and f"{1:012d}.lock" not in names


def test_process_liveness():
    assert process_alive(os.getpid(), process_start(os.getpid()))
    assert not process_alive(exited_pid(), None)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(0.5)  # exited, not yet reaped: a zombie
    try:
        assert not process_alive(zombie.pid, None)
    finally:
        zombie.wait()


def test_s3_store_uses_conditional_puts(tmp_path):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake-bucket")
        s3 = S3LockStore(client, "s3a://lake-bucket/inventory-activity/_locks/prod")
        assert s3.create("x", "1") and not s3.create("x", "2")
        assert s3.read("x") == "1" and s3.read("missing") is None
        holder = make_lock(s3, "s3-holder")
        holder.acquire()
        with pytest.raises(LockBusy) as refused:
            make_lock(s3, "s3-second", timeout_seconds=0.1).acquire()
        assert "s3-holder" in str(refused.value)
        holder.release()
        with make_lock(s3, "s3-second", timeout_seconds=0):
            assert json.loads(s3.read(f"{2:012d}.lock"))["run_id"] == "s3-second"
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="lake-bucket")["Contents"]]
        assert all(k.startswith("inventory-activity/_locks/prod/") for k in keys)
