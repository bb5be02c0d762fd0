#!/usr/bin/env bash
# make demo: generate sample input for N consecutive days, run the pipeline for each day
# in a local lake under DEMO_DIR, then print a summary of what was built.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DIR="${1:-data/demo}"
START="${2:-2026-01-05}"
DAYS="${3:-3}"
LISTINGS="${4:-2000}"
CLI=.venv/bin/inventory-activity
PATHS=(
  --set "paths.raw_root=$DEMO_DIR/raw"
  --set "paths.lake_root=$DEMO_DIR/lake"
  --set "paths.landing_root=$DEMO_DIR/lake/landing"
  --set "paths.core_root=$DEMO_DIR/lake/core"
  --set "paths.reports_root=$DEMO_DIR/reports"
  --set "paths.lock_root=$DEMO_DIR/lake/_locks"
)
mkdir -p "$DEMO_DIR/logs"
echo "== generating $DAYS days of sample input from $START ($LISTINGS active listings a day)"
"$CLI" sample generate --start "$START" --days "$DAYS" --listings "$LISTINGS" --seed 42 \
  --raw-root "$DEMO_DIR/raw" "${PATHS[@]}" > "$DEMO_DIR/logs/generate.txt"
tail -n 1 "$DEMO_DIR/logs/generate.txt" >/dev/null
for i in $(seq 0 $((DAYS - 1))); do
  day=$(date -u -d "$START + $i day" +%F)
  echo "== running $day (log: $DEMO_DIR/logs/run-$day.log)"
  "$CLI" run --date "$day" "${PATHS[@]}" 2> "$DEMO_DIR/logs/run-$day.log"
done
echo "== summary"
.venv/bin/python scripts/summary.py "${PATHS[@]}"
echo "logs: $DEMO_DIR/logs   lake: $DEMO_DIR/lake   reports: $DEMO_DIR/reports"
