"""``inventory-activity``: the command line of the pipeline.

Each subcommand lives in :mod:`pipeline.commands`; this module parses the common options,
loads the configuration once, sets up logging and maps errors to exit codes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from pipeline import __version__
from pipeline.config import ENVIRONMENTS, load_config
from pipeline.errors import ExitCode, PipelineError
from pipeline.logs import configure_logging

COMMAND_MODULES = (
    "pipeline.commands.run",
    "pipeline.commands.backfill",
    "pipeline.commands.status",
    "pipeline.commands.publish",
    "pipeline.commands.maintain",
    "pipeline.commands.emr",
    "pipeline.commands.sample",
    "pipeline.commands.bench",
    "pipeline.commands.validate",
)

EXIT_CODES_HELP = """exit codes:
  0  success
  1  failure (a stage raised; see the log and `inventory-activity status`)
  2  bad usage or configuration (bad argument, unknown config key, ...)
  3  quality gate failed: a blocking expectation failed, nothing was published
  4  input not ready: a required raw partition is missing; retry later
  5  busy: another run holds the lock for this environment; retry later
"""


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("configuration")
    group.add_argument(
        "--env",
        default="local",
        choices=ENVIRONMENTS,
        help="configuration overlay conf/<env>.yaml (default: local)",
    )
    group.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a configuration value, e.g. --set paths.raw_root=/data/raw (repeatable)",
    )
    group.add_argument("--conf-dir", default=None, help="configuration folder (default: conf/)")
    group.add_argument(
        "--debug", action="store_true", help="print full tracebacks of unexpected errors"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inventory-activity",
        description="Daily inventory-activity pipeline: raw -> bronze -> silver -> gold -> core.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = common_options()
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.env, args.overrides, args.conf_dir)
        configure_logging(fmt=config.logging.format, level=config.logging.level)
        return int(args.handler(args, config))
    except PipelineError as exc:
        print(f"inventory-activity: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("inventory-activity: interrupted", file=sys.stderr)
        return int(ExitCode.FAILURE)
    except Exception as exc:  # an unexpected error: one clear line, traceback on --debug
        if getattr(args, "debug", False):
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:500]
        print(
            f"inventory-activity: unexpected error ({type(exc).__name__}): {first}\n"
            "  rerun with --debug for the full traceback",
            file=sys.stderr,
        )
        return int(ExitCode.FAILURE)


if __name__ == "__main__":
    sys.exit(main())
