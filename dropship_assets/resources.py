"""Resources, defined once and imported by identity wherever they are needed."""

import os

import dagster as dg

from dropship_resources.llm import LLMResource, MemoryResource
from dropship_resources.evidence import market_search_from_env
from dropship_resources.markets import marketplaces_from_env
from dropship_resources.pricing import PricingResource
from dropship_resources.store import StoreResource
from dropship_resources.suppliers import SuppliersResource
from dropship_resources.suppliers_remote import remote_supplier_resources

store_resource = StoreResource(database_url=dg.EnvVar("DATABASE_URL").get_value(default="") or "")
suppliers_resource = SuppliersResource(config_path=dg.EnvVar("DROPSHIP_SUPPLIERS").get_value(default="") or "suppliers.yaml")
pricing_resource = PricingResource(policy_path=dg.EnvVar("DROPSHIP_PRICING").get_value(default="") or "")



def _secret(name: str):
    return dg.EnvVar(name) if os.environ.get(name) else None


def llm_resource_from_env() -> LLMResource:
    """LLM_PROVIDER (offline | openai | anthropic), LLM_MODEL, LLM_BASE_URL, LLM_SPEND_CAP; keys from
    OPENAI_API_KEY / ANTHROPIC_API_KEY through dg.EnvVar (never in config or logs)."""
    cap = os.environ.get("LLM_SPEND_CAP", "").strip()
    return LLMResource(
        provider=os.environ.get("LLM_PROVIDER", "offline"),
        model=os.environ.get("LLM_MODEL") or None,
        base_url=os.environ.get("LLM_BASE_URL") or None,
        openai_api_key=_secret("OPENAI_API_KEY"),
        anthropic_api_key=_secret("ANTHROPIC_API_KEY"),
        spend_cap=float(cap) if cap else None,
        spend_cap_currency=os.environ.get("LLM_SPEND_CAP_CURRENCY", "USD"),
    )


def memory_resource_from_env() -> MemoryResource:
    """Semantic memory embeds with OpenAI when EMBEDDING_PROVIDER=openai (key via dg.EnvVar), else
    with the offline hash; the two never share an index."""
    openai_llm = os.environ.get("LLM_PROVIDER") == "openai" and os.environ.get("OPENAI_API_KEY")
    provider = os.environ.get("EMBEDDING_PROVIDER") or ("openai" if openai_llm else "hash")
    return MemoryResource(embedding_provider=provider, openai_api_key=_secret("OPENAI_API_KEY"),
                          openai_base_url=os.environ.get("OPENAI_BASE_URL") or os.environ.get("LLM_BASE_URL") or None,
                          embedding_model=os.environ.get("EMBEDDING_MODEL") or "text-embedding-3-small",
                          embedding_dim=int(os.environ.get("EMBEDDING_DIM") or 256))


RESOURCES = {
    "store": store_resource,
    "suppliers": suppliers_resource,
    "pricing": pricing_resource,
    "marketplaces": marketplaces_from_env(),
    "llm": llm_resource_from_env(),
    "memory": memory_resource_from_env(),
    "market_search": market_search_from_env(),
    **remote_supplier_resources(),
}
