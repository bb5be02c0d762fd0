#!/usr/bin/env bash
# Run the inventory-activity CLI through spark-submit, from an unpacked release (make package).
#
#   submit.sh [spark-submit options ...] -- CLI-ARGUMENTS ...
#   e.g. submit.sh --master spark://127.0.0.1:7077 -- run --date 2026-01-05 --env local
#
# Environment:
#   INVENTORY_ACTIVITY_HOME  release folder with spark_driver.py and jars/<profile>/ (default:
#                            this script's folder)
#   JAR_PROFILES             JAR profiles to ship with the job (default: core)
#   SPARK_SUBMIT             spark-submit to use (default: spark-submit on PATH)
# The driver's python (PYSPARK_PYTHON) must have the wheel installed. The CLI's exit code is
# this script's exit code.
set -euo pipefail
HOME_DIR="${INVENTORY_ACTIVITY_HOME:-$(cd "$(dirname "$0")" && pwd)}"
SPARK_SUBMIT="${SPARK_SUBMIT:-spark-submit}"
submit_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do submit_opts+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: submit.sh [spark-submit options] -- CLI-ARGS" >&2; exit 2; }
jars=()
for profile in ${JAR_PROFILES:-core}; do
  shopt -s nullglob
  found=("$HOME_DIR/jars/$profile"/*.jar)
  shopt -u nullglob
  [ ${#found[@]} -gt 0 ] || { echo "submit.sh: no JARs in $HOME_DIR/jars/$profile" >&2; exit 2; }
  jars+=("${found[@]}")
done
jar_list="$(IFS=,; echo "${jars[*]}")"
export INVENTORY_ACTIVITY_JARS="$HOME_DIR/jars"
exec "$SPARK_SUBMIT" --jars "$jar_list" "${submit_opts[@]}" "$HOME_DIR/spark_driver.py" "$@"
