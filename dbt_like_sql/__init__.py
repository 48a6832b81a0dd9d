"""SQL models over the product store, turned into Dagster assets with data tests and a report."""
