#!/usr/bin/env bash
# Build the release artifact: the same files run locally, with spark-submit and on EMR.
#
#   scripts/package.sh [--out DIR] [--profiles "core s3"]
#
# DIR (default dist/) gets:
#   inventory_activity-<version>-py3-none-any.whl  the project, conf/ inside (pipeline/conf)
#   jars.lock                                       Maven coordinates per JAR profile
#   jars-<profile>.tar                              the resolved JARs of each profile
#   spark_driver.py, submit.sh                      spark-submit entry point and wrapper
#   emr/bootstrap.sh, emr/step.sh                   EMR bootstrap action and step wrapper
#   conf/                                           a copy of the configuration, for review
#   MANIFEST.json                                   version, git commit, sha256 of each file
# Needs `make setup` first (the virtualenv and the resolved JARs in .jars/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
OUT="dist"
PROFILES=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --profiles) PROFILES="$2"; shift 2 ;;
    *) echo "package.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "package.sh: run 'make setup' first" >&2; exit 2; }
if [ -z "$PROFILES" ]; then
  PROFILES="$("$PY" -c 'import sys; sys.path.insert(0, "scripts"); import resolve_jars as r
print(" ".join(r.read_lock(r.ROOT / "jars.lock")))')"
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
rm -rf "$OUT"/*.whl "$OUT"/jars-*.tar "$OUT/emr" "$OUT/conf"

# Build the wheel from a clean copy of the sources (no stale build/ folder; the conf link
# becomes real files), so the wheel holds exactly what is in the tree.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp pyproject.toml README.md "$STAGE/"
for pkg in pipeline tables jobs quality; do
  [ -d "$pkg" ] && cp -rL "$pkg" "$STAGE/$pkg"
done
find "$STAGE" -name __pycache__ -type d -prune -exec rm -rf {} +
echo "package: building the wheel"
if ! "$PY" -m pip wheel --quiet --no-deps --wheel-dir "$OUT" "$STAGE" >"$STAGE/build.log" 2>&1; then
  cat "$STAGE/build.log" >&2; exit 1
fi

for profile in $PROFILES; do
  [ -d ".jars/$profile" ] && ls .jars/"$profile"/*.jar >/dev/null 2>&1 \
    || { echo "package.sh: no JARs for profile '$profile' in .jars/ (make setup)" >&2; exit 2; }
  echo "package: jars-$profile.tar"
  tar -C .jars -cf "$OUT/jars-$profile.tar" "$profile"
done
cp jars.lock deploy/spark_driver.py deploy/submit.sh "$OUT/"
mkdir -p "$OUT/emr" "$OUT/conf"
cp deploy/emr/*.sh "$OUT/emr/"
cp conf/*.yaml "$OUT/conf/"

"$PY" - "$OUT" "$PROFILES" <<'PY'
import hashlib, json, subprocess, sys
from pathlib import Path
out, profiles = Path(sys.argv[1]), sys.argv[2].split()
def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
wheel = next(out.glob("*.whl"))
files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "MANIFEST.json")
manifest = {
    "name": "inventory-activity",
    "version": wheel.name.split("-")[1],
    "wheel": wheel.name,
    "jar_profiles": profiles,
    "git_commit": git("rev-parse", "HEAD"),
    "git_dirty": bool(git("status", "--porcelain")),
    "files": {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files},
}
(out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"package: {wheel.name} + jars {profiles} in {out}")
PY
