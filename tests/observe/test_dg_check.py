"""The project as the `dg` CLI sees it ([tool.dg] in pyproject.toml): `dg check defs` loads
every definition of the code location."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def dg_bin() -> str:
    here = Path(sys.executable).parent / "dg"
    found = str(here) if here.exists() else shutil.which("dg")
    if not found:
        pytest.fail("the dg CLI is missing: pip install 'dagster-dg-cli==1.13.27' (the dev extra)")
    return found


def test_dg_check_defs(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home),
           "VIRTUAL_ENV": str(Path(sys.executable).parent.parent),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    p = subprocess.run([dg_bin(), "check", "defs", "--use-active-venv"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "All definitions loaded successfully" in p.stdout + p.stderr


def test_dg_sees_the_jobs_and_assets(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home),
           "VIRTUAL_ENV": str(Path(sys.executable).parent.parent),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    p = subprocess.run([dg_bin(), "list", "defs", "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    for name in ("market_sync", "supplier_catalog", "product_sync", "run_failure_alerts"):
        assert name in out, name
