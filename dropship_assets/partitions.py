"""Partitions: one per supplier account (dynamic), one per marketplace (static), and their product.

Products are rows inside a partition, never partitions themselves.
"""

import dagster as dg

from dropship_core.markets.names import MARKETS

supplier_partitions = dg.DynamicPartitionsDefinition(name="supplier")

market_partitions = dg.StaticPartitionsDefinition(list(MARKETS))

market_supplier_partitions = dg.MultiPartitionsDefinition(
    {"market": market_partitions, "supplier": supplier_partitions}
)

# market_listings(market, supplier) reads enriched_products(supplier)
supplier_to_market_supplier = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="supplier")

