"""Upload a built release (``make package`` -> dist/) to an environment's artifacts bucket.

    .venv/bin/python scripts/upload_release.py --env dev [--dist dist] [--dry-run]

The destination is ``artifacts_uri`` of conf/emr.yaml for that environment and the release's
version (from dist/MANIFEST.json), which is where the EMR bootstrap action installs from.
Promotion uploads the very same files (checked against the manifest) to the next
environment. Credentials: the AWS default provider chain (the Jenkins agent's role).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.emr import split_s3_uri  # noqa: E402
from pipeline.emr_spec import load_spec  # noqa: E402


def verified_files(dist: Path) -> tuple[dict, list[Path]]:
    """The manifest and its files, after checking every checksum."""
    manifest = json.loads((dist / "MANIFEST.json").read_text())
    files = []
    for name, digest in manifest["files"].items():
        path = dist / name
        if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise SystemExit(f"upload_release: {name} does not match MANIFEST.json")
        files.append(path)
    return manifest, [*files, dist / "MANIFEST.json"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=("dev", "stage", "prod", "forge"))
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--dry-run", action="store_true", help="print what would be uploaded")
    args = parser.parse_args(argv)
    manifest, files = verified_files(args.dist)
    spec = load_spec(args.env, manifest["version"])
    bucket, prefix = split_s3_uri(spec["artifacts_uri"].rstrip("/") + "/")
    plan = [(f, f"{prefix}{f.relative_to(args.dist)}") for f in files]
    if args.dry_run:
        for path, key in plan:
            print(f"s3://{bucket}/{key} <- {path}")
        return 0
    import boto3

    s3 = boto3.client("s3", region_name=spec["region"])
    for path, key in plan:
        s3.upload_file(str(path), bucket, key)
    print(f"uploaded {len(plan)} files of {manifest['wheel']} to s3://{bucket}/{prefix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
