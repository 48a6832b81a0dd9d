"""Runs launched from the command line (the demo) that the UI links to their jobs.

`execute_in_process` creates runs without a code-location origin: the UI then shows no history
on the job's page and offers only a warning-laden "Re-execute all (*)". Here a run is created
with the same origin the webserver builds from workspace.yaml (location name, repository,
module), so its `.dagster/repository` tag matches, and executed in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import yaml

DEFAULT_WORKSPACE = "workspace.yaml"
REPOSITORY_NAME = "__repository__"  # the implicit repository of a Definitions object


def _location_origin(workspace: Path, location_name: str | None):
    from dagster._core.workspace.load import location_origins_from_config

    origins = location_origins_from_config(yaml.safe_load(workspace.read_text(encoding="utf-8")), str(workspace))
    if location_name is None:
        location_name = next(iter(origins))
    return origins[location_name]


def launch_in_process(job_name: str, instance: dg.DagsterInstance, *, partition_key: Any = None,
                      run_config: dict | None = None, tags: dict[str, str] | None = None,
                      workspace: str | Path = DEFAULT_WORKSPACE, location_name: str | None = None):
    """Create the run with the workspace's origin for `job_name` and execute it here (in-process
    executor when the job uses the default one). Returns the JobExecutionResult."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository
    from dagster._core.execution.api import execute_run
    from dagster._core.remote_origin import RemoteJobOrigin, RemoteRepositoryOrigin

    origin = _location_origin(Path(workspace), location_name)
    target = origin.loadable_target_origin
    recon = ReconstructableRepository.for_module(
        target.module_name, target.attribute or "defs", target.working_directory or str(Path.cwd())
    ).get_reconstructable_job(job_name)
    job_def = recon.get_definition()
    config = dict(run_config or {})
    if job_def.executor_def.name == "multi_or_in_process_executor":
        config.setdefault("execution", {"config": {"in_process": {}}})
    run_tags = dict(tags or {})
    if partition_key is not None:
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            run_tags.update(job_def.get_tags_for_partition_key(partition_key, selected_asset_keys=None))
    remote = RemoteJobOrigin(repository_origin=RemoteRepositoryOrigin(code_location_origin=origin,
                                                                      repository_name=REPOSITORY_NAME),
                             job_name=job_name)
    run = instance.create_run_for_job(job_def=job_def, run_config=config, tags=run_tags,
                                      remote_job_origin=remote, job_code_origin=recon.get_python_origin())
    return execute_run(recon, run, instance)
