"""Marketplace connectors as Dagster resources.

Each resource holds typed config (base URL, credentials from `dg.EnvVar`, timeouts, pacing,
retry bounds) and hands out a client from `dropship_core.markets` (pure code, no Dagster).
`MarketplacesResource` bundles the three plus the seller settings, so an asset partitioned by
market asks for `marketplaces.client(market)`.

    defs = dg.Definitions(..., resources={"marketplaces": marketplaces_from_env()})
"""

from __future__ import annotations

from dataclasses import fields as dc_fields

import dagster as dg
from pydantic import Field

from dropship_core import config

from dropship_core.markets.coupang import CoupangClient
from dropship_core.markets.esm import EsmClient
from dropship_core.markets.factory import market_name
from dropship_core.http import RetryPolicy
from dropship_core.markets.names import COUPANG, GMARKET, SMARTSTORE
from dropship_core.markets.settings import DEFAULT_BASE_URLS, SellerSettings, preset
from dropship_core.markets.smartstore import SmartStoreClient


class SellerSettingsResource(dg.ConfigurableResource):
    """What every listing shares: delivery company, return/exchange, A/S, per-market addresses
    and policies. `preset` is the base ("sandbox" matches the sandbox marketplaces), then
    `settings_file` (a YAML of `SellerSettings` fields), then the fields set here."""

    preset: str | None = Field(default=None,
                               description="base settings: 'default' or 'sandbox' (the sandboxes' "
                                           "registered addresses and policies)")
    settings_file: str | None = Field(default=None, description="YAML of SellerSettings fields")
    delivery_company: str | None = None
    as_phone: str | None = None
    as_guide: str | None = None
    company_contact_number: str | None = None
    exchange_fee: int | None = None
    outbound_shipping_days: int | None = None
    naver_shipping_address_id: int | None = None
    naver_return_address_id: int | None = None
    naver_naver_shopping: bool | None = None
    naver_upload_images: bool | None = None
    coupang_vendor_id: str | None = None
    coupang_vendor_user_id: str | None = None
    coupang_return_center_code: str | None = None
    coupang_return_charge_name: str | None = None
    coupang_return_zip_code: str | None = None
    coupang_return_address: str | None = None
    coupang_return_address_detail: str | None = None
    coupang_outbound_shipping_place_code: str | None = None
    coupang_delivery_method: str | None = None
    coupang_request_approval: bool | None = None
    esm_sites: list[str] | None = None
    esm_company_no: int | None = None
    esm_dispatch_policy_no: int | None = None
    esm_place_no: int | None = None
    esm_return_place_no: int | None = None
    esm_official_notice_no: int | None = None

    def get_settings(self) -> SellerSettings:
        # unset here: DROPSHIP_SELLER_PRESET / DROPSHIP_SELLER_SETTINGS as they are at run time
        base = preset(self.preset or config.get("DROPSHIP_SELLER_PRESET"))
        settings_file = self.settings_file or config.get("DROPSHIP_SELLER_SETTINGS")
        if settings_file:
            base = SellerSettings.from_yaml(settings_file, base)
        d = {f.name: getattr(base, f.name) for f in dc_fields(SellerSettings)}
        for name in d:
            v = getattr(self, name, None)
            if v is not None:
                d[name] = tuple(v) if name == "esm_sites" else v
        return SellerSettings(**d)


class _MarketResource(dg.ConfigurableResource):
    base_url: str | None = Field(default=None, description="unset: the <MARKET>_BASE_URL env var "
                                                          "at run time, else the real service")
    timeout_s: float = Field(default=30.0, description="read timeout per request")
    connect_timeout_s: float = 5.0
    max_attempts: int = Field(default=5, description="attempts per call on 429/5xx/timeouts")
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    burst: float = 5.0  # requests banked above the pace
    max_retry_after_s: float = Field(default=120.0,
                                     description="a longer Retry-After ends the retries")

    def _base_url(self, env_name: str, market: str) -> str:
        return self.base_url or config.get(env_name) or DEFAULT_BASE_URLS[market]

    def _rate(self, market: str, default: float) -> float:
        return self.rate_per_s or config.get_float(config.MARKET_RATE_ENV[market]) or default

    def _creds(self, market: str, pairs: dict[str, str]) -> list[str]:
        """Configured values (dg.EnvVar) first, else the env vars as they are at run time; a
        market without credentials fails here, clearly, and only when it is used."""
        values = [getattr(self, f) or config.get(env_name) or "" for f, env_name in pairs.items()]
        missing = [env_name for (f, env_name), v in zip(pairs.items(), values) if not v]
        if missing:
            raise ValueError(f"{market} is not configured: set {', '.join(missing)}")
        return values

    def _client_kw(self, market: str, default_rate: float, seller: SellerSettings | None) -> dict:
        """What every market client takes besides its credentials: timeouts, pacing, retries, seller."""
        return {"timeout": self.timeout_s, "connect_timeout": self.connect_timeout_s,
                "rate": self._rate(market, default_rate), "burst": self.burst, "retry": self._retry(),
                "seller": seller}

    def _retry(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, backoff_base=self.backoff_base_s,
                           backoff_max=self.backoff_max_s, max_retry_after=self.max_retry_after_s)


class SmartStoreResource(_MarketResource):
    """Naver Commerce API (SmartStore). Pacing defaults to the measured 2 req/s, burst 4."""

    client_id: str | None = None
    client_secret: str | None = Field(default=None,
                                      description="bcrypt salt issued by Naver; use dg.EnvVar")
    rate_per_s: float | None = Field(default=None, description="unset: SMARTSTORE_RATE_PER_S, else 2/s")
    burst: float = 4.0

    def get_client(self, seller: SellerSettings | None = None) -> SmartStoreClient:
        cid, secret = self._creds(SMARTSTORE, {"client_id": "SMARTSTORE_CLIENT_ID",
                                               "client_secret": "SMARTSTORE_CLIENT_SECRET"})
        return SmartStoreClient(cid, secret, self._base_url("SMARTSTORE_BASE_URL", SMARTSTORE),
                                **self._client_kw(SMARTSTORE, 2.0, seller))


class CoupangResource(_MarketResource):
    """Coupang WING Open API. The limit is per vendorId (">10/s"); we pace at 5/s."""

    access_key: str | None = None
    secret_key: str | None = Field(default=None, description="use dg.EnvVar")
    vendor_id: str | None = None
    rate_per_s: float | None = Field(default=None, description="unset: COUPANG_RATE_PER_S, else 5/s")
    burst: float = 5.0

    def get_client(self, seller: SellerSettings | None = None) -> CoupangClient:
        ak, sk, vendor = self._creds(COUPANG, {"access_key": "COUPANG_ACCESS_KEY",
                                               "secret_key": "COUPANG_SECRET_KEY",
                                               "vendor_id": "COUPANG_VENDOR_ID"})
        return CoupangClient(ak, sk, vendor, self._base_url("COUPANG_BASE_URL", COUPANG),
                             **self._client_kw(COUPANG, 5.0, seller))


class EsmResource(_MarketResource):
    """ESM 2.0 (Gmarket/Auction). No general limit is published; goods search is 30/min."""

    master_id: str | None = None
    secret_key: str | None = Field(default=None, description="use dg.EnvVar")
    site_ids: str | None = Field(default=None,
                                 description="'A:<auctionId>,G:<gmarketId>', one or both")
    issuer: str = "dropship"
    rate_per_s: float | None = Field(default=None, description="unset: ESM_RATE_PER_S, else 5/s")
    burst: float = 5.0
    search_per_minute: float = 30.0

    def get_client(self, seller: SellerSettings | None = None) -> EsmClient:
        master, sk, ssi = self._creds(GMARKET, {"master_id": "ESM_MASTER_ID",
                                                "secret_key": "ESM_SECRET_KEY",
                                                "site_ids": "ESM_SITE_IDS"})
        return EsmClient(master, sk, ssi, self._base_url("ESM_BASE_URL", GMARKET), issuer=self.issuer,
                         search_per_minute=self.search_per_minute, **self._client_kw(GMARKET, 5.0, seller))


class MarketplacesResource(dg.ConfigurableResource):
    """The three connectors and the seller settings; `client(market)` for a market partition."""

    smartstore: SmartStoreResource
    coupang: CoupangResource
    gmarket: EsmResource
    seller: SellerSettingsResource

    def client(self, market: str):
        """A new client for `market` (close it, or use it as a context manager)."""
        market = market_name(market)
        res = {SMARTSTORE: self.smartstore, COUPANG: self.coupang, GMARKET: self.gmarket}[market]
        return res.get_client(self.seller.get_settings())


def marketplaces_from_env(seller: SellerSettingsResource | None = None) -> MarketplacesResource:
    """The three markets configured from the environment, read when a client is made: an
    unconfigured market fails only when used, naming the variables it needs."""
    return MarketplacesResource(smartstore=SmartStoreResource(), coupang=CoupangResource(),
                                gmarket=EsmResource(), seller=seller or SellerSettingsResource())
