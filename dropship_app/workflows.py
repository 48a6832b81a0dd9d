"""The seed's workflow API on top of Dagster.

    engine = OrchestrationEngine()                       # the local instance, runs in-process
    engine = OrchestrationEngine(graphql_url="http://127.0.0.1:3000/graphql")   # a running webserver
    wid = engine.execute_workflow("product_sync", {"suppliers": ["excel-acme"], "sync_mode": "full"})
    engine.get_execution_status(wid)   # {"status": "SUCCESS", "steps_completed": 6, "total_steps": 6, ...}

A workflow is one or more Dagster runs tagged `dropship/workflow=<id>`: they appear in the UI like
any other run, and the status is read back from the instance (or the GraphQL API).
"""

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
import httpx

from dropship_core.markets.names import MARKETS

WORKFLOW_TAG = "dropship/workflow"
WORKFLOWS = ("product_sync", "market_management")
SYNC_MODES = ("full", "incremental")
MARKET_TASKS = ("price_optimization", "inventory_sync")


class WorkflowError(ValueError):
    pass


@dataclass
class RunSpec:
    job: str
    partition_key: str | dg.MultiPartitionKey
    run_config: dict[str, Any] = field(default_factory=dict)
    steps: int = 1


def plan(name: str, params: dict[str, Any], supplier_keys: list[str], available_jobs: set[str]) -> list[list[RunSpec]]:
    """The runs a workflow consists of, in stages (a stage starts when the previous one is done)."""
    params = dict(params or {})
    suppliers = params.get("suppliers") or supplier_keys
    unknown = [s for s in suppliers if s not in supplier_keys]
    if unknown:
        raise WorkflowError(f"unknown supplier partition(s): {', '.join(unknown)}")
    markets = params.get("markets") or list(MARKETS)
    bad = [m for m in markets if m not in MARKETS]
    if bad:
        raise WorkflowError(f"unknown market(s): {', '.join(bad)}; expected {', '.join(MARKETS)}")
    if name == "product_sync":
        mode = params.get("sync_mode", "incremental")
        if mode not in SYNC_MODES:
            raise WorkflowError(f"sync_mode must be one of {SYNC_MODES}, got {mode!r}")
        cfg = {"ops": {"supplier_catalog": {"config": {"sync_mode": mode}}}}
        stages = [[RunSpec("product_sync", s, cfg, steps=3) for s in suppliers]]
        stages.append([RunSpec("build_listings", dg.MultiPartitionKey({"market": m, "supplier": s}))
                       for m in markets for s in suppliers])
        return stages
    if name == "market_management":
        tasks = params.get("tasks") or list(MARKET_TASKS)
        bad = [t for t in tasks if t not in MARKET_TASKS]
        if bad:
            raise WorkflowError(f"unknown task(s): {', '.join(bad)}; expected {', '.join(MARKET_TASKS)}")
        stage = []
        for t in tasks:
            if t not in available_jobs:
                raise WorkflowError(f"task {t!r} needs the {t} job, which this deployment does not define")
            stage += [RunSpec(t, dg.MultiPartitionKey({"market": m, "supplier": s})) for m in markets for s in suppliers]
        return [stage]
    raise WorkflowError(f"unknown workflow {name!r}; expected one of {', '.join(WORKFLOWS)}")


def _pk_str(pk) -> str:
    return str(pk)


class OrchestrationEngine:
    def __init__(self, instance: dg.DagsterInstance | None = None, graphql_url: str | None = None,
                 defs: dg.Definitions | None = None, resources: dict[str, Any] | None = None,
                 location_name: str = "dropship"):
        if defs is None:
            from dropship_assets.definitions import defs as default_defs

            defs = default_defs
        self.defs = defs
        self.graphql_url = graphql_url
        self.location_name = location_name
        self.resources = resources
        if instance is None and graphql_url is None:
            from dropship_app.instance import local_instance

            instance = local_instance()
        self.instance = instance

    # -- launching ---------------------------------------------------------------------------
    def execute_workflow(self, name: str, params: dict[str, Any] | None = None) -> str:
        keys = self._supplier_keys()
        jobs = {j.name for j in self.defs.resolve_all_job_defs()}
        stages = plan(name, params or {}, keys, jobs)
        wid = f"{name}-{uuid.uuid4().hex[:8]}"
        if self.graphql_url:
            # a webserver runs its own queue: submit the first stage; later stages follow by
            # declarative automation (listings are eager on enriched products)
            for spec in stages[0]:
                self._submit_graphql(spec, wid)
        else:
            for stage in stages:
                for spec in stage:
                    self._execute_local(spec, wid)
        return wid

    def _execute_local(self, spec: RunSpec, wid: str) -> None:
        job = self.defs.resolve_job_def(spec.job)
        kw = {"resources": self.resources} if self.resources else {}
        job.execute_in_process(
            run_config=spec.run_config or None, partition_key=spec.partition_key, instance=self.instance,
            tags={WORKFLOW_TAG: wid}, raise_on_error=False, **kw)

    def _submit_graphql(self, spec: RunSpec, wid: str) -> str:
        from dagster_graphql import DagsterGraphQLClient

        url = httpx.URL(self.graphql_url)
        client = DagsterGraphQLClient(url.host, port_number=url.port, use_https=url.scheme == "https")
        tags = {WORKFLOW_TAG: wid}
        if isinstance(spec.partition_key, dg.MultiPartitionKey):
            for dim, val in spec.partition_key.keys_by_dimension.items():
                tags[f"dagster/partition/{dim}"] = val
        tags["dagster/partition"] = _pk_str(spec.partition_key)
        return client.submit_job_execution(spec.job, repository_location_name=self.location_name,
                                           run_config=spec.run_config or {}, tags=tags)

    def _supplier_keys(self) -> list[str]:
        if self.instance is not None:
            return list(self.instance.get_dynamic_partitions("supplier"))
        data = self._graphql(
            '{ partitionSetsOrError(repositorySelector: {repositoryName: "__repository__", '
            f'repositoryLocationName: "{self.location_name}"}}, pipelineName: "product_sync") '
            "{ ... on PartitionSets { results { partitionsOrError { ... on Partitions { results { name } } } } } } }")
        sets = data["partitionSetsOrError"]["results"]
        return [p["name"] for p in sets[0]["partitionsOrError"]["results"]] if sets else []

    # -- status -----------------------------------------------------------------------------
    def get_execution_status(self, run_or_workflow_id: str) -> dict[str, Any]:
        """Status and steps completed / total of one run, or of every run of a workflow."""
        runs = self._runs(run_or_workflow_id)
        if not runs:
            raise WorkflowError(f"no run or workflow {run_or_workflow_id!r}")
        statuses = [r["status"] for r in runs]
        if any(s in ("FAILURE", "CANCELED") for s in statuses):
            overall = "FAILURE"
        elif all(s == "SUCCESS" for s in statuses):
            overall = "SUCCESS"
        elif any(s == "STARTED" for s in statuses):
            overall = "STARTED"
        else:
            overall = "QUEUED"
        return {
            "id": run_or_workflow_id,
            "status": overall,
            "steps_completed": sum(r["steps_completed"] for r in runs),
            "steps_total": sum(r["steps_total"] for r in runs),
            "total_steps": sum(r["steps_total"] for r in runs),  # the seed's name
            "runs": runs,
        }

    def wait(self, wid: str, timeout: float = 300, poll: float = 1.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            st = self.get_execution_status(wid)
            if st["status"] in ("SUCCESS", "FAILURE") or time.monotonic() > deadline:
                return st
            time.sleep(poll)

    def _runs(self, ident: str) -> list[dict[str, Any]]:
        if self.instance is not None:
            run = self.instance.get_run_by_id(ident) if len(ident) == 36 else None
            runs = [run] if run else list(self.instance.get_runs(filters=dg.RunsFilter(tags={WORKFLOW_TAG: ident})))
            out = []
            for r in runs:
                stats = self.instance.get_run_step_stats(r.run_id)
                planned = len(r.step_keys_to_execute or []) or len(stats) or 1
                out.append({"run_id": r.run_id, "job": r.job_name, "partition": r.tags.get("dagster/partition"),
                            "status": r.status.value,
                            "steps_completed": sum(1 for s in stats if s.status and s.status.value == "SUCCESS"),
                            "steps_total": max(planned, len(stats))})
            return out
        query = """query($filter: RunsFilter) { runsOrError(filter: $filter) { ... on Runs { results {
                     runId jobName status tags { key value } stepStats { stepKey status } } } } }"""
        flt = {"runIds": [ident]} if len(ident) == 36 else {"tags": [{"key": WORKFLOW_TAG, "value": ident}]}
        results = self._graphql(query, {"filter": flt})["runsOrError"]["results"]
        out = []
        for r in results:
            tags = {t["key"]: t["value"] for t in r["tags"]}
            steps = r["stepStats"]
            out.append({"run_id": r["runId"], "job": r["jobName"], "partition": tags.get("dagster/partition"),
                        "status": r["status"],
                        "steps_completed": sum(1 for s in steps if s["status"] == "SUCCESS"),
                        "steps_total": max(len(steps), 1)})
        return out

    def _graphql(self, query: str, variables: dict | None = None) -> dict[str, Any]:
        r = httpx.post(self.graphql_url, json={"query": query, "variables": variables or {}}, timeout=30)
        r.raise_for_status()
        body = r.json()
        if body.get("errors"):
            raise WorkflowError(f"GraphQL error: {body['errors'][0].get('message')}")
        return body["data"]
