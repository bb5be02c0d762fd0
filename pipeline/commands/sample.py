"""``inventory-activity sample generate|import-ev``: build raw input in the contract layout."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import UsageError

TIERS = ("S", "M", "L")


def register(subparsers, common: argparse.ArgumentParser) -> None:
    sample = subparsers.add_parser("sample", help="generate or import raw sample input")
    inner = sample.add_subparsers(dest="sample_command", metavar="SUBCOMMAND", required=True)

    gen = inner.add_parser(
        "generate",
        parents=[common],
        help="generate synthetic raw input for consecutive days",
        description="Generate every raw table of the contract plus competitor feeds.",
    )
    gen.add_argument("--start", required=True, type=parse_date, help="first date YYYY-MM-DD")
    gen.add_argument("--days", type=int, default=3, help="number of consecutive days (default 3)")
    size = gen.add_mutually_exclusive_group()
    size.add_argument("--listings", type=int, help="active listings per day (default 2000)")
    size.add_argument("--tier", choices=TIERS, help="scale tier: S=10k, M=200k, L=1M listings")
    gen.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    gen.add_argument(
        "--bad-row-share",
        type=float,
        default=0.01,
        help="share of contract-breaking rows (default 0.01)",
    )
    gen.add_argument("--raw-root", default=None, help="output folder (default paths.raw_root)")
    gen.set_defaults(handler=handle_generate)

    imp = inner.add_parser(
        "import-ev",
        parents=[common],
        help="import the public used-EV price tracker data as raw input",
        description=(
            "Turn usedevpricetracker JSON (carmax, carvana, plattauto = platform listings; "
            "autotrader = competitor feed) into the raw contract."
        ),
    )
    imp.add_argument("--source-dir", required=True, help="folder with <source>/<date>.json")
    imp.add_argument("--raw-root", default=None, help="output folder (default paths.raw_root)")
    imp.add_argument("--dma-csv", default=None, help="zip_to_dma.csv for the dma_zip dimension")
    imp.add_argument("--start", type=parse_date, default=None, help="first date to import")
    imp.add_argument("--end", type=parse_date, default=None, help="last date to import")
    imp.add_argument("--seed", type=int, default=7, help="seed for generated activity")
    imp.set_defaults(handler=handle_import)


def handle_generate(args: argparse.Namespace, config: Config) -> int:
    from pipeline.sample.generator import generate, tier_listings

    if args.days < 1:
        raise UsageError("--days must be at least 1")
    if not 0 <= args.bad_row_share < 0.5:
        raise UsageError("--bad-row-share must be in [0, 0.5)")
    listings = tier_listings(args.tier) if args.tier else (args.listings or 2000)
    if listings < 10:
        raise UsageError("--listings must be at least 10")
    raw_root = Path(args.raw_root or config.paths.raw_root)
    summary = generate(
        raw_root=raw_root,
        start=args.start,
        days=args.days,
        listings=listings,
        seed=args.seed,
        bad_row_share=args.bad_row_share,
    )
    print(f"raw input written under {raw_root}")
    print(json.dumps(summary, indent=1, default=str)[:4000])
    return 0


def handle_import(args: argparse.Namespace, config: Config) -> int:
    from pipeline.sample.import_ev import import_ev

    source = Path(args.source_dir)
    if not source.is_dir():
        raise UsageError(f"--source-dir {source}: not a folder")
    if args.dma_csv and not Path(args.dma_csv).is_file():
        raise UsageError(f"--dma-csv {args.dma_csv}: file not found")
    if args.start and args.end and args.start > args.end:
        raise UsageError("--start is after --end")
    raw_root = Path(args.raw_root or config.paths.raw_root)
    summary = import_ev(
        source_dir=source,
        raw_root=raw_root,
        dma_csv=Path(args.dma_csv) if args.dma_csv else None,
        start=args.start,
        end=args.end,
        seed=args.seed,
    )
    print(f"raw input written under {raw_root}")
    print(json.dumps(summary, indent=1, default=str)[:4000])
    return 0
