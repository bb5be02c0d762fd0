"""Resolve the JARs listed in jars.lock from Maven Central into .jars/ (run once, at setup).

Spark's own Ivy resolver downloads the coordinates and their transitive dependencies;
the resulting files are copied to .jars/<profile>/ and listed in .jars/<profile>.txt, which
the SparkSession builder reads so that later runs need no network.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
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


POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.inventory-activity</groupId>
  <artifactId>jars-{profile}</artifactId>
  <version>1</version>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""
DEPENDENCY = """    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId>
      <version>{version}</version></dependency>"""


def resolve(profile: str, coordinates: list[str], out_dir: Path) -> list[Path]:
    """Copy the coordinates and their runtime dependencies into out_dir/<profile>/.

    Maven resolves them (Spark's and Hadoop's own jars are 'provided' and left out);
    without Maven, Spark's Ivy resolver is used instead.
    """
    target = out_dir / profile
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    if shutil.which("mvn"):
        _resolve_with_maven(profile, coordinates, target)
    else:
        _resolve_with_ivy(profile, coordinates, out_dir, target)
    copied = sorted(target.glob("*.jar"))
    wanted = {c.split(":")[1] for c in coordinates}
    missing = [w for w in wanted if not any(p.name.startswith(w + "-") for p in copied)]
    if missing:
        raise SystemExit(f"resolve_jars: {missing} not resolved for profile {profile}")
    return copied


def _resolve_with_maven(profile: str, coordinates: list[str], target: Path) -> None:
    dependencies = "\n".join(
        DEPENDENCY.format(group=g, artifact=a, version=v)
        for g, a, v in (c.split(":") for c in coordinates)
    )
    with tempfile.TemporaryDirectory() as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(POM.format(profile=profile, dependencies=dependencies))
        subprocess.run(
            [
                "mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
                f"-DoutputDirectory={target}", "-DincludeScope=runtime",
                "-DexcludeArtifactIds=scala-library,scala-reflect",
            ],
            check=True,
        )  # fmt: skip


def _resolve_with_ivy(profile: str, coordinates: list[str], out_dir: Path, target: Path) -> None:
    from pyspark.sql import SparkSession

    ivy_dir = out_dir / "ivy"
    for attempt in (1, 2):  # a first resolution into an empty cache can fail to start
        try:
            SparkSession.builder.master("local[1]").appName(f"resolve-jars-{profile}").config(
                "spark.jars.packages", ",".join(coordinates)
            ).config("spark.jars.ivy", str(ivy_dir)).config(
                "spark.ui.enabled", "false"
            ).getOrCreate().stop()
            break
        except Exception:
            if attempt == 2:
                raise
    for jar in (ivy_dir / "jars").glob("*.jar"):
        shutil.copy2(jar, target / jar.name.split("_", 1)[-1])


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
