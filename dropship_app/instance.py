"""The local Dagster instance: DAGSTER_HOME under .dropship/, configured from dagster.yaml."""

import os
import shutil
from pathlib import Path

import dagster as dg


def local_instance() -> dg.DagsterInstance:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path.cwd() / ".dropship" / "dagster")))
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    src = Path.cwd() / "dagster.yaml"
    if not cfg.exists() and src.exists():
        shutil.copyfile(src, cfg)
    return dg.DagsterInstance.get()
