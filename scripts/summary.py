"""Print rows per table per date, quarantine by reason and a few gold rows (used by make demo)."""

from __future__ import annotations

import argparse
import sys

from pyspark.sql import functions as F

from pipeline.config import load_config
from pipeline.spark import build_spark
from tables import specs
from tables.io import Lake


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", default="local")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args(argv)
    config = load_config(args.env, args.overrides)
    spark = build_spark(config.spark)
    lake = Lake(spark, config.paths)
    tables = [
        specs.BRONZE["vehicle"],
        specs.BRONZE["imp_daily"],
        specs.BRONZE["dw_lead"],
        specs.LISTING_SNAPSHOT,
        specs.LISTING_ACTIVITY,
        specs.LISTING_FEATURES,
        specs.GOLD["inventory_activity"],
        specs.GOLD["segment_activity"],
        specs.CORE["inventory_activity"],
        specs.CORE["segment_activity"],
    ]
    print(f"{'table':34} {'filedate':10} {'rows':>9}")
    for spec in tables:
        if not lake.exists(spec):
            print(f"{spec.qualified:34} {'-':10} {'missing':>9}")
            continue
        counts = lake.read(spec).groupBy(specs.PARTITION).count().orderBy(specs.PARTITION)
        for row in counts.collect():
            print(f"{spec.qualified:34} {row[0].isoformat():10} {row[1]:>9}")
    quarantined = [s for s in specs.QUARANTINE.values() if lake.exists(s)]
    print("\nquarantined rows by table and reason:")
    for spec in quarantined:
        rows = lake.read(spec).groupBy(specs.PARTITION, "reason_code").count().collect()
        for row in sorted(rows, key=lambda r: (r[0], r[1])):
            print(f"  {spec.name:22} {row[0].isoformat()} {row[1]:18} {row[2]:>6}")
    core = specs.CORE["inventory_activity"]
    if lake.exists(core):
        print("\na few rows of core.inventory_activity (latest date):")
        frame = lake.read(core)
        latest = frame.agg(F.max(specs.PARTITION)).first()[0]
        frame.where(F.col(specs.PARTITION) == latest).select(
            "filedate",
            "vehicle_id",
            "make_name",
            "model_name",
            "model_year",
            "price",
            "dma_name",
            "days_on_market",
            "weighted_impressions",
            "leads_total",
            "competitor_count",
            "price_vs_segment_pct",
        ).orderBy(F.desc("weighted_impressions")).show(5, truncate=18)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
