"""Resources, defined once and imported by identity wherever they are needed.

Nothing here reads the environment: each resource looks its settings up in
`dropship_core.config` when a run uses it, so the code location loads with nothing configured.
"""

from dropship_resources.evidence import MarketSearchResource
from dropship_resources.llm import LLMResource, MemoryResource
from dropship_resources.markets import marketplaces_from_env
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource
from dropship_resources.suppliers_remote import WebhookResource

store_resource = StoreResource()
suppliers_resource = SuppliersResource()
pricing_resource = PricingResource()

RESOURCES = {
    "store": store_resource,
    "suppliers": suppliers_resource,
    "pricing": pricing_resource,
    "marketplaces": marketplaces_from_env(),
    "llm": LLMResource(),
    "memory": MemoryResource(),
    "market_search": MarketSearchResource(),
    "webhook": WebhookResource(),
}
