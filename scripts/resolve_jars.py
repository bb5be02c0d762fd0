"""Resolve the JARs listed in jars.lock from Maven Central into .jars/ (run once, at setup).

Spark's own Ivy resolver downloads the coordinates and their transitive dependencies;
the resulting files are copied to .jars/<profile>/ and listed in .jars/<profile>.txt, which
the SparkSession builder reads so that later runs need no network.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_lock(path: Path) -> dict[str, list[str]]:
    """Profile -> coordinates, for the profiles resolved by default."""
    profiles, optional = read_lock_all(path)
    return {name: coords for name, coords in profiles.items() if name not in optional}


def read_lock_all(path: Path) -> tuple[dict[str, list[str]], set[str]]:
    """Every profile's coordinates, and the profiles marked ``optional`` (only on request)."""
    profiles: dict[str, list[str]] = {}
    optional: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        coordinate, *rest = line.split()
        profile = rest[0] if rest else "core"
        profiles.setdefault(profile, []).append(coordinate)
        if "optional" in rest[1:]:
            optional.add(profile)
    return profiles, optional


def resolve(profile: str, coordinates: list[str], out_dir: Path) -> list[Path]:
    from pyspark.sql import SparkSession

    ivy_dir = out_dir / "ivy"
    spark = (
        SparkSession.builder.master("local[1]")
        .appName(f"resolve-jars-{profile}")
        .config("spark.jars.packages", ",".join(coordinates))
        .config("spark.jars.ivy", str(ivy_dir))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.stop()
    target = out_dir / profile
    target.mkdir(parents=True, exist_ok=True)
    jars = sorted((ivy_dir / "jars").glob("*.jar"))
    wanted = {c.split(":")[1] for c in coordinates}
    copied = []
    for jar in jars:
        dest = target / jar.name
        shutil.copy2(jar, dest)
        copied.append(dest)
    missing = [w for w in wanted if not any(f"_{w}-" in p.name for p in copied)]
    if missing:
        raise SystemExit(f"resolve_jars: {missing} not resolved for profile {profile}")
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lock", type=Path, default=ROOT / "jars.lock")
    parser.add_argument("--out", type=Path, default=ROOT / ".jars")
    parser.add_argument(
        "--profile", action="append", help="profiles to resolve (default: all but optional ones)"
    )
    args = parser.parse_args(argv)
    profiles = read_lock_all(args.lock)[0] if args.profile else read_lock(args.lock)
    for profile, coordinates in profiles.items():
        if args.profile and profile not in args.profile:
            continue
        listing = args.out / f"{profile}.txt"
        if listing.exists() and all(
            (args.out / profile / name).exists() for name in listing.read_text().split()
        ):
            print(f"jars[{profile}]: already resolved ({listing})")
            continue
        shutil.rmtree(args.out / "ivy", ignore_errors=True)
        jars = resolve(profile, coordinates, args.out)
        listing.write_text("\n".join(p.name for p in jars) + "\n")
        print(f"jars[{profile}]: {len(jars)} files in {args.out / profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
