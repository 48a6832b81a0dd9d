"""Build the connector for a remote supplier account (ownerclan, domeggook, webhook).

Settings in the suppliers.yaml account override environment defaults. Secrets are never read
from suppliers.yaml: the account names the environment variable that holds them (`password_env`,
`api_key_env`), defaulting to OWNERCLAN_PASSWORD / DOMEGGOOK_API_KEY.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from dropship_core.suppliers.base import SupplierConnector
from dropship_core.suppliers.domeggook import PRODUCTION_BASE_URL, DomeggookConnector, DomeggookSettings
from dropship_core.suppliers.ownerclan import (PRODUCTION_API_URL, PRODUCTION_AUTH_URL, OwnerClanConnector,
                                               OwnerClanSettings)
from dropship_core.suppliers.registry import ConfigError, SupplierAccount
from dropship_core.suppliers.webhook_inbox import WebhookInboxConnector

REMOTE_KINDS = ("ownerclan", "domeggook", "webhook")
_INLINE_SECRETS = ("password", "api_key", "secret", "token")


def _coerce(account: SupplierAccount, name: str, value: Any, like: Any) -> Any:
    try:
        if isinstance(like, bool):
            return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        if isinstance(like, int):
            return int(value)
        if isinstance(like, float):
            return float(value)
        if isinstance(like, tuple):
            return tuple(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
        if isinstance(like, dict):
            if not isinstance(value, dict):
                raise ValueError("expected a mapping")
            return {str(k): str(v) for k, v in value.items()}
        return str(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"supplier {account.key!r}: setting {name!r} = {value!r} is invalid ({e})") from None


def apply_account_settings(account: SupplierAccount, base: Any) -> Any:
    """Copy of the settings dataclass `base` with the account's matching settings applied."""
    changes = {}
    for f in dataclasses.fields(base):
        if f.name in account.settings and f.name not in _INLINE_SECRETS:
            changes[f.name] = _coerce(account, f.name, account.settings[f.name], getattr(base, f.name))
    return dataclasses.replace(base, **changes)


def _secret(account: SupplierAccount, env: Mapping[str, str], setting: str, default_env: str) -> str:
    for bad in _INLINE_SECRETS:
        if bad in account.settings:
            raise ConfigError(f"supplier {account.key!r}: do not put {bad!r} in suppliers.yaml; "
                              f"set {setting}: <ENV VAR NAME> and export that variable")
    var = str(account.setting(setting, default_env))
    value = env.get(var, "")
    if not value:
        raise ConfigError(f"supplier {account.key!r}: environment variable {var} is not set")
    return value


# a ping answers fast or names what it could not reach: one short attempt per call
PING_SETTINGS = {"timeout_s": 5.0, "max_retries": 0, "backoff_base_s": 0.2, "max_backoff_s": 0.5}


def connector_for(account: SupplierAccount, env: Mapping[str, str] | None = None, *,
                  overrides: Mapping[str, object] | None = None) -> SupplierConnector:
    """The connector for a remote account. Raises ConfigError for other kinds or missing settings.
    `overrides` replace settings of the API connectors (e.g. PING_SETTINGS)."""
    env = os.environ if env is None else env
    overrides = dict(overrides or {})
    if account.kind == "ownerclan":
        username = account.setting("username") or env.get(str(account.setting("username_env",
                                                                               "OWNERCLAN_USERNAME")), "")
        if not username:
            raise ConfigError(f"supplier {account.key!r}: no OwnerClan username (set username or OWNERCLAN_USERNAME)")
        base = OwnerClanSettings(
            username=str(username),
            password=_secret(account, env, "password_env", "OWNERCLAN_PASSWORD"),
            auth_url=env.get("OWNERCLAN_AUTH_URL") or PRODUCTION_AUTH_URL,
            api_url=env.get("OWNERCLAN_API_URL") or PRODUCTION_API_URL)
        return OwnerClanConnector(account.key, dataclasses.replace(apply_account_settings(account, base),
                                                                   **overrides))
    if account.kind == "domeggook":
        base = DomeggookSettings(api_key=_secret(account, env, "api_key_env", "DOMEGGOOK_API_KEY"),
                                 base_url=env.get("DOMEGGOOK_BASE_URL") or PRODUCTION_BASE_URL)
        settings = dataclasses.replace(apply_account_settings(account, base), **overrides)
        filters = dict(settings.list_params)
        for name, param in (("seller_id", "id"), ("category", "ca"), ("keyword", "kw")):
            if account.setting(name):
                filters[param] = str(account.setting(name))
        return DomeggookConnector(account.key, dataclasses.replace(settings, list_params=filters))
    if account.kind == "webhook":
        url_var = str(account.setting("database_url_env", "DATABASE_URL"))
        from dropship_core.db import database_url

        return WebhookInboxConnector(account.key, env.get(url_var) or database_url(),
                                     schema=account.setting("db_schema"),
                                     batch_size=int(account.setting("batch_size", 10_000)))
    raise ConfigError(f"supplier {account.key!r}: kind {account.kind!r} is not a remote kind "
                      f"({', '.join(REMOTE_KINDS)})")
