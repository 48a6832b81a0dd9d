"""Dagster resources for the remote suppliers: OwnerClan, Domeggook and the webhook inbox.

They hold typed settings (secrets through `dg.EnvVar`) and hand out the pure connectors from
`dropship_core.suppliers`. Timeouts, pacing and retries (429/5xx, honouring Retry-After) live in
those connectors; the fields here set them.
"""


import dataclasses
import os
from typing import Any

import dagster as dg
import psycopg
from pydantic import Field

from dropship_core.suppliers.domeggook import PRODUCTION_BASE_URL, DomeggookConnector, DomeggookSettings
from dropship_core.suppliers.factory_remote import apply_account_settings, connector_for
from dropship_core.suppliers.ownerclan import (PRODUCTION_API_URL, PRODUCTION_AUTH_URL, OwnerClanConnector,
                                               OwnerClanSettings)
from dropship_core.suppliers.registry import SupplierAccount
from dropship_core.webhook import create_app as create_webhook_app

# empty: DATABASE_URL, else the embedded Postgres (dropship_core.db.database_url)
DEFAULT_DATABASE_URL = ""


class OwnerClanResource(dg.ConfigurableResource):
    """OwnerClan seller API (JWT + GraphQL). Point `auth_url`/`api_url` at the sandbox to dry-run."""

    username: str = Field(default="", description="OwnerClan seller id (OWNERCLAN_USERNAME)")
    password: str = Field(default="", description="OwnerClan seller password (OWNERCLAN_PASSWORD)")
    auth_url: str = PRODUCTION_AUTH_URL
    api_url: str = PRODUCTION_API_URL
    page_size: int = Field(default=1000, description="allItems `first`; OwnerClan caps it at 1000")
    timeout_s: float = 30.0
    min_interval_s: float = Field(default=0.4, description="pacing: 0.4 s = 150 requests/minute")
    max_retries: int = 5
    max_backoff_s: float = 60.0
    date_unit: str = Field(default="ms", description="dateFrom unit, 'ms' or 's' (UNVERIFIED)")
    batch_query: str = Field(default="items", description="'items' or 'itemsByKeys' (UNVERIFIED)")

    def settings(self) -> OwnerClanSettings:
        return OwnerClanSettings(
            username=self.username, password=self.password, auth_url=self.auth_url, api_url=self.api_url,
            page_size=self.page_size, timeout_s=self.timeout_s, min_interval_s=self.min_interval_s,
            max_retries=self.max_retries, max_backoff_s=self.max_backoff_s, date_unit=self.date_unit,
            batch_query=self.batch_query)

    def connector(self, supplier_key: str, account: SupplierAccount | None = None) -> OwnerClanConnector:
        """A connector; settings in the suppliers.yaml `account` override the resource's."""
        s = self.settings()
        if account is not None:
            s = apply_account_settings(account, s)
        return OwnerClanConnector(supplier_key, s)


class DomeggookResource(dg.ConfigurableResource):
    """Domeggook / Domeme Open API (getItemList + getItemView)."""

    api_key: str = Field(default="", description="Open API key, `aid` (DOMEGGOOK_API_KEY)")
    base_url: str = PRODUCTION_BASE_URL
    market: str = Field(default="supply", description="'dome' (도매꾹) or 'supply' (도매매)")
    page_size: int = Field(default=200, description="getItemList sz, 1..200")
    timeout_s: float = 30.0
    min_interval_s: float = Field(default=0.4, description="pacing under the 180 calls/minute block")
    max_retries: int = 5
    block_backoff_s: float = 65.0
    max_block_waits: int = 3
    refresh_per_run: int = 100

    def settings(self) -> DomeggookSettings:
        return DomeggookSettings(
            api_key=self.api_key, base_url=self.base_url, market=self.market, page_size=self.page_size,
            timeout_s=self.timeout_s, min_interval_s=self.min_interval_s, max_retries=self.max_retries,
            block_backoff_s=self.block_backoff_s, max_block_waits=self.max_block_waits,
            refresh_per_run=self.refresh_per_run)

    def connector(self, supplier_key: str, account: SupplierAccount | None = None) -> DomeggookConnector:
        s = self.settings()
        if account is not None:
            s = apply_account_settings(account, s)
            filters = dict(s.list_params)
            for name, param in (("seller_id", "id"), ("category", "ca"), ("keyword", "kw")):
                if account.setting(name):
                    filters[param] = str(account.setting(name))
            s = dataclasses.replace(s, list_params=filters)
        return DomeggookConnector(supplier_key, s)


class WebhookResource(dg.ConfigurableResource):
    """The webhook receiver's settings and read access to its inbox (used by the inbox sensor)."""

    secret: str = Field(default="", description="HMAC-SHA256 signing secret (WEBHOOK_SECRET)")
    database_url: str = DEFAULT_DATABASE_URL
    db_schema: str | None = Field(default=None, description="search_path for the inbox table, if not public")
    max_body_bytes: int = 256 * 1024
    tolerance_s: float = 300.0

    def _connect(self) -> psycopg.Connection:
        kw: dict[str, Any] = {}
        if self.db_schema:
            kw["options"] = f"-c search_path={self.db_schema}"
        return psycopg.connect(self._url(), **kw)

    def _url(self) -> str:
        from dropship_core.db import database_url

        return self.database_url or database_url()

    def app(self, suppliers: set[str] | None = None):
        """The ASGI receiver app (serve it with uvicorn or `ServerThread`)."""
        return create_webhook_app(self._url(), self.secret, suppliers=suppliers,
                                  max_body_bytes=self.max_body_bytes, tolerance_s=self.tolerance_s,
                                  schema=self.db_schema)

    def events_after(self, after_id: int, limit: int) -> list[tuple[int, str, str, str | None]]:
        """(id, supplier_key, event_type, supplier_item_id) of inbox rows after `after_id`, by id."""
        with self._connect() as conn:
            return conn.execute(
                "SELECT id, supplier_key, event_type, supplier_item_id FROM webhook_inbox WHERE id > %s"
                " ORDER BY id LIMIT %s", (after_id, limit)).fetchall()


def _env(name: str, default: str = "") -> Any:
    """`dg.EnvVar(name)` when the variable is set (its value never enters config), else `default`."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def remote_supplier_resources() -> dict[str, dg.ConfigurableResource]:
    """The resources under their conventional keys, bound to the environment variables."""
    return {
        "ownerclan": OwnerClanResource(
            username=_env("OWNERCLAN_USERNAME"), password=_env("OWNERCLAN_PASSWORD"),
            auth_url=_env("OWNERCLAN_AUTH_URL", PRODUCTION_AUTH_URL),
            api_url=_env("OWNERCLAN_API_URL", PRODUCTION_API_URL)),
        "domeggook": DomeggookResource(
            api_key=_env("DOMEGGOOK_API_KEY"), base_url=_env("DOMEGGOOK_BASE_URL", PRODUCTION_BASE_URL)),
        "webhook": WebhookResource(
            secret=_env("WEBHOOK_SECRET"), database_url=_env("DATABASE_URL", DEFAULT_DATABASE_URL)),
    }


__all__ = ["DomeggookResource", "OwnerClanResource", "WebhookResource", "connector_for",
           "remote_supplier_resources"]
