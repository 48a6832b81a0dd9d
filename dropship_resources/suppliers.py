"""Supplier accounts (suppliers.yaml) and the connector for each."""


import dagster as dg

from dropship_core.suppliers.base import SupplierConnector
from dropship_core.suppliers.factory_remote import REMOTE_KINDS, connector_for
from dropship_core.suppliers.excel import ExcelCatalog
from dropship_core.suppliers.registry import ConfigError, SupplierAccount, load_accounts


class SuppliersResource(dg.ConfigurableResource):
    """Where the supplier accounts are configured. One account = one `supplier` partition."""

    config_path: str = ""  # empty: DROPSHIP_SUPPLIERS at run time, else ./suppliers.yaml

    def accounts(self) -> list[SupplierAccount]:
        return load_accounts(self.config_path or None)

    def account(self, key: str) -> SupplierAccount:
        for acc in self.accounts():
            if acc.key == key:
                return acc
        raise ConfigError(f"no supplier account {key!r} in {self.config_path or 'suppliers.yaml'}")

    def connector(self, account: SupplierAccount) -> SupplierConnector:
        if account.kind == "excel":
            path = account.setting("path")
            if not path:
                raise ConfigError(f"supplier {account.key}: an excel account needs 'path'")
            return ExcelCatalog(account.key, path, default_shipping_fee=int(account.setting("shipping_fee", 0)))
        if account.kind in REMOTE_KINDS:
            return connector_for(account)
        raise ConfigError(f"supplier {account.key}: no connector for kind {account.kind!r}")
