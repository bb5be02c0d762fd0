"""``inventory-activity emr launch|submit|status|terminate|backfill``: the EMR job runner.

Every subcommand takes ``--dry-run`` where it would change something: the exact API
requests are then checked against botocore's model and printed as JSON, and nothing is sent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

import structlog

from pipeline import __version__
from pipeline.config import Config
from pipeline.dates import parse_date
from pipeline.errors import ExitCode, UsageError

log = structlog.get_logger("inventory_activity.emr")

# Date commands a step can run; each must exist in the deployed CLI (checked before launch).
DATE_COMMANDS = ("run", "publish", "validate")


def register(subparsers, common: argparse.ArgumentParser) -> None:
    emr = subparsers.add_parser(
        "emr",
        help="run on EMR: launch a cluster, submit steps, backfill, terminate",
        description="Job runner for Amazon EMR (cluster spec: conf/emr.yaml).",
    )
    inner = emr.add_subparsers(dest="emr_command", metavar="SUBCOMMAND", required=True)

    def sub(name: str, help_text: str, *, dry_run: bool = True) -> argparse.ArgumentParser:
        parser = inner.add_parser(name, parents=[common], help=help_text, description=help_text)
        parser.add_argument(
            "--version",
            dest="release",
            default=__version__,
            help=f"release in the artifacts bucket to install (default {__version__})",
        )
        if dry_run:
            parser.add_argument(
                "--dry-run", action="store_true", help="print the API requests as JSON, send none"
            )
        return parser

    launch = sub("launch", "launch a long-running cluster (idle auto-termination applies)")
    launch.set_defaults(handler=handle)

    submit = sub("submit", "run one date: on --cluster-id, or on a new cluster ended after")
    submit.add_argument("--date", required=True, type=parse_date, help="business date YYYY-MM-DD")
    submit.add_argument("--cluster-id", help="existing cluster (default: launch a transient one)")
    submit.add_argument(
        "--command",
        dest="date_command",
        choices=DATE_COMMANDS,
        default="run",
        help="CLI command the step runs for the date (default run)",
    )
    submit.set_defaults(handler=handle)

    status = sub("status", "show a cluster's state and steps", dry_run=False)
    status.add_argument("--cluster-id", required=True)
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=handle)

    terminate = sub("terminate", "terminate a cluster")
    terminate.add_argument("--cluster-id", required=True)
    terminate.set_defaults(handler=handle)

    backfill = sub("backfill", "run a date range as steps, resuming after a lost cluster")
    backfill.add_argument("--start", required=True, type=parse_date, help="first date")
    backfill.add_argument("--end", required=True, type=parse_date, help="last date")
    backfill.add_argument("--batch-days", type=int, default=None, help="dates per step")
    backfill.add_argument("--max-clusters", type=int, default=None, help="clusters at most")
    backfill.add_argument("--force", action="store_true", help="recompute dates already done")
    backfill.set_defaults(handler=handle)


def handle(args: argparse.Namespace, config: Config) -> int:
    from pipeline.emr import EmrRunner
    from pipeline.emr_spec import load_spec

    spec = load_spec(config.env, args.release, args.conf_dir)
    dry_run = getattr(args, "dry_run", False)
    emr, s3 = clients(spec["region"], dry_run=dry_run)
    runner = EmrRunner(spec=spec, emr=emr, s3=s3)
    if dry_run:
        runner.sleep = lambda _seconds: None
    code = dispatch(args, config, runner)
    if dry_run:
        print(json.dumps(emr.calls + s3.calls, indent=1, default=str))
    return code


def dispatch(args: argparse.Namespace, config: Config, runner: Any) -> int:
    command = args.emr_command
    if command == "launch":
        cluster_id = runner.launch(keep_alive=True)
        if not args.dry_run:  # with --dry-run stdout is the JSON of the requests only
            print(cluster_id)
        return int(ExitCode.SUCCESS)
    if command == "submit":
        if args.date_command not in cli_commands():
            raise UsageError(f"this release's CLI has no '{args.date_command}' command")
        return runner.run_commands(
            [[args.date_command, "--date", args.date.isoformat()]], cluster_id=args.cluster_id
        )
    if command == "status":
        status = runner.status(args.cluster_id)
        if args.json:
            print(json.dumps(status, indent=1))
        else:
            print(f"{status['cluster_id']} {status['name']}: {status['state']} {status['reason']}")
            for step in status["steps"]:
                print(f"  {step['id']}  {step['state']:<11} {step['name']}")
        return int(ExitCode.SUCCESS)
    if command == "terminate":
        runner.terminate(args.cluster_id)
        return int(ExitCode.SUCCESS)
    return backfill(args, config, runner)


def backfill(args: argparse.Namespace, config: Config, runner: Any) -> int:
    from pipeline.emr_backfill import no_ledger, run_backfill

    if args.start > args.end:
        raise UsageError("--start is after --end")
    batch_days = args.batch_days or int(runner.spec.get("backfill_batch_days", 7))
    if batch_days < 1:
        raise UsageError("--batch-days must be at least 1")
    return run_backfill(
        runner,
        args.start,
        args.end,
        batch_days=batch_days,
        done_dates=no_ledger if args.dry_run else ledger_done_dates(config),
        backfill_command="backfill" in cli_commands(),
        force=args.force,
        max_clusters=args.max_clusters or int(runner.spec.get("max_clusters", 3)),
    )


def cli_commands() -> set[str]:
    """Names of the CLI's top-level commands (what a step can call)."""
    from pipeline.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def ledger_done_dates(config: Config):
    """``done_dates(start, end)`` read from the run ledger (``pipeline.ledger``) in the lake.

    The ledger is a Delta table, so reading it takes a local Spark session with the
    environment's JARs on the runner's host. Where that is not possible the backfill resumes
    from the steps that completed, and each step's own backfill skips dates already done.
    """
    from pipeline.emr_backfill import no_ledger

    try:
        from pipeline import ledger
    except ImportError:
        return no_ledger
    if hasattr(ledger, "done_dates"):
        return lambda start, end: set(ledger.done_dates(config, start, end))
    if not hasattr(ledger, "Ledger"):
        return no_ledger

    def read(start, end):
        try:
            from pipeline.spark import build_spark

            spark_config = dataclasses.replace(
                config.spark, master=config.spark.master or "local[1]"
            )
            spark = build_spark(spark_config)
            return set(ledger.Ledger(spark, config).view().done_dates(start, end))
        except Exception as exc:
            log.warning("run ledger not readable here; resuming from steps", error=str(exc)[:300])
            return set()

    return read


def clients(region: str, *, dry_run: bool):
    """boto3 EMR and S3 clients (AWS default credential chain), or dry-run stand-ins."""
    if dry_run:
        from pipeline.emr_dryrun import DryRunEmr, ModelCheckedClient

        return DryRunEmr(), ModelCheckedClient("s3")
    try:
        import boto3
    except ImportError as exc:
        raise UsageError("the EMR runner needs boto3: install 'inventory-activity[aws]'") from exc
    return boto3.client("emr", region_name=region), boto3.client("s3", region_name=region)
