"""A stand-in AWS client for ``--dry-run``: checks and records requests, sends nothing.

Every call is validated against botocore's service model (the same check boto3 makes before
sending) and recorded as ``{"service", "operation", "params"}``; answers are canned so the
runner's lifecycle completes as if every step succeeded.
"""

from __future__ import annotations

import itertools
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.validate import validate_parameters


class ModelCheckedClient:
    """Validates each call against the service model, records it, answers via ``respond``."""

    def __init__(self, service: str):
        self.service = service
        self.model = botocore.session.get_session().get_service_model(service)
        self._operations = {xform_name(op): op for op in self.model.operation_names}
        self.calls: list[dict[str, Any]] = []

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._operations:
            raise AttributeError(f"{self.service} has no operation {name}")
        operation = self.model.operation_model(self._operations[name])

        def call(**params: Any) -> dict[str, Any]:
            validate_parameters(params, operation.input_shape)
            self.calls.append(
                {"service": self.service, "operation": operation.name, "params": params}
            )
            return self.respond(operation.name, params)

        return call

    def respond(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return {}


class DryRunEmr(ModelCheckedClient):
    """EMR that launches instantly and completes every step."""

    def __init__(self):
        super().__init__("emr")
        self._ids = (f"s-DRYRUN{n:06d}" for n in itertools.count(1))
        self.steps: dict[str, list[tuple[str, str]]] = {}

    def respond(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "RunJobFlow":
            cluster_id = f"j-DRYRUN{len(self.steps) + 1:05d}"
            self.steps[cluster_id] = [(next(self._ids), s["Name"]) for s in params["Steps"]]
            return {"JobFlowId": cluster_id}
        if operation == "AddJobFlowSteps":
            added = [(next(self._ids), s["Name"]) for s in params["Steps"]]
            self.steps.setdefault(params["JobFlowId"], []).extend(added)
            return {"StepIds": [i for i, _ in added]}
        if operation == "ListSteps":
            steps = reversed(self.steps.get(params["ClusterId"], []))
            return {
                "Steps": [{"Id": i, "Name": n, "Status": {"State": "COMPLETED"}} for i, n in steps]
            }
        if operation == "DescribeCluster":
            return {
                "Cluster": {
                    "Id": params["ClusterId"],
                    "Name": "dry-run",
                    "Status": {"State": "WAITING"},
                }
            }
        return {}
