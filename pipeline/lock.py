"""The run lock: at most one process per environment writes the lake at a time.

Every command that writes (``run``, ``backfill``, ``publish``, ``maintain``) holds the
lock of its environment for its whole duration; ``status`` only reads it.

Protocol (one folder ``<paths.lock_root>/<env>/``, files named by a generation number):

- ``<gen>.lock`` holds the holder as JSON: run id, command, host, pid (and the process
  start time, against pid reuse), since, last heartbeat and a random token.
- The lock is held by the highest generation unless ``<gen>.released`` exists.
- To acquire, a process creates ``<top + 1>.lock`` with an atomic create-if-absent: of
  any number of processes racing for the same generation exactly one succeeds; the others
  see the new holder and wait. No file is ever rewritten by anyone but its holder and
  generations only grow, so there is no check-then-delete race.
- A holder is *stale* when its process is gone (same host: the pid no longer exists or
  is another process) or its heartbeat is older than ``run.lock_stale_seconds``. A stale
  lock is taken over the same way, by creating the next generation.
- The holder refreshes its heartbeat every ``run.lock_heartbeat_seconds``; if it finds a
  higher generation (it was presumed dead and taken over) it flags the lock as lost and
  the runner stops before its next stage (:meth:`RunLock.check`).
- Release: create ``<gen>.released``. Old generations are deleted by later holders.

Create-if-absent per store: local paths use ``open(O_CREAT | O_EXCL)``; S3 uses a
conditional PUT (``If-None-Match: *``), which S3 evaluates atomically; other Hadoop file
systems use ``create(overwrite=false)``, atomic on HDFS. See the README ("Locking").
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from pipeline.config import Config
from pipeline.errors import ConfigError, LockBusy
from tables import fs

log = structlog.get_logger("inventory_activity.lock")

LOCK_SUFFIX = ".lock"
RELEASED_SUFFIX = ".released"


class LockLost(LockBusy):
    """Another process took the lock over while this one held it (presumed dead)."""


# ---------------------------------------------------------------------------- holders


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a generation of the lock."""

    generation: int
    run_id: str
    command: str
    env: str
    host: str
    pid: int
    pid_start: str | None
    since: float
    heartbeat: float
    token: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Holder:
        data = json.loads(text)
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})

    def describe(self, now: float) -> str:
        """One line naming the holder: run id, command, host, pid, since, heartbeat age."""
        return (
            f"run id {self.run_id} ({self.command}), host {self.host}, pid {self.pid}, "
            f"since {_iso(self.since)}, last heartbeat {max(0, round(now - self.heartbeat))}s ago"
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("token")
        out["since"] = _iso(self.since)
        out["heartbeat"] = _iso(self.heartbeat)
        return out


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def process_start(pid: int) -> str | None:
    """Start time of a process (Linux: clock ticks since boot), None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields and fields[0] == "Z":  # a zombie has exited; it only awaits its parent
        return "zombie"
    return fields[19] if len(fields) > 19 else None


def process_alive(pid: int, start: str | None) -> bool:
    """True while ``pid`` runs and is the same process (start time) as recorded."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    current = process_start(pid)
    if current == "zombie":
        return False
    return start is None or current is None or current == start


# ----------------------------------------------------------------------------- stores


class LockStore(Protocol):
    """A folder that supports atomic create-if-absent."""

    location: str

    def create(self, name: str, text: str) -> bool: ...

    def overwrite(self, name: str, text: str) -> None: ...

    def read(self, name: str) -> str | None: ...

    def names(self) -> list[str]: ...

    def delete(self, name: str) -> None: ...


class LocalLockStore:
    """A local folder: ``O_CREAT | O_EXCL`` creates, atomic renames replace."""

    def __init__(self, root: str):
        self.location = root
        self.root = fs.local_path(root) or root

    def _path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def create(self, name: str, text: str) -> bool:
        return fs.create_exclusive(None, self._path(name), text)

    def overwrite(self, name: str, text: str) -> None:
        fs.replace_text(None, self._path(name), text)

    def read(self, name: str) -> str | None:
        try:
            with open(self._path(name), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def names(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.root) if not n.endswith(".tmp"))
        except FileNotFoundError:
            return []

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path(name))


class HadoopLockStore:
    """Any Hadoop file system (HDFS: create(overwrite=false) is atomic at the NameNode)."""

    def __init__(self, spark, root: str):
        self.location = root
        self.spark = spark

    def _path(self, name: str) -> str:
        return f"{self.location.rstrip('/')}/{name}"

    def create(self, name: str, text: str) -> bool:
        return fs.create_exclusive(self.spark, self._path(name), text)

    def overwrite(self, name: str, text: str) -> None:
        fs.replace_text(self.spark, self._path(name), text)

    def read(self, name: str) -> str | None:
        return fs.read_text(self.spark, self._path(name))

    def names(self) -> list[str]:
        return [f.path.rsplit("/", 1)[-1] for f in fs.list_files(self.spark, self.location)]

    def delete(self, name: str) -> None:
        fs.delete(self.spark, self._path(name))


class S3LockStore:
    """An S3 prefix; create-if-absent is a conditional PUT (``If-None-Match: *``).

    S3 evaluates the condition atomically: of concurrent PUTs of the same key with
    ``If-None-Match: *`` one succeeds and the others get 412 Precondition Failed (or 409
    ConditionalRequestConflict while the winner's upload is in flight).
    """

    CONFLICT_CODES = ("PreconditionFailed", "ConditionalRequestConflict", "412", "409")

    def __init__(self, client, root: str):
        self.location = root
        self.client = client
        without_scheme = root.split("://", 1)[1]
        self.bucket, _, prefix = without_scheme.partition("/")
        self.prefix = prefix.strip("/")

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def create(self, name: str, text: str) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=text.encode(), IfNoneMatch="*"
            )
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in self.CONFLICT_CODES:
                return False
            raise
        return True

    def overwrite(self, name: str, text: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=text.encode())

    def read(self, name: str) -> str | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"]
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404"):
                return None
            raise
        return body.read().decode()

    def names(self) -> list[str]:
        out: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = f"{self.prefix}/" if self.prefix else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            out.extend(o["Key"][len(prefix) :] for o in page.get("Contents", []))
        return sorted(n for n in out if "/" not in n)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))


def s3_client(config: Config):
    """boto3 S3 client with the same endpoint settings S3A uses (``spark.extra_conf``)."""
    try:
        import boto3
        from botocore.config import Config as BotoConfig
    except ImportError as exc:
        raise ConfigError(
            f"paths.lock_root {config.paths.lock_root} is on S3: the run lock needs boto3 "
            "(pip install 'inventory-activity[aws]')"
        ) from exc
    extra = config.spark.extra_conf
    path_style = extra.get("spark.hadoop.fs.s3a.path.style.access", "false") == "true"
    return boto3.client(
        "s3",
        endpoint_url=extra.get("spark.hadoop.fs.s3a.endpoint") or None,
        region_name=extra.get("spark.hadoop.fs.s3a.endpoint.region") or None,
        config=BotoConfig(s3={"addressing_style": "path" if path_style else "auto"}),
    )


def lock_store(config: Config, spark_getter: Callable[[], Any] | None = None) -> LockStore:
    """The store of this environment's lock folder ``<paths.lock_root>/<env>``."""
    root = f"{config.paths.lock_root.rstrip('/')}/{config.env}"
    if fs.local_path(root) is not None:
        return LocalLockStore(root)
    if root.startswith(("s3://", "s3a://", "s3n://")):
        return S3LockStore(s3_client(config), root)
    if spark_getter is None:
        raise ConfigError(f"paths.lock_root {config.paths.lock_root}: needs a Spark session")
    return HadoopLockStore(spark_getter(), root)


# ------------------------------------------------------------------------------- lock


@dataclass(frozen=True)
class LockState:
    """What the lock folder says right now."""

    top: int  # highest generation, 0 when none
    holder: Holder | None  # holder of ``top`` unless released (None: free or unreadable)
    released: bool

    @property
    def free(self) -> bool:
        return self.top == 0 or self.released


def read_state(store: LockStore) -> LockState:
    """Highest generation, its holder and whether it was released."""
    names = store.names()
    generations = sorted(
        int(n[: -len(LOCK_SUFFIX)]) for n in names if n.endswith(LOCK_SUFFIX) and n[:-5].isdigit()
    )
    if not generations:
        return LockState(0, None, False)
    top = generations[-1]
    released = f"{top:012d}{RELEASED_SUFFIX}" in names
    text = None if released else store.read(f"{top:012d}{LOCK_SUFFIX}")
    holder = None
    if text:
        try:
            holder = Holder.from_json(text)
        except (ValueError, TypeError):
            holder = None  # being rewritten (non-atomic store): look again next poll
    return LockState(top, holder, released)


class RunLock:
    """The environment's run lock; use as a context manager around all writes."""

    def __init__(
        self,
        store: LockStore,
        *,
        env: str,
        run_id: str,
        command: str,
        timeout_seconds: float,
        stale_seconds: float,
        heartbeat_seconds: float,
        poll_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.env = env
        self.run_id = run_id
        self.command = command
        self.timeout = timeout_seconds
        self.stale_after = stale_seconds
        self.heartbeat_every = heartbeat_seconds
        self.poll = poll_seconds
        self.clock = clock
        self.sleep = sleep
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.token = secrets.token_hex(8)
        self.generation: int | None = None
        self._since = 0.0
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unreadable_since: dict[int, float] = {}

    @classmethod
    def for_config(
        cls, config: Config, *, run_id: str, command: str, spark_getter=None, **overrides
    ) -> RunLock:
        settings = {
            "timeout_seconds": config.run.lock_timeout_seconds,
            "stale_seconds": config.run.lock_stale_seconds,
            "heartbeat_seconds": config.run.lock_heartbeat_seconds,
            "poll_seconds": config.run.lock_poll_seconds,
            **overrides,
        }
        store = lock_store(config, spark_getter)
        return cls(store, env=config.env, run_id=run_id, command=command, **settings)

    # ------------------------------------------------------------------ acquiring
    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def stale_reason(self, state: LockState, now: float) -> str | None:
        """Why the holder of ``state`` is presumed dead, or None while it looks alive."""
        holder = state.holder
        if holder is None:  # unreadable: a writer died between create and write?
            first_seen = self._unreadable_since.setdefault(state.top, now)
            if now - first_seen > self.stale_after:
                return f"lock file unreadable for {round(now - first_seen)}s"
            return None
        if holder.host == self.host and not process_alive(holder.pid, holder.pid_start):
            return f"process {holder.pid} on {holder.host} is gone"
        if now - holder.heartbeat > self.stale_after:
            return f"no heartbeat for {round(now - holder.heartbeat)}s (> {self.stale_after}s)"
        return None

    def acquire(self) -> None:
        """Take the lock, waiting up to the timeout; raise LockBusy naming the holder."""
        started = self.clock()
        announced = False
        with structlog.contextvars.bound_contextvars(run_id=self.run_id, lock=self.store.location):
            while True:
                state = read_state(self.store)
                now = self.clock()
                reason = None if state.free else self.stale_reason(state, now)
                if (state.free or reason) and self._try_take(state, reason, now):
                    return
                if state.free or reason:
                    continue  # lost the race for the generation: look again at once
                waited = now - started
                if waited >= self.timeout:
                    raise LockBusy(self._busy_message(state, now, waited))
                if not announced:
                    log.warning("lock busy; waiting", holder=_holder_text(state, now))
                    announced = True
                self.sleep(min(self.poll, max(self.timeout - waited, 0.01)))

    def _try_take(self, state: LockState, reason: str | None, now: float) -> bool:
        generation = state.top + 1
        holder = self._holder(generation, now, now)
        if not self.store.create(f"{generation:012d}{LOCK_SUFFIX}", holder.to_json()):
            return False
        if reason:
            log.warning(
                "took over a stale lock",
                reason=reason,
                previous=_holder_text(state, now),
                generation=generation,
            )
        self.generation, self._since = generation, now
        log.info("lock acquired", generation=generation)
        self._cleanup(generation)
        self._start_heartbeat()
        return True

    def _holder(self, generation: int, since: float, heartbeat: float) -> Holder:
        return Holder(
            generation=generation,
            run_id=self.run_id,
            command=self.command,
            env=self.env,
            host=self.host,
            pid=self.pid,
            pid_start=process_start(self.pid),
            since=since,
            heartbeat=heartbeat,
            token=self.token,
        )

    def _busy_message(self, state: LockState, now: float, waited: float) -> str:
        return (
            f"busy: another run holds the lock of environment '{self.env}' "
            f"({self.store.location}): {_holder_text(state, now)}; waited {round(waited)}s "
            "(run.lock_timeout_seconds). Retry later; `inventory-activity status` shows it."
        )

    def _cleanup(self, generation: int) -> None:
        """Delete files of generations below the previous one (never the top)."""
        for name in self.store.names():
            stem = name.split(".", 1)[0]
            if stem.isdigit() and int(stem) < generation - 1:
                self.store.delete(name)

    # ----------------------------------------------------------------- holding
    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat_loop, name=f"lock-heartbeat-{self.run_id}", daemon=True
        )
        self._thread.start()

    def _beat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            try:
                self.beat()
            except Exception as exc:  # a transient store error: try again next beat
                log.warning("lock heartbeat failed", error=str(exc)[:300])

    def beat(self) -> None:
        """Refresh the heartbeat, or flag the lock lost if a later generation exists."""
        if self.generation is None or self._lost.is_set():
            return
        state = read_state(self.store)
        if state.top != self.generation:
            self._lost.set()
            log.error("lock lost: taken over by another process", generation=state.top)
            return
        now = self.clock()
        holder = self._holder(self.generation, self._since, now)
        self.store.overwrite(f"{self.generation:012d}{LOCK_SUFFIX}", holder.to_json())

    def check(self) -> None:
        """Raise LockLost when another process took the lock over (call before writing)."""
        if self._lost.is_set():
            raise LockLost(
                f"lock of environment '{self.env}' was taken over by another process; "
                "stopping before the next write"
            )

    @property
    def held(self) -> bool:
        return self.generation is not None and not self._lost.is_set()

    def release(self) -> None:
        """Stop the heartbeat and mark this generation released."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.generation is None:
            return
        try:
            self.store.create(f"{self.generation:012d}{RELEASED_SUFFIX}", self.run_id)
            log.info("lock released", generation=self.generation)
        finally:
            self.generation = None


def current_holder(config: Config, spark_getter=None) -> dict[str, Any] | None:
    """The live holder of the environment's lock as a dict (None when free)."""
    state = read_state(lock_store(config, spark_getter))
    if state.free or state.holder is None:
        return None
    return state.holder.as_dict()


def _holder_text(state: LockState, now: float) -> str:
    if state.holder is None:
        return f"generation {state.top} (holder details unreadable)"
    return state.holder.describe(now)
