"""Child: incremental syncs of a webhook supplier (supplier_catalog + source_products) until its
inbox has nothing new; killed by the test at random points."""

import sys
import warnings

import dagster as dg

warnings.filterwarnings("ignore")


def main(db_url: str, cfg: str, supplier: str) -> int:
    from dropship_assets.catalog import supplier_catalog
    from dropship_assets.products import source_products
    from dropship_resources.store import StoreResource
    from dropship_resources.suppliers import SuppliersResource

    resources = {"store": StoreResource(database_url=db_url), "suppliers": SuppliersResource(config_path=cfg)}
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    with dg.DagsterInstance.ephemeral() as inst:
        inst.add_dynamic_partitions("supplier", [supplier])
        print("READY", flush=True)
        for _ in range(1000):
            res = dg.materialize([supplier_catalog, source_products], partition_key=supplier, resources=resources,
                                 instance=inst, run_config=quiet)
            # the catalog step lands what it fetched; its metadata says how many inbox events it read
            md = next(e.event_specific_data.materialization.metadata for e in res.get_asset_materialization_events()
                      if e.asset_key.to_user_string() == "supplier_catalog")
            if md["details"].value.get("events", 0) == 0:
                break
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
