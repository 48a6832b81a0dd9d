"""A snapshot of the code location: asset keys with their partitions and checks, jobs, schedules
and sensors. A change to the graph shows up here, in review, as a diff of
tests/data/defs_snapshot.json. After an intended change:

    DROPSHIP_UPDATE_SNAPSHOT=1 python -m pytest tests/core/test_defs_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "defs_snapshot.json"


def _partitions(pdef) -> str | None:
    if pdef is None:
        return None
    if isinstance(pdef, dg.MultiPartitionsDefinition):
        return " × ".join(f"{d.name}:{_partitions(d.partitions_def)}" for d in pdef.partitions_defs)
    if isinstance(pdef, dg.DynamicPartitionsDefinition):
        return f"dynamic({pdef.name})"
    if isinstance(pdef, dg.TimeWindowPartitionsDefinition):
        return f"time({pdef.cron_schedule}, start={pdef.start.date().isoformat()})"
    if isinstance(pdef, dg.StaticPartitionsDefinition):
        return "static(" + ",".join(pdef.get_partition_keys()) + ")"
    return type(pdef).__name__


def snapshot() -> dict:
    from dropship_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _partitions(node.partitions_def),
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
        }
    repo = defs.get_repository_def()
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": sorted(f"{s.name} ({s.cron_schedule}, {s.default_status.value})"
                            for s in repo.schedule_defs),
        "sensors": sorted(f"{s.name} ({s.default_status.value})" for s in repo.sensor_defs),
    }


def test_code_location_matches_its_snapshot():
    now = snapshot()
    if os.environ.get("DROPSHIP_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(now, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert now == want, ("the code location changed; if intended, regenerate with "
                         "DROPSHIP_UPDATE_SNAPSHOT=1 and commit tests/data/defs_snapshot.json")
