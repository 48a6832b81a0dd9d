"""Marketplace connectors as Dagster resources.

Each resource holds typed config (base URL, credentials from `dg.EnvVar`, timeouts, pacing,
retry bounds) and hands out a client from `dropship_core.markets` (pure code, no Dagster).
`MarketplacesResource` bundles the three plus the seller settings, so an asset partitioned by
market asks for `marketplaces.client(market)`.

    defs = dg.Definitions(..., resources={"marketplaces": marketplaces_from_env()})
"""

from __future__ import annotations

import os
from dataclasses import fields as dc_fields

import dagster as dg
from pydantic import Field

from dropship_core.markets.coupang import CoupangClient
from dropship_core.markets.esm import EsmClient
from dropship_core.markets.factory import market_name
from dropship_core.markets.http import RetryPolicy
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
        base = preset(self.preset)
        if self.settings_file:
            base = SellerSettings.from_yaml(self.settings_file, base)
        d = {f.name: getattr(base, f.name) for f in dc_fields(SellerSettings)}
        for name in d:
            v = getattr(self, name, None)
            if v is not None:
                d[name] = tuple(v) if name == "esm_sites" else v
        return SellerSettings(**d)


class _MarketResource(dg.ConfigurableResource):
    timeout_s: float = Field(default=30.0, description="read timeout per request")
    connect_timeout_s: float = 5.0
    max_attempts: int = Field(default=5, description="attempts per call on 429/5xx/timeouts")
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_retry_after_s: float = Field(default=120.0,
                                     description="a longer Retry-After ends the retries")

    def _retry(self) -> RetryPolicy:
        return RetryPolicy(max_attempts=self.max_attempts, backoff_base=self.backoff_base_s,
                           backoff_max=self.backoff_max_s, max_retry_after=self.max_retry_after_s)


class SmartStoreResource(_MarketResource):
    """Naver Commerce API (SmartStore). Pacing defaults to the measured 2 req/s, burst 4."""

    base_url: str = DEFAULT_BASE_URLS[SMARTSTORE]
    client_id: str
    client_secret: str = Field(description="bcrypt salt issued by Naver; use dg.EnvVar")
    rate_per_s: float = 2.0
    burst: float = 4.0

    def get_client(self, seller: SellerSettings | None = None) -> SmartStoreClient:
        return SmartStoreClient(self.client_id, self.client_secret, self.base_url,
                                timeout=self.timeout_s, connect_timeout=self.connect_timeout_s,
                                rate=self.rate_per_s, burst=self.burst, retry=self._retry(),
                                seller=seller)


class CoupangResource(_MarketResource):
    """Coupang WING Open API. The limit is per vendorId (">10/s"); we pace at 5/s."""

    base_url: str = DEFAULT_BASE_URLS[COUPANG]
    access_key: str
    secret_key: str = Field(description="use dg.EnvVar")
    vendor_id: str
    rate_per_s: float = 5.0
    burst: float = 5.0

    def get_client(self, seller: SellerSettings | None = None) -> CoupangClient:
        return CoupangClient(self.access_key, self.secret_key, self.vendor_id, self.base_url,
                             timeout=self.timeout_s, connect_timeout=self.connect_timeout_s,
                             rate=self.rate_per_s, burst=self.burst, retry=self._retry(),
                             seller=seller)


class EsmResource(_MarketResource):
    """ESM 2.0 (Gmarket/Auction). No general limit is published; goods search is 30/min."""

    base_url: str = DEFAULT_BASE_URLS[GMARKET]
    master_id: str
    secret_key: str = Field(description="use dg.EnvVar")
    site_ids: str = Field(description="'A:<auctionId>,G:<gmarketId>', one or both")
    issuer: str = "dropship"
    rate_per_s: float = 5.0
    burst: float = 5.0
    search_per_minute: float = 30.0

    def get_client(self, seller: SellerSettings | None = None) -> EsmClient:
        return EsmClient(self.master_id, self.secret_key, self.site_ids, self.base_url,
                         issuer=self.issuer, timeout=self.timeout_s,
                         connect_timeout=self.connect_timeout_s, rate=self.rate_per_s,
                         burst=self.burst, search_per_minute=self.search_per_minute,
                         retry=self._retry(), seller=seller)


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
    """Resources wired to the documented env vars; secrets stay `dg.EnvVar` (read at run time).
    Base URLs are read now and default to the real services."""
    env = os.environ.get
    return MarketplacesResource(
        smartstore=SmartStoreResource(
            base_url=env("SMARTSTORE_BASE_URL") or DEFAULT_BASE_URLS[SMARTSTORE],
            client_id=dg.EnvVar("SMARTSTORE_CLIENT_ID"),
            client_secret=dg.EnvVar("SMARTSTORE_CLIENT_SECRET")),
        coupang=CoupangResource(
            base_url=env("COUPANG_BASE_URL") or DEFAULT_BASE_URLS[COUPANG],
            access_key=dg.EnvVar("COUPANG_ACCESS_KEY"),
            secret_key=dg.EnvVar("COUPANG_SECRET_KEY"),
            vendor_id=dg.EnvVar("COUPANG_VENDOR_ID")),
        gmarket=EsmResource(
            base_url=env("ESM_BASE_URL") or DEFAULT_BASE_URLS[GMARKET],
            master_id=dg.EnvVar("ESM_MASTER_ID"), secret_key=dg.EnvVar("ESM_SECRET_KEY"),
            site_ids=dg.EnvVar("ESM_SITE_IDS")),
        seller=seller or SellerSettingsResource(
            preset=env("DROPSHIP_SELLER_PRESET") or None,
            settings_file=env("DROPSHIP_SELLER_SETTINGS") or None),
    )
