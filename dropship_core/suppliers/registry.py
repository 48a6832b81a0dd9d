"""Supplier accounts, as configured in suppliers.yaml.

Each account becomes one `supplier` partition. Keys may not contain commas or slashes (Dagster
partition keys) and are kept lower-case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dropship_core import config

KINDS = ("excel", "ownerclan", "domeggook", "webhook")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class ConfigError(ValueError):
    pass


@dataclass
class SupplierAccount:
    key: str
    kind: str
    name: str = ""
    enabled: bool = True
    # kind-specific settings (path, inbox, base_url, credentials env names, ...)
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)


def default_config_path() -> Path:
    return Path(config.get("DROPSHIP_SUPPLIERS"))


def parse_accounts(doc: Any, base_dir: Path | None = None) -> list[SupplierAccount]:
    if not isinstance(doc, dict) or not isinstance(doc.get("suppliers"), list):
        raise ConfigError("suppliers.yaml must have a top-level 'suppliers:' list")
    accounts: list[SupplierAccount] = []
    seen: set[str] = set()
    for i, entry in enumerate(doc["suppliers"]):
        if not isinstance(entry, dict):
            raise ConfigError(f"suppliers[{i}] must be a mapping")
        key = str(entry.get("key", "")).strip()
        kind = str(entry.get("kind", "")).strip()
        if not _KEY_RE.match(key):
            raise ConfigError(
                f"suppliers[{i}]: key {key!r} must be lower-case letters, digits, '-', '_' or '.'"
                " (no commas or slashes), at most 64 characters"
            )
        if key in seen:
            raise ConfigError(f"suppliers[{i}]: duplicate key {key!r}")
        if kind not in KINDS:
            raise ConfigError(f"supplier {key!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        seen.add(key)
        settings = {k: v for k, v in entry.items() if k not in ("key", "kind", "name", "enabled")}
        if base_dir is not None:
            for path_key in ("path", "inbox"):
                if path_key in settings and not Path(settings[path_key]).is_absolute():
                    settings[path_key] = str((base_dir / settings[path_key]).resolve())
        accounts.append(
            SupplierAccount(
                key=key,
                kind=kind,
                name=str(entry.get("name", key)),
                enabled=bool(entry.get("enabled", True)),
                settings=settings,
            )
        )
    return accounts


def load_accounts(path: str | Path | None = None) -> list[SupplierAccount]:
    p = Path(path) if path else default_config_path()
    if not p.exists():
        raise ConfigError(f"supplier config {p} not found")
    with open(p, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return parse_accounts(doc, base_dir=p.resolve().parent)


def get_account(key: str, path: str | Path | None = None) -> SupplierAccount:
    for acc in load_accounts(path):
        if acc.key == key:
            return acc
    raise ConfigError(f"no supplier account {key!r} in {path or default_config_path()}")
