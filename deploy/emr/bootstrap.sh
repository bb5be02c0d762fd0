#!/usr/bin/env bash
# EMR bootstrap action: install one release of inventory-activity on every node.
#
#   bootstrap.sh ARTIFACTS_URI [INSTALL_DIR] [PYTHON] [JAR_PROFILES]
#   e.g. bootstrap.sh s3://cars-artifacts-prod/inventory-activity/0.1.0/ /opt/inventory-activity python3.11 core
#
# ARTIFACTS_URI holds what `make package` built (uploaded by Jenkins). Checksums are checked
# against MANIFEST.json. EMR provides Spark (and its pyspark), so the wheel's pyspark and
# delta-spark requirements are not installed from PyPI; everything else is.
# Credentials: the instance profile (AWS default provider chain), nothing on disk.
set -euo pipefail
ARTIFACTS="${1:?usage: bootstrap.sh ARTIFACTS_URI [INSTALL_DIR] [PYTHON] [JAR_PROFILES]}"
INSTALL_DIR="${2:-/opt/inventory-activity}"
PYTHON="${3:-python3.11}"
PROFILES="${4:-core}"
ARTIFACTS="${ARTIFACTS%/}"

command -v "$PYTHON" >/dev/null || sudo dnf install -y -q "$PYTHON" "$PYTHON-pip"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
includes=(--include "*.whl" --include "MANIFEST.json" --include "spark_driver.py" \
  --include "submit.sh" --include "emr/*")
for profile in $PROFILES; do includes+=(--include "jars-$profile.tar"); done
aws s3 cp --recursive --quiet "$ARTIFACTS/" "$work/" --exclude "*" "${includes[@]}"

"$PYTHON" - "$work" <<'PY'
import hashlib, json, sys
from pathlib import Path
root = Path(sys.argv[1])
manifest = json.loads((root / "MANIFEST.json").read_text())
for name, digest in manifest["files"].items():
    path = root / name
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        sys.exit(f"bootstrap: checksum mismatch for {name}")
PY

wheel="$(ls "$work"/*.whl)"
requirements="$("$PYTHON" - "$wheel" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    lines = wheel.read(meta).decode().splitlines()
skip = ("pyspark", "delta-spark")
for line in lines:
    if line.startswith("Requires-Dist:") and "extra ==" not in line:
        req = line.split(":", 1)[1].strip()
        if not req.lower().startswith(skip):
            print(req)
        elif req.lower().startswith("delta-spark"):
            print("DELTA " + req)
PY
)"
delta_req="$(grep '^DELTA ' <<<"$requirements" | cut -d' ' -f2- || true)"
other_reqs=()
while IFS= read -r req; do other_reqs+=("$req"); done < <(grep -v '^DELTA ' <<<"$requirements" || true)
sudo "$PYTHON" -m pip install --quiet --no-deps "$wheel"
[ ${#other_reqs[@]} -eq 0 ] || sudo "$PYTHON" -m pip install --quiet "${other_reqs[@]}"
[ -z "$delta_req" ] || sudo "$PYTHON" -m pip install --quiet --no-deps "$delta_req"

sudo mkdir -p "$INSTALL_DIR/jars" "$INSTALL_DIR/bin"
for profile in $PROFILES; do sudo tar -C "$INSTALL_DIR/jars" -xf "$work/jars-$profile.tar"; done
sudo install -m 0644 "$work/spark_driver.py" "$work/MANIFEST.json" "$INSTALL_DIR/"
sudo install -m 0755 "$work/submit.sh" "$INSTALL_DIR/submit.sh"
sudo install -m 0755 "$work/emr/step.sh" "$INSTALL_DIR/bin/inventory-activity-step"
echo "bootstrap: installed $(basename "$wheel") and JARs [$PROFILES] in $INSTALL_DIR"
