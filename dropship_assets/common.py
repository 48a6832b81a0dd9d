"""Small helpers shared by the asset modules."""


from typing import Any, Iterable

import dagster as dg

from dropship_core.store import RunInfo

OWNERS = ["team:data-eng"]


def run_info(context: dg.AssetExecutionContext) -> RunInfo:
    pk = context.partition_key if context.has_partition_key else None
    if isinstance(pk, dg.MultiPartitionKey):
        pk = "|".join(f"{k}={v}" for k, v in sorted(pk.keys_by_dimension.items()))
    keys = list(context.selected_asset_keys)
    asset = keys[0].to_user_string() if len(keys) == 1 else "+".join(sorted(k.to_user_string() for k in keys))
    return RunInfo(run_id=context.run.run_id, asset_key=asset, partition_key=pk)


def md_table(rows: Iterable[dict[str, Any]], columns: list[str], limit: int = 10) -> str:
    rows = list(rows)[:limit]
    if not rows:
        return "_nothing changed_"
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        cells = [str(r.get(c, "")).replace("|", "\\|").replace("\n", " ")[:60] for c in columns]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def follow_upstream() -> dg.AutomationCondition:
    """Materialise when upstream partitions update, held back while an upstream blocking check fails."""
    return dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()


def pipeline_asset(*, group: str, kinds: set[str], partitions_def: dg.PartitionsDefinition, deps: list,
                   follow: bool = True, **kwargs: Any):
    """`dg.asset` with what the pipeline's partitioned assets share: the owners, and declarative
    automation that follows upstream (`follow=False` for assets launched on their own schedule)."""
    return dg.asset(partitions_def=partitions_def, deps=deps, group_name=group, kinds=kinds, owners=OWNERS,
                    automation_condition=follow_upstream() if follow else None, **kwargs)
