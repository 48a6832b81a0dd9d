"""Child: market_listings + market_sync for one market x supplier partition (killed by the test)."""

import sys
import warnings

import dagster as dg

warnings.filterwarnings("ignore")


def main(db_url: str, cfg: str, market: str, supplier: str) -> int:
    from dropship_assets.listings import market_listings
    from dropship_assets.sync import market_sync
    from dropship_resources.markets import marketplaces_from_env
    from dropship_resources.pricing import PricingResource
    from dropship_resources.store import StoreResource
    from dropship_resources.suppliers import SuppliersResource

    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=cfg),
                 "pricing": PricingResource(), "marketplaces": marketplaces_from_env()}
    with dg.DagsterInstance.ephemeral() as inst:
        inst.add_dynamic_partitions("supplier", [supplier])
        pk = dg.MultiPartitionKey({"market": market, "supplier": supplier})
        print("READY", flush=True)
        res = dg.materialize([market_listings, market_sync], partition_key=pk, resources=resources,
                             instance=inst, run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
                             raise_on_error=False)
    print("DONE" if res.success else "FAILED", flush=True)
    return 0 if res.success else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
