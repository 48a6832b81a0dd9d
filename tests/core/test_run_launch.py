"""Runs the demo launches carry the workspace's code-location origin, so the UI lists them under
their job (the `.dagster/repository` tag it filters on) and can re-execute them."""

import sys
from pathlib import Path

import dagster as dg

from dropship_app.run_launch import launch_in_process

HERE = Path(__file__).resolve().parent


def test_run_is_linked_to_its_job(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    ws = tmp_path / "workspace.yaml"
    ws.write_text("load_from:\n  - python_module:\n      module_name: launchkit.tiny_defs\n"
                  f"      working_directory: {HERE}\n      location_name: tinyloc\n", encoding="utf-8")
    with dg.DagsterInstance.ephemeral() as inst:
        res = launch_in_process("tiny_job", inst, partition_key="b", workspace=ws,
                                tags={"dropship/trigger": "demo"})
        assert res.success
        run = inst.get_run_by_id(res.run_id)
        assert run.remote_job_origin is not None and run.remote_job_origin.location_name == "tinyloc"
        assert run.tags["dagster/partition"] == "b" and run.tags["dropship/trigger"] == "demo"
        assert run.job_code_origin is not None
        # the UI's job page: runs of this job in this repository
        linked = inst.get_runs(filters=dg.RunsFilter(job_name="tiny_job",
                                                     tags={".dagster/repository": "__repository__@tinyloc"}))
        assert [r.run_id for r in linked] == [res.run_id]
        # what the demo did before: a run without an origin is on no job page
        from launchkit.tiny_defs import defs

        plain = defs.resolve_job_def("tiny_job").execute_in_process(partition_key="a", instance=inst)
        linked = inst.get_runs(filters=dg.RunsFilter(job_name="tiny_job",
                                                     tags={".dagster/repository": "__repository__@tinyloc"}))
        assert plain.run_id not in [r.run_id for r in linked]
        # executed in this process (in-process executor), not in a subprocess per step
        starts = [e for e in res.all_events if e.event_type_value == "STEP_START"]
        assert starts and all(e.pid == starts[0].pid for e in starts)


def test_the_demo_location_resolves():
    from dropship_app.run_launch import _location_origin

    root = Path(__file__).resolve().parents[2]
    origin = _location_origin(root / "workspace.yaml", None)
    assert origin.location_name == "dropship"
    assert origin.loadable_target_origin.module_name == "dropship_assets.definitions"
    assert sys.executable  # the origin uses this interpreter
