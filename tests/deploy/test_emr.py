"""The EMR job runner: requests checked against botocore's service model, the lifecycle on
stubbed clients (botocore Stubber), and a backfill that resumes after a lost cluster."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import boto3
import botocore.session
import pytest
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from pipeline.cli import build_parser, main
from pipeline.config import ENVIRONMENTS
from pipeline.emr import EmrRunner, StepResult, combine
from pipeline.emr_backfill import batch_commands, plan_batches, run_backfill
from pipeline.emr_dryrun import DryRunEmr, ModelCheckedClient
from pipeline.emr_spec import load_spec, run_job_flow_request, step_request
from pipeline.errors import ExitCode

EMR_MODEL = botocore.session.get_session().get_service_model("emr")
CREDS = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}


def check_enums(shape, value, where="") -> None:
    """Every enum-typed value in a request is one the service model allows."""
    if shape.type_name == "structure":
        for name, member in value.items():
            check_enums(shape.members[name], member, f"{where}.{name}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            check_enums(shape.member, item, f"{where}[{i}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            check_enums(shape.value, item, f"{where}.{key}")
    elif getattr(shape, "enum", None):
        assert value in shape.enum, f"{where}: {value!r} not in {shape.enum}"


def checked(operation: str, params: dict) -> dict:
    shape = EMR_MODEL.operation_model(operation).input_shape
    validate_parameters(params, shape)
    check_enums(shape, params)
    return params


# ------------------------------------------------------------------------- cluster spec


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_cluster_spec_of_every_environment_is_a_valid_request(env):
    spec = load_spec(env, "1.2.3")
    step = step_request(
        ["run", "--date", "2026-01-05"],
        spec,
        outcome_prefix="s3://b/o",
        action_on_failure="CONTINUE",
    )
    request = checked("RunJobFlow", run_job_flow_request(spec, steps=[step], keep_alive=False))
    assert request["ReleaseLabel"].startswith("emr-7.")
    fleets = {f["InstanceFleetType"]: f for f in request["Instances"]["InstanceFleets"]}
    for kind in ("MASTER", "CORE"):
        assert fleets[kind]["TargetOnDemandCapacity"] >= 1
        assert fleets[kind]["TargetSpotCapacity"] == 0
    task = fleets["TASK"]
    assert task["TargetSpotCapacity"] > 0 and task["TargetOnDemandCapacity"] == 0
    assert len({c["InstanceType"] for c in task["InstanceTypeConfigs"]}) >= 3
    spot = task["LaunchSpecifications"]["SpotSpecification"]
    assert spot["AllocationStrategy"] == "price-capacity-optimized"
    assert spot["TimeoutAction"] == "SWITCH_TO_ON_DEMAND"
    bootstrap = request["BootstrapActions"][0]["ScriptBootstrapAction"]
    assert (
        bootstrap["Path"] == f"s3://cars-artifacts-{env}/inventory-activity/1.2.3/emr/bootstrap.sh"
    )
    assert request["LogUri"].startswith("s3://")
    assert 60 <= request["AutoTerminationPolicy"]["IdleTimeout"] <= 7 * 24 * 3600
    assert {"Key": "env", "Value": env} in request["Tags"]
    assert request["Instances"]["KeepJobFlowAliveWhenNoSteps"] is False


def test_a_step_runs_the_same_cli_command():
    spec = load_spec("prod", "1.2.3")
    step = step_request(
        ["run", "--date", "2026-01-05"],
        spec,
        outcome_prefix="s3://b/x",
        action_on_failure="CONTINUE",
    )
    args = step["HadoopJarStep"]["Args"]
    assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
    assert args[0] == "/opt/inventory-activity/bin/inventory-activity-step"
    cli = args[args.index("--") + 1 :]
    assert cli[:5] == ["run", "--date", "2026-01-05", "--env", "prod"]
    parsed = build_parser().parse_args(cli)  # the deployed CLI accepts exactly these
    assert (parsed.command, parsed.env) == ("run", "prod")
    assert "spark.jar_profiles=core" in cli  # EMR brings S3A; only the Delta JARs ship
    assert args[args.index("--outcome") + 1] == "s3://b/x/run-2026-01-05.json"


def test_dry_run_prints_the_requests_and_sends_nothing(capsys):
    assert main(["emr", "submit", "--date", "2026-01-05", "--env", "prod", "--dry-run"]) == 0
    calls = json.loads(capsys.readouterr().out)
    operations = [c["operation"] for c in calls]
    assert operations[0] == "RunJobFlow" and operations[-1] == "TerminateJobFlows"
    run_job_flow = checked("RunJobFlow", calls[0]["params"])
    assert run_job_flow["Name"] == "inventory-activity-prod"
    assert [s["Name"] for s in run_job_flow["Steps"]] == ["inventory-activity run-2026-01-05"]
    assert calls[-1]["params"] == {"JobFlowIds": ["j-DRYRUN00001"]}


def test_dry_run_rejects_a_request_the_model_refuses():
    client = ModelCheckedClient("emr")
    with pytest.raises(Exception, match="JobFlowIds"):
        client.terminate_job_flows(JobFlowId="j-1")


# ------------------------------------------------------------------ lifecycle (Stubber)


def stubbed_runner():
    emr, s3 = boto3.client("emr", **CREDS), boto3.client("s3", **CREDS)
    runner = EmrRunner(spec=load_spec("prod", "1.2.3"), emr=emr, s3=s3, sleep=lambda _: None)
    runner.invocation = "inv1"
    return runner, Stubber(emr), Stubber(s3)


def listed(state: str) -> dict:
    """ListSteps answer: the one step of the cluster, in ``state``."""
    step = {"Id": "s-1", "Name": "inventory-activity run-2026-01-05", "Status": {"State": state}}
    return {"Steps": [step]}


def cluster_state(state: str, message: str = "") -> dict:
    status = {"State": state, "StateChangeReason": {"Message": message}}
    return {"Cluster": {"Id": "j-1", "Name": "c", "Status": status}}


CLUSTER = {"ClusterId": "j-1"}


def test_transient_run_launches_waits_and_terminates_on_success():
    runner, emr, s3 = stubbed_runner()
    emr.add_response("run_job_flow", {"JobFlowId": "j-1"})
    emr.add_response("list_steps", listed("PENDING"), CLUSTER)
    emr.add_response("list_steps", listed("RUNNING"), CLUSTER)
    emr.add_response("describe_cluster", cluster_state("RUNNING"), CLUSTER)
    emr.add_response("list_steps", listed("COMPLETED"), CLUSTER)
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    with emr, s3:
        assert runner.run_commands([["run", "--date", "2026-01-05"]]) == ExitCode.SUCCESS
    emr.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code", [ExitCode.FAILURE, ExitCode.QUALITY_FAILED, ExitCode.INPUT_NOT_READY]
)
def test_step_failure_returns_the_cli_exit_code_and_terminates(code):
    runner, emr, s3 = stubbed_runner()
    emr.add_response("run_job_flow", {"JobFlowId": "j-1"})
    emr.add_response("list_steps", listed("PENDING"), CLUSTER)
    emr.add_response("list_steps", listed("FAILED"), CLUSTER)
    body = json.dumps({"exit_code": int(code)}).encode()
    s3.add_response(
        "get_object",
        {"Body": io.BytesIO(body)},
        {
            "Bucket": "cars-emr-logs-prod",
            "Key": "inventory-activity/outcomes/inv1/run-2026-01-05.json",
        },
    )
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    with emr, s3:
        assert runner.run_commands([["run", "--date", "2026-01-05"]]) == code
    emr.assert_no_pending_responses()
    s3.assert_no_pending_responses()


def test_lost_cluster_is_a_failure_and_still_terminated():
    runner, emr, s3 = stubbed_runner()
    emr.add_response("run_job_flow", {"JobFlowId": "j-1"})
    emr.add_response("list_steps", listed("PENDING"), CLUSTER)
    emr.add_response("list_steps", listed("RUNNING"), CLUSTER)
    emr.add_response(
        "describe_cluster", cluster_state("TERMINATED_WITH_ERRORS", "spot capacity lost")
    )
    emr.add_response("terminate_job_flows", {}, {"JobFlowIds": ["j-1"]})
    with emr, s3:
        assert runner.run_commands([["run", "--date", "2026-01-05"]]) == ExitCode.FAILURE
    emr.assert_no_pending_responses()


def test_submit_to_an_existing_cluster_leaves_it_running():
    runner, emr, s3 = stubbed_runner()
    emr.add_response("add_job_flow_steps", {"StepIds": ["s-1"]})
    emr.add_response("list_steps", listed("PENDING"), CLUSTER)
    emr.add_response("list_steps", listed("COMPLETED"), CLUSTER)
    with emr, s3:
        code = runner.run_commands([["run", "--date", "2026-01-05"]], cluster_id="j-1")
    assert code == ExitCode.SUCCESS
    emr.assert_no_pending_responses()  # no terminate_job_flows was stubbed or made


def test_exit_code_priority():
    def results(*codes):
        return [StepResult(f"s{i}", f"id{i}", "X", c) for i, c in enumerate(codes)]

    assert combine(results(0, 0)) == 0
    assert combine(results(4, 3)) == ExitCode.QUALITY_FAILED
    assert combine(results(4, 5)) == ExitCode.BUSY
    assert combine(results(4, 0)) == ExitCode.INPUT_NOT_READY
    assert combine(results(9)) == ExitCode.FAILURE


# --------------------------------------------------------------------------- backfill


def test_plan_skips_done_dates_and_cuts_batches():
    d = date(2026, 1, 1)
    done = {d + timedelta(days=i) for i in (2, 3)}
    batches = plan_batches(d, d + timedelta(days=9), 3, done)
    assert batches == [
        (d, d + timedelta(days=1)),
        (d + timedelta(days=4), d + timedelta(days=6)),
        (d + timedelta(days=7), d + timedelta(days=9)),
    ]
    commands = batch_commands(batches[:1], backfill_command=False)
    assert [c for c, _ in commands] == [
        ["run", "--date", "2026-01-01"],
        ["run", "--date", "2026-01-02"],
    ]


class LosingEmr(DryRunEmr):
    """Model-checked EMR whose first cluster completes only its first step, then is lost."""

    def respond(self, operation, params):
        answer = super().respond(operation, params)
        first = next(iter(self.steps))
        if operation == "ListSteps" and params["ClusterId"] == first:
            first_step = self.steps[first][0][0]
            for step in answer["Steps"]:
                state = "COMPLETED" if step["Id"] == first_step else "CANCELLED"
                step["Status"]["State"] = state
            return answer
        if operation == "DescribeCluster" and params["ClusterId"] == first:
            reason = {"Message": "The master node was terminated (spot interruption)"}
            return {
                "Cluster": {
                    "Id": first,
                    "Name": "x",
                    "Status": {"State": "TERMINATED_WITH_ERRORS", "StateChangeReason": reason},
                }
            }
        return answer


def test_backfill_resumes_on_a_new_cluster_from_the_ledger():
    emr = LosingEmr()
    runner = EmrRunner(
        spec=load_spec("prod", "1.2.3"), emr=emr, s3=ModelCheckedClient("s3"), sleep=lambda _: None
    )
    start = date(2026, 1, 1)
    calls: list[tuple[date, date]] = []

    def done_dates(first, last):
        """The run ledger, faked: empty at first; after the loss it holds 2026-01-04, which
        the lost cluster finished inside its cancelled second batch."""
        calls.append((first, last))
        return set() if len(calls) == 1 else {start + timedelta(days=3)}

    code = run_backfill(
        runner,
        start,
        start + timedelta(days=7),
        batch_days=3,
        done_dates=done_dates,
        max_clusters=3,
    )
    assert code == ExitCode.SUCCESS
    launched = [c["params"] for c in emr.calls if c["operation"] == "RunJobFlow"]
    assert len(launched) == 2
    first, second = ([s["HadoopJarStep"]["Args"] for s in r["Steps"]] for r in launched)

    def ranges(args_list):
        return [(a[a.index("--start") + 1], a[a.index("--end") + 1]) for a in args_list]

    assert ranges(first) == [
        ("2026-01-01", "2026-01-03"),
        ("2026-01-04", "2026-01-06"),
        ("2026-01-07", "2026-01-08"),
    ]
    # Resumed: batch 1 completed on the lost cluster (step state), 01-04 is in the ledger.
    assert ranges(second) == [("2026-01-05", "2026-01-07"), ("2026-01-08", "2026-01-08")]
    terminated = [
        c["params"]["JobFlowIds"] for c in emr.calls if c["operation"] == "TerminateJobFlows"
    ]
    assert terminated == [["j-DRYRUN00001"], ["j-DRYRUN00002"]]
    for request in launched:
        checked("RunJobFlow", request)
        for step in request["Steps"]:
            assert step["ActionOnFailure"] == "CANCEL_AND_WAIT"


def test_backfill_stops_on_a_failed_step_without_relaunching():
    class FailingEmr(DryRunEmr):
        def respond(self, operation, params):
            answer = super().respond(operation, params)
            for step in answer.get("Steps", []):
                step["Status"]["State"] = "FAILED"
            return answer

    class Outcomes(ModelCheckedClient):
        def respond(self, operation, params):
            return {"Body": io.BytesIO(b'{"exit_code": 4}')}

    emr = FailingEmr()
    runner = EmrRunner(spec=load_spec("dev", "1"), emr=emr, s3=Outcomes("s3"), sleep=lambda _: None)
    start = date(2026, 1, 1)
    assert (
        run_backfill(runner, start, start, batch_days=7, max_clusters=3) == ExitCode.INPUT_NOT_READY
    )
    assert [c["operation"] for c in emr.calls].count("RunJobFlow") == 1
    assert emr.calls[-1]["operation"] == "TerminateJobFlows"


def test_ledger_reader_uses_the_run_ledger_module(monkeypatch):
    import sys
    import types

    import pipeline
    from pipeline.commands import emr as command
    from pipeline.config import load_config

    days = {date(2026, 1, 2), date(2026, 1, 3)}

    class FakeView:
        def done_dates(self, start, end):
            return {d for d in days if start <= d <= end}

    class FakeLedger:
        def __init__(self, spark, config):
            assert spark == "spark" and config.env == "dev"

        def view(self):
            return FakeView()

    fake = types.ModuleType("pipeline.ledger")
    fake.Ledger = FakeLedger
    monkeypatch.setitem(sys.modules, "pipeline.ledger", fake)
    monkeypatch.setattr(pipeline, "ledger", fake, raising=False)
    monkeypatch.setattr("pipeline.spark.build_spark", lambda config: "spark")
    read = command.ledger_done_dates(load_config("dev"))
    assert read(date(2026, 1, 1), date(2026, 1, 2)) == {date(2026, 1, 2)}

    def broken(config):
        raise RuntimeError("no Java here")

    monkeypatch.setattr("pipeline.spark.build_spark", broken)
    assert read(date(2026, 1, 1), date(2026, 1, 5)) == set()  # falls back to step states


@pytest.mark.parametrize("force", [False, True])
def test_every_step_command_parses_with_the_cli(force):
    from pipeline.commands.emr import cli_commands

    spec = load_spec("prod", "1.2.3")
    d = date(2026, 1, 1)
    has_backfill = "backfill" in cli_commands()
    batches = plan_batches(d, d + timedelta(days=9), 7, set())
    commands = [c for c, _ in batch_commands(batches, backfill_command=has_backfill, force=force)]
    commands.append(["run", "--date", "2026-01-05"])
    parser = build_parser()
    for command in commands:
        args = step_request(command, spec, outcome_prefix="s3://b/o", action_on_failure="CONTINUE")
        cli = args["HadoopJarStep"]["Args"]
        parsed = parser.parse_args(cli[cli.index("--") + 1 :])
        assert parsed.command == command[0] and parsed.env == "prod"
