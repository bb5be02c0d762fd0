#!/usr/bin/env bash
# EMR step (through command-runner.jar): run the inventory-activity CLI with spark-submit on
# YARN and record its exit code where the job runner reads it.
#
#   inventory-activity-step --outcome s3://BUCKET/PREFIX/LABEL.json [--profiles "core"] -- CLI-ARGS
#   e.g. ... -- run --date 2026-01-05 --env prod --set spark.jar_profiles=core
#
# The step's own status is COMPLETED for exit code 0 and FAILED otherwise; the outcome file
# ({"exit_code": N}) tells the runner which failure (3 quality, 4 input not ready, 5 busy...).
set -uo pipefail
HOME_DIR="$(cd "$(dirname "$0")/.." && pwd)"
outcome="" profiles="core"
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    --outcome) outcome="$2"; shift 2 ;;
    --profiles) profiles="$2"; shift 2 ;;
    *) echo "inventory-activity-step: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "${1:-}" = "--" ] && shift
INVENTORY_ACTIVITY_HOME="$HOME_DIR" JAR_PROFILES="$profiles" \
  "$HOME_DIR/submit.sh" --master yarn --deploy-mode client -- "$@"
rc=$?
if [ -n "$outcome" ]; then
  printf '{"exit_code": %d, "host": "%s", "args": "%s"}\n' "$rc" "$(hostname)" "$*" \
    | aws s3 cp --quiet - "$outcome" || echo "inventory-activity-step: could not write $outcome" >&2
fi
exit "$rc"
