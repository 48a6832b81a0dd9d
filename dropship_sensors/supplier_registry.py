"""Supplier registry sensor: keeps the dynamic `supplier` partitions in step with suppliers.yaml.

New account keys become partitions. Partitions of accounts that were removed are NOT deleted
(their materializations and events are history); they are recorded as inactive in the cursor,
as are accounts with `enabled: false`, so schedules can skip them.
"""


import json
from pathlib import Path

import dagster as dg

from dropship_assets.partitions import supplier_partitions
from dropship_core.suppliers.registry import ConfigError, load_accounts


def parse_cursor(cursor: str | None) -> dict[str, list[str]]:
    """{"active": [...], "inactive": [...], "removed": [...], "disabled": [...]} from a cursor."""
    empty = {"active": [], "inactive": [], "removed": [], "disabled": []}
    if not cursor:
        return empty
    try:
        doc = json.loads(cursor)
    except json.JSONDecodeError:
        return empty
    return {k: list(doc.get(k, [])) for k in empty}


def inactive_suppliers(cursor: str | None) -> set[str]:
    return set(parse_cursor(cursor)["inactive"])


def build_supplier_registry_sensor(config_path: str | Path | None = None, *,
                                   name: str = "supplier_registry_sensor",
                                   minimum_interval_seconds: int = 60,
                                   default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
                                   ) -> dg.SensorDefinition:
    """`config_path` defaults to $DROPSHIP_SUPPLIERS or ./suppliers.yaml, read at each tick."""

    @dg.sensor(name=name, minimum_interval_seconds=minimum_interval_seconds, default_status=default_status,
               description="Adds a `supplier` partition for each account in suppliers.yaml; removed "
                           "accounts keep their partition (history) and are listed as inactive in the cursor.")
    def _sensor(context: dg.SensorEvaluationContext):
        try:
            accounts = load_accounts(config_path)
        except ConfigError as e:
            return dg.SkipReason(f"suppliers.yaml not usable, partitions left as they are: {e}")
        configured = [a.key for a in accounts]
        existing = set(context.instance.get_dynamic_partitions(supplier_partitions.name))
        new = [k for k in configured if k not in existing]
        removed = sorted(existing - set(configured))
        disabled = sorted(a.key for a in accounts if not a.enabled)
        state = {"active": sorted(k for k in configured if k not in disabled),
                 "inactive": sorted(set(removed) | set(disabled)), "removed": removed, "disabled": disabled}
        cursor = json.dumps(state, sort_keys=True, separators=(",", ":"))
        if not new and cursor == context.cursor:
            return dg.SkipReason("supplier partitions match suppliers.yaml")
        if new:
            context.log.info(f"adding supplier partitions: {', '.join(new)}")
        if removed:
            context.log.info(f"kept (inactive) partitions of removed accounts: {', '.join(removed)}")
        return dg.SensorResult(
            dynamic_partitions_requests=[supplier_partitions.build_add_request(new)] if new else [],
            cursor=cursor)

    return _sensor


supplier_registry_sensor = build_supplier_registry_sensor()
