"""The market-evidence source (Naver Shopping search) as a resource. Credentials only through
dg.EnvVar (NAVER_SEARCH_CLIENT_ID / NAVER_SEARCH_CLIENT_SECRET); unset means no evidence."""

from __future__ import annotations

from typing import Optional

import dagster as dg
from pydantic import Field

from dropship_core import config

from dropship_core.evidence.naver_search import DAILY_LIMIT, DEFAULT_BASE_URL, SOURCE, NaverShopSearch
from dropship_core.evidence.store import EvidenceStore


class MarketSearchResource(dg.ConfigurableResource):
    client_id: Optional[str] = Field(default=None, description="dg.EnvVar('NAVER_SEARCH_CLIENT_ID')")
    client_secret: Optional[str] = Field(default=None, description="dg.EnvVar('NAVER_SEARCH_CLIENT_SECRET')")
    base_url: Optional[str] = Field(default=None, description="unset: NAVER_SEARCH_URL, else the real API")
    daily_limit: Optional[int] = Field(default=None, description="calls per day for this application; "
                                                                  "unset: NAVER_SEARCH_DAILY_LIMIT, else 25,000")
    cache_ttl_hours: float = 24.0

    def _credentials(self) -> tuple[str | None, str | None]:
        return (self.client_id or config.get("NAVER_SEARCH_CLIENT_ID"),
                self.client_secret or config.get("NAVER_SEARCH_CLIENT_SECRET"))

    def configured(self) -> bool:
        return all(self._credentials())

    def client(self, evidence: EvidenceStore) -> NaverShopSearch | None:
        if not self.configured():
            return None
        cid, secret = self._credentials()
        limit = self.daily_limit or int(config.get("NAVER_SEARCH_DAILY_LIMIT") or DAILY_LIMIT)
        return NaverShopSearch(cid, secret, base_url=self.base_url or config.get("NAVER_SEARCH_URL") or DEFAULT_BASE_URL,
                               budget=evidence.budget(SOURCE), cache=evidence.cache(),
                               daily_limit=limit, cache_ttl_s=self.cache_ttl_hours * 3600)


def market_search_from_env() -> MarketSearchResource:
    """Configured from NAVER_SEARCH_* when a run uses it."""
    return MarketSearchResource()
