"""The EMR job runner: launch a cluster, add steps, wait, read outcomes, terminate.

Each step runs ``inventory-activity <command>`` on the cluster (see :mod:`pipeline.emr_spec`)
and its wrapper writes ``{"exit_code": N}`` to ``<outcomes_uri>/<invocation>/<label>.json``,
so the runner returns the CLI's own exit code (quality failed, input not ready, busy, ...).
A cluster the runner launched is terminated when the work ends, fails or is interrupted.
Credentials come from the AWS default provider chain (boto3's), never from configuration.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from pipeline.emr_spec import EmrSpec, run_job_flow_request, step_label, step_request
from pipeline.errors import ExitCode

log = structlog.get_logger("inventory_activity.emr")

STEP_DONE = {"COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED"}
CLUSTER_GONE = {"TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"}
# When several steps fail, the most telling exit code wins.
EXIT_PRIORITY = (
    ExitCode.USAGE,
    ExitCode.QUALITY_FAILED,
    ExitCode.FAILURE,
    ExitCode.BUSY,
    ExitCode.INPUT_NOT_READY,
)


class ClusterLost(Exception):
    """The cluster ended (spot loss, hardware, idle timeout) before its steps finished."""

    def __init__(self, cluster_id: str, state: str, reason: str, finished: dict[str, str]):
        super().__init__(f"cluster {cluster_id} is {state} before its steps finished: {reason}")
        self.cluster_id = cluster_id
        self.finished = finished  # step label -> final state, for steps that did finish


@dataclass
class StepResult:
    label: str
    step_id: str
    state: str
    exit_code: int


@dataclass
class EmrRunner:
    """Drives one environment's clusters. ``emr``/``s3`` are boto3 clients (or stubs)."""

    spec: EmrSpec
    emr: Any
    s3: Any
    sleep: Callable[[float], None] = time.sleep
    invocation: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    # ----------------------------------------------------------------- requests
    @property
    def outcome_prefix(self) -> str:
        return f"{self.spec['outcomes_uri'].rstrip('/')}/{self.invocation}"

    def steps(self, commands: list[list[str]], *, action_on_failure: str) -> list[dict]:
        action = action_on_failure
        return [
            step_request(c, self.spec, outcome_prefix=self.outcome_prefix, action_on_failure=action)
            for c in commands
        ]

    # ---------------------------------------------------------------- lifecycle
    def launch(self, steps: list[dict] | None = None, *, keep_alive: bool = True) -> str:
        request = run_job_flow_request(self.spec, steps=steps or [], keep_alive=keep_alive)
        cluster_id = self.emr.run_job_flow(**request)["JobFlowId"]
        log.info("cluster launched", cluster_id=cluster_id, steps=len(request["Steps"]))
        return cluster_id

    def add_steps(self, cluster_id: str, steps: list[dict]) -> list[str]:
        return list(self.emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=steps)["StepIds"])

    def list_all_steps(self, cluster_id: str) -> list[dict[str, Any]]:
        """Every step of the cluster (ListSteps pages, newest first): one call per 50 steps."""
        steps: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"ClusterId": cluster_id}
        while True:
            page = self.emr.list_steps(**kwargs)
            steps.extend(page.get("Steps", []))
            if not page.get("Marker"):
                return steps
            kwargs["Marker"] = page["Marker"]

    def step_ids(self, cluster_id: str) -> dict[str, str]:
        """Step name -> id of the newest step of that name."""
        ids: dict[str, str] = {}
        for step in self.list_all_steps(cluster_id):
            ids.setdefault(step["Name"], step["Id"])
        return ids

    def terminate(self, cluster_id: str) -> None:
        self.emr.terminate_job_flows(JobFlowIds=[cluster_id])
        log.info("cluster terminated", cluster_id=cluster_id)

    def status(self, cluster_id: str) -> dict[str, Any]:
        cluster = self.emr.describe_cluster(ClusterId=cluster_id)["Cluster"]
        steps = self.emr.list_steps(ClusterId=cluster_id).get("Steps", [])
        return {
            "cluster_id": cluster_id,
            "name": cluster.get("Name"),
            "state": cluster["Status"]["State"],
            "reason": cluster["Status"].get("StateChangeReason", {}).get("Message", ""),
            "steps": [
                {"name": s["Name"], "id": s["Id"], "state": s["Status"]["State"]} for s in steps
            ],
        }

    def wait(self, cluster_id: str, step_ids: dict[str, str]) -> list[StepResult]:
        """Poll until every step has ended; raise :class:`ClusterLost` if the cluster ends."""
        pending = dict(step_ids)
        finished: dict[str, str] = {}
        results: list[StepResult] = []
        while pending:
            states = {s["Id"]: s["Status"]["State"] for s in self.list_all_steps(cluster_id)}
            for label, step_id in list(pending.items()):
                state = states.get(step_id, "PENDING")
                if state in STEP_DONE:
                    del pending[label]
                    finished[label] = state
                    results.append(StepResult(label, step_id, state, self.exit_code(label, state)))
                    log.info("step ended", cluster_id=cluster_id, step=label, state=state)
            if not pending:
                break
            cluster = self.emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
            if cluster["State"] in CLUSTER_GONE:
                reason = cluster.get("StateChangeReason", {}).get("Message", "")
                raise ClusterLost(cluster_id, cluster["State"], reason, finished)
            self.sleep(float(self.spec.get("poll_seconds", 30)))
        states = {r.state for r in results}
        if "FAILED" not in states and states & {"CANCELLED", "INTERRUPTED"}:
            # Nothing failed, yet steps did not run: the cluster went away under them.
            cluster = self.emr.describe_cluster(ClusterId=cluster_id)["Cluster"]["Status"]
            reason = cluster.get("StateChangeReason", {}).get("Message", "steps cancelled")
            raise ClusterLost(cluster_id, cluster["State"], reason, finished)
        return results

    def exit_code(self, label: str, state: str) -> int:
        """The CLI's exit code of a finished step, from its outcome file."""
        if state == "COMPLETED":
            return int(ExitCode.SUCCESS)
        if state != "FAILED":  # cancelled or interrupted: the CLI did not end on its own
            return int(ExitCode.FAILURE)
        bucket, key = split_s3_uri(f"{self.outcome_prefix}/{label}.json")
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            return int(json.loads(body)["exit_code"])
        except Exception as exc:  # no outcome: the step died before the CLI ended
            log.warning("step outcome missing", step=label, error=str(exc)[:200])
            return int(ExitCode.FAILURE)

    def run_commands(self, commands: list[list[str]], *, cluster_id: str | None = None) -> int:
        """Run CLI commands as steps and return the combined exit code.

        Without ``cluster_id`` a cluster is launched with the steps and terminated at the end,
        whatever happens; with one, the steps are added to it and it is left running.
        """
        if cluster_id:
            self.add_steps(cluster_id, self.steps(commands, action_on_failure="CONTINUE"))
            return combine(self.wait(cluster_id, self.step_ids_for(cluster_id, commands)))
        steps = self.steps(commands, action_on_failure="CANCEL_AND_WAIT")
        launched = self.launch(steps, keep_alive=False)
        try:
            return combine(self.wait(launched, self.step_ids_for(launched, commands)))
        except ClusterLost as lost:
            log.error("cluster lost", error=str(lost))
            return int(ExitCode.FAILURE)
        finally:
            self.terminate(launched)

    def step_ids_for(self, cluster_id: str, commands: list[list[str]]) -> dict[str, str]:
        names = self.step_ids(cluster_id)
        return {step_label(c): names[f"inventory-activity {step_label(c)}"] for c in commands}


def combine(results: list[StepResult]) -> int:
    """0 when every step succeeded, else the highest-priority exit code among the failures."""
    codes = {r.exit_code for r in results if r.exit_code != ExitCode.SUCCESS}
    for code in EXIT_PRIORITY:
        if code in codes:
            return int(code)
    return int(ExitCode.FAILURE) if codes else int(ExitCode.SUCCESS)


def split_s3_uri(uri: str) -> tuple[str, str]:
    scheme, _, rest = uri.partition("://")
    if scheme not in ("s3", "s3a") or "/" not in rest:
        raise ValueError(f"not an S3 object URI: {uri}")
    bucket, _, key = rest.partition("/")
    return bucket, key
