"""A tiny code location for the run-launch test."""

import dagster as dg

letters = dg.StaticPartitionsDefinition(["a", "b"])


@dg.asset(partitions_def=letters)
def tiny_asset(context) -> str:
    return context.partition_key


defs = dg.Definitions(assets=[tiny_asset], jobs=[dg.define_asset_job("tiny_job", selection=[tiny_asset])])
