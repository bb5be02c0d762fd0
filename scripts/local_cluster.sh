#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the installed PySpark: 1 master, N workers,
# all bound to 127.0.0.1. For trying spark-submit and cluster mode without a real cluster.
#
#   scripts/local_cluster.sh start [STATE_DIR]   start, wait for the workers, print the master URL
#   scripts/local_cluster.sh stop  [STATE_DIR]   stop every process started from STATE_DIR
#
# Environment: MASTER_PORT (7077), MASTER_WEBUI_PORT (8080), WORKERS (2), WORKER_CORES (1),
# WORKER_MEMORY (1g), START_TIMEOUT seconds (90), SPARK_HOME (default: the .venv's pyspark).
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION="${1:-}"
STATE="${2:-data/local-cluster}"
PY=.venv/bin/python
SPARK_HOME="${SPARK_HOME:-$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')}"
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-256m}"
MASTER_PORT="${MASTER_PORT:-7077}"
MASTER_WEBUI_PORT="${MASTER_WEBUI_PORT:-8080}"
WORKERS="${WORKERS:-2}"
MASTER_URL="spark://127.0.0.1:$MASTER_PORT"

daemon() {  # name class args...
  local name="$1"; shift
  nohup "$SPARK_HOME/bin/spark-class" "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

stop() {
  shopt -s nullglob
  local pids=()
  for pidfile in "$STATE"/*.pid; do pids+=("$(cat "$pidfile")"); rm -f "$pidfile"; done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "${pids[@]}" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -9 "${pids[@]}" 2>/dev/null || true
}

case "$ACTION" in
  start)
    mkdir -p "$STATE"
    STATE="$(cd "$STATE" && pwd)"
    if ls "$STATE"/*.pid >/dev/null 2>&1; then
      echo "local_cluster: already started from $STATE (stop it first)" >&2; exit 2
    fi
    daemon master org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$MASTER_PORT" --webui-port "$MASTER_WEBUI_PORT"
    for i in $(seq 1 "$WORKERS"); do
      mkdir -p "$STATE/work-$i"
      daemon "worker-$i" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --webui-port 0 --cores "${WORKER_CORES:-1}" \
        --memory "${WORKER_MEMORY:-1g}" --work-dir "$STATE/work-$i" "$MASTER_URL"
    done
    if ! "$PY" - "$MASTER_WEBUI_PORT" "$WORKERS" "${START_TIMEOUT:-90}" <<'PY'
import json, sys, time, urllib.request
port, workers, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/", timeout=2) as answer:
            if json.load(answer).get("aliveworkers", 0) >= workers:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
    then
      echo "local_cluster: workers did not register in time; logs in $STATE" >&2
      tail -n 20 "$STATE"/*.log >&2 || true
      stop; exit 1
    fi
    echo "$MASTER_URL"
    ;;
  stop) [ -d "$STATE" ] && stop; echo "local_cluster: stopped" ;;
  *) echo "usage: local_cluster.sh start|stop [STATE_DIR]" >&2; exit 2 ;;
esac
