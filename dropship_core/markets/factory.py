"""Build marketplace clients from the environment (CLI, scripts) or explicit values.

Env: SMARTSTORE_BASE_URL, SMARTSTORE_CLIENT_ID, SMARTSTORE_CLIENT_SECRET;
COUPANG_BASE_URL, COUPANG_ACCESS_KEY, COUPANG_SECRET_KEY, COUPANG_VENDOR_ID;
ESM_BASE_URL, ESM_MASTER_ID, ESM_SECRET_KEY, ESM_SITE_IDS;
DROPSHIP_SELLER_PRESET (default | sandbox), DROPSHIP_SELLER_SETTINGS (optional YAML of
SellerSettings fields, applied over the preset).
Base URLs default to the real services.
"""

from __future__ import annotations

from dropship_core.markets.adapter import adapter_for, adapters
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE
from dropship_core.markets.settings import SellerSettings, env, preset

ALIASES = {"naver": SMARTSTORE, "smartstore": SMARTSTORE, "coupang": COUPANG, "esm": GMARKET,
           "gmarket": GMARKET, "auction": GMARKET}

REQUIRED_ENV = {m: a.env_vars for m, a in adapters().items()}


def market_name(name: str) -> str:
    try:
        return ALIASES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown market {name!r}; one of {sorted(ALIASES)}") from None


def seller_from_env() -> SellerSettings:
    """DROPSHIP_SELLER_PRESET (default | sandbox) as the base, DROPSHIP_SELLER_SETTINGS (YAML)
    on top."""
    base = preset(env("DROPSHIP_SELLER_PRESET"))
    path = env("DROPSHIP_SELLER_SETTINGS")
    return SellerSettings.from_yaml(path, base) if path else base


def client_from_env(market: str, seller: SellerSettings | None = None, **kw):
    market = market_name(market)
    missing = [v for v in REQUIRED_ENV[market] if not env(v)]
    if missing:
        raise ValueError(f"{market}: missing environment variables {', '.join(missing)}")
    seller = seller or seller_from_env()
    return adapter_for(market).client_from_env(seller, env, **kw)
