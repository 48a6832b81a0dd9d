"""Resources, defined once and imported by identity wherever they are needed."""

import dagster as dg

from dropship_resources.markets import marketplaces_from_env
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource
from dropship_resources.suppliers_remote import remote_supplier_resources

store_resource = StoreResource(database_url=dg.EnvVar("DATABASE_URL").get_value(default="") or "")
suppliers_resource = SuppliersResource(config_path=dg.EnvVar("DROPSHIP_SUPPLIERS").get_value(default="") or "suppliers.yaml")
pricing_resource = PricingResource(policy_path=dg.EnvVar("DROPSHIP_PRICING").get_value(default="") or "")

RESOURCES = {
    "store": store_resource,
    "suppliers": suppliers_resource,
    "pricing": pricing_resource,
    "marketplaces": marketplaces_from_env(),
    **remote_supplier_resources(),
}
