"""The EMR cluster spec (``conf/emr.yaml``) and the EMR API requests built from it.

Pure functions: nothing here talks to AWS. :mod:`pipeline.emr` sends the requests.
A step runs the same CLI as everywhere else, through the release's step wrapper
(``deploy/emr/step.sh``, installed by the bootstrap action), which spark-submits
``inventory-activity <args>`` on YARN and records its exit code under ``outcomes_uri``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import ENVIRONMENTS, default_conf_dir
from pipeline.errors import ConfigError

SPEC_FILE = "emr.yaml"
REQUIRED = (
    "name",
    "region",
    "release_label",
    "log_uri",
    "artifacts_uri",
    "outcomes_uri",
    "service_role",
    "job_flow_role",
    "subnet_ids",
    "install_dir",
    "python",
    "fleets",
)


@dataclass(frozen=True)
class EmrSpec:
    """One environment's cluster spec, with {env} and {version} filled in."""

    env: str
    version: str
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def step_wrapper(self) -> str:
        return f"{self['install_dir']}/bin/inventory-activity-step"


def load_spec(env: str, version: str, conf_dir: Path | str | None = None) -> EmrSpec:
    """Read ``emr.yaml``: ``defaults`` merged with the ``env`` section, placeholders filled."""
    if env not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {env!r}")
    path = Path(conf_dir or default_conf_dir()) / SPEC_FILE
    if not path.exists():
        raise ConfigError(f"{path}: EMR cluster spec not found")
    data = yaml.safe_load(path.read_text()) or {}
    unknown = set(data) - {"defaults", *ENVIRONMENTS}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {sorted(unknown)}")
    merged = _merge(copy.deepcopy(data.get("defaults") or {}), data.get(env) or {})
    missing = [key for key in REQUIRED if key not in merged]
    if missing:
        raise ConfigError(f"{path}: missing key(s) {missing} for environment {env}")
    for fleet in ("primary", "core"):
        if not merged["fleets"].get(fleet, {}).get("on_demand"):
            raise ConfigError(f"{path}: key 'fleets.{fleet}.on_demand' must be >= 1")
    return EmrSpec(env=env, version=version, values=_fill(merged, env=env, version=version))


def _merge(base: dict, overlay: dict) -> dict:
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _fill(value: Any, **names: str) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(v, **names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, **names) for k, v in value.items()}
    return value


# ----------------------------------------------------------------------------- requests


def cli_args(command: list[str], env: str, spec: EmrSpec) -> list[str]:
    """The CLI arguments a step passes: the command, the environment, the cluster's JARs."""
    profiles = ",".join(spec.get("jar_profiles") or ["core"])
    return [*command, "--env", env, "--set", f"spark.jar_profiles={profiles}"]


def step_label(command: list[str]) -> str:
    """A short, unique-per-command name: ``run-2026-01-05``, ``backfill-2026-01-01-2026-01-07``."""
    values = [a for a in command[1:] if not a.startswith("-")]
    return "-".join([command[0], *values])


def step_request(
    command: list[str], spec: EmrSpec, *, outcome_prefix: str, action_on_failure: str
) -> dict[str, Any]:
    """One step: command-runner.jar -> step wrapper -> ``inventory-activity <command>``."""
    label = step_label(command)
    profiles = " ".join(spec.get("jar_profiles") or ["core"])
    return {
        "Name": f"inventory-activity {label}",
        "ActionOnFailure": action_on_failure,
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": [
                spec.step_wrapper,
                "--outcome",
                f"{outcome_prefix.rstrip('/')}/{label}.json",
                "--profiles",
                profiles,
                "--",
                *cli_args(command, spec.env, spec),
            ],
        },
    }


def bootstrap_action(spec: EmrSpec) -> dict[str, Any]:
    artifacts = spec["artifacts_uri"].rstrip("/")
    return {
        "Name": "install inventory-activity wheel and JARs",
        "ScriptBootstrapAction": {
            "Path": f"{artifacts}/emr/bootstrap.sh",
            "Args": [
                artifacts + "/",
                spec["install_dir"],
                spec["python"],
                " ".join(spec.get("jar_profiles") or ["core"]),
            ],
        },
    }


def _instance_types(fleet: dict[str, Any]) -> list[dict[str, Any]]:
    configs = []
    for item in fleet["instance_types"]:
        config: dict[str, Any] = {
            "InstanceType": item["type"],
            "WeightedCapacity": int(item.get("weight", 1)),
        }
        if fleet.get("ebs_gb"):
            config["EbsConfiguration"] = {
                "EbsBlockDeviceConfigs": [
                    {
                        "VolumeSpecification": {"VolumeType": "gp3", "SizeInGB": fleet["ebs_gb"]},
                        "VolumesPerInstance": 1,
                    }
                ]
            }
        configs.append(config)
    return configs


def instance_fleets(spec: EmrSpec) -> list[dict[str, Any]]:
    """On-demand primary and core fleets; a spot task fleet with on-demand fallback."""
    fleets = spec["fleets"]
    out = []
    for name, kind in (("primary", "MASTER"), ("core", "CORE")):
        fleet = fleets[name]
        out.append(
            {
                "Name": f"{name} (on-demand)",
                "InstanceFleetType": kind,
                "TargetOnDemandCapacity": int(fleet["on_demand"]),
                "TargetSpotCapacity": 0,
                "InstanceTypeConfigs": _instance_types(fleet),
            }
        )
    task = fleets.get("task")
    if task and int(task.get("spot", 0)) > 0:
        out.append(
            {
                "Name": "task (spot, on-demand fallback)",
                "InstanceFleetType": "TASK",
                "TargetOnDemandCapacity": int(task.get("on_demand", 0)),
                "TargetSpotCapacity": int(task["spot"]),
                "InstanceTypeConfigs": _instance_types(task),
                "LaunchSpecifications": {
                    "SpotSpecification": {
                        "TimeoutDurationMinutes": int(task.get("spot_timeout_minutes", 15)),
                        "TimeoutAction": task.get("spot_timeout_action", "SWITCH_TO_ON_DEMAND"),
                        "AllocationStrategy": task.get(
                            "allocation_strategy", "price-capacity-optimized"
                        ),
                    },
                    "OnDemandSpecification": {"AllocationStrategy": "lowest-price"},
                },
            }
        )
    return out


def run_job_flow_request(
    spec: EmrSpec, *, steps: list[dict[str, Any]], keep_alive: bool
) -> dict[str, Any]:
    """RunJobFlow parameters. ``keep_alive=False``: the cluster ends after its last step."""
    return {
        "Name": spec["name"],
        "LogUri": spec["log_uri"],
        "ReleaseLabel": spec["release_label"],
        "Applications": [{"Name": name} for name in spec.get("applications", ["Spark"])],
        "Instances": {
            "InstanceFleets": instance_fleets(spec),
            "Ec2SubnetIds": list(spec["subnet_ids"]),
            "KeepJobFlowAliveWhenNoSteps": keep_alive,
            "TerminationProtected": False,
        },
        "BootstrapActions": [bootstrap_action(spec)],
        "Steps": steps,
        "Configurations": [
            {
                "Classification": "spark-defaults",
                "Properties": {k: str(v) for k, v in (spec.get("spark_defaults") or {}).items()},
            }
        ],
        "ServiceRole": spec["service_role"],
        "JobFlowRole": spec["job_flow_role"],
        "VisibleToAllUsers": True,
        "AutoTerminationPolicy": {"IdleTimeout": int(spec.get("idle_timeout_seconds", 1800))},
        "StepConcurrencyLevel": 1,
        "Tags": [{"Key": k, "Value": str(v)} for k, v in (spec.get("tags") or {}).items()],
    }
