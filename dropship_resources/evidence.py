"""The market-evidence source (Naver Shopping search) as a resource. Credentials only through
dg.EnvVar (NAVER_SEARCH_CLIENT_ID / NAVER_SEARCH_CLIENT_SECRET); unset means no evidence."""

from __future__ import annotations

import os
from typing import Optional

import dagster as dg
from pydantic import Field

from dropship_core.evidence.naver_search import DAILY_LIMIT, DEFAULT_BASE_URL, SOURCE, NaverShopSearch
from dropship_core.evidence.store import EvidenceStore


class MarketSearchResource(dg.ConfigurableResource):
    client_id: Optional[str] = Field(default=None, description="dg.EnvVar('NAVER_SEARCH_CLIENT_ID')")
    client_secret: Optional[str] = Field(default=None, description="dg.EnvVar('NAVER_SEARCH_CLIENT_SECRET')")
    base_url: str = DEFAULT_BASE_URL
    daily_limit: int = Field(default=DAILY_LIMIT, description="calls per day for this application")
    cache_ttl_hours: float = 24.0

    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def client(self, evidence: EvidenceStore) -> NaverShopSearch | None:
        if not self.configured():
            return None
        return NaverShopSearch(self.client_id, self.client_secret, base_url=self.base_url,
                               budget=evidence.budget(SOURCE), cache=evidence.cache(),
                               daily_limit=self.daily_limit, cache_ttl_s=self.cache_ttl_hours * 3600)


def market_search_from_env() -> MarketSearchResource:
    def secret(name):
        return dg.EnvVar(name) if os.environ.get(name) else None

    limit = os.environ.get("NAVER_SEARCH_DAILY_LIMIT", "").strip()
    return MarketSearchResource(client_id=secret("NAVER_SEARCH_CLIENT_ID"),
                                client_secret=secret("NAVER_SEARCH_CLIENT_SECRET"),
                                base_url=os.environ.get("NAVER_SEARCH_URL") or DEFAULT_BASE_URL,
                                daily_limit=int(limit) if limit else DAILY_LIMIT)
