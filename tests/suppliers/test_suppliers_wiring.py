"""suppliers.yaml -> connectors, the `suppliers ping` CLI, the resources, and secrets staying secret."""

from __future__ import annotations

import json
import logging

import dagster as dg
import pytest
import yaml

from dropship_sandbox.domeggook import DEFAULT_API_KEY
from dropship_sandbox.ownerclan import DEFAULT_PASSWORD, DEFAULT_USERNAME
from dropship_core.suppliers.base import SYNC_FULL, SYNC_INCREMENTAL, SupplierError
from dropship_app.cli import main as cli_main
from dropship_core.suppliers.domeggook import DomeggookConnector
from dropship_core.suppliers.factory_remote import connector_for
from dropship_core.suppliers.ownerclan import OwnerClanConnector
from dropship_core.suppliers.registry import ConfigError, SupplierAccount, get_account
from dropship_core.suppliers.webhook_inbox import WebhookInboxConnector
from dropship_resources.suppliers import SuppliersResource
from dropship_resources.suppliers_remote import WebhookResource



def test_account_settings_override_env_defaults(ownerclan, domeggook):
    oc, dg_sb = ownerclan(count=30), domeggook(count=30)
    env = {"OWNERCLAN_USERNAME": DEFAULT_USERNAME, "OWNERCLAN_PASSWORD": DEFAULT_PASSWORD,
           "OWNERCLAN_AUTH_URL": oc.url + "/auth", "OWNERCLAN_API_URL": "http://127.0.0.1:9/unused",
           "DOMEGGOOK_API_KEY": DEFAULT_API_KEY, "DOMEGGOOK_BASE_URL": dg_sb.url + "/ssl/api/"}
    acc = SupplierAccount("ownerclan-main", "ownerclan", settings={
        "api_url": oc.url + "/v1/graphql", "page_size": "10", "min_interval_s": 0})
    c = connector_for(acc, env)
    assert isinstance(c, OwnerClanConnector) and c.s.page_size == 10 and c.s.auth_url == oc.url + "/auth"
    assert len(c.fetch(SYNC_FULL, None).products) == 30

    acc = SupplierAccount("domeggook-a", "domeggook", settings={
        "market": "dome", "seller_id": "dome_seller2", "min_interval_s": 0, "page_size": 7})
    d = connector_for(acc, env)
    assert isinstance(d, DomeggookConnector) and d.s.list_params == {"id": "dome_seller2"}
    r = d.fetch(SYNC_FULL, None)
    sellers = {p.raw["domeggook"]["seller"]["id"] for p in r.products}
    assert r.products and sellers == {"dome_seller2"}


def test_factory_refuses_inline_secrets_and_names_missing_env():
    with pytest.raises(ConfigError, match="password_env"):
        connector_for(SupplierAccount("oc", "ownerclan", settings={"username": "u", "password": "pw"}), {})
    with pytest.raises(ConfigError, match="MY_KEY is not set"):
        connector_for(SupplierAccount("dg", "domeggook", settings={"api_key_env": "MY_KEY"}), {})
    with pytest.raises(ConfigError, match="not a remote kind"):
        connector_for(SupplierAccount("x", "excel", settings={"path": "a.xlsx"}), {})
    with pytest.raises(ConfigError, match="page_size"):
        connector_for(SupplierAccount("dg", "domeggook", settings={"page_size": "many"}), {"DOMEGGOOK_API_KEY": "k"})


def _write_yaml(path, accounts):
    path.write_text(yaml.safe_dump({"suppliers": accounts}), encoding="utf-8")


def test_cli_ping_exit_codes(tmp_path, monkeypatch, capsys, ownerclan, domeggook):
    oc, dg_sb = ownerclan(count=5), domeggook(count=5)
    cfg = tmp_path / "suppliers.yaml"
    _write_yaml(cfg, [
        {"key": "ownerclan-main", "kind": "ownerclan", "auth_url": oc.url + "/auth",
         "api_url": oc.url + "/v1/graphql", "min_interval_s": 0},
        {"key": "domeggook-a", "kind": "domeggook", "base_url": dg_sb.url + "/ssl/api/", "min_interval_s": 0},
        {"key": "domeggook-bad", "kind": "domeggook", "base_url": dg_sb.url + "/ssl/api/",
         "api_key_env": "OTHER_DOMEGGOOK_KEY", "min_interval_s": 0, "max_retries": 0},
        {"key": "excel-acme", "kind": "excel", "path": "acme.xlsx"},
    ])
    monkeypatch.setenv("OWNERCLAN_USERNAME", DEFAULT_USERNAME)
    monkeypatch.setenv("OWNERCLAN_PASSWORD", DEFAULT_PASSWORD)
    monkeypatch.setenv("DOMEGGOOK_API_KEY", DEFAULT_API_KEY)
    secret = "wrong-key-that-must-not-print"
    monkeypatch.setenv("OTHER_DOMEGGOOK_KEY", secret)
    assert cli_main(["suppliers", "ping", "ownerclan-main", "--config", str(cfg)]) == 0
    assert cli_main(["suppliers", "ping", "domeggook-a", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "ownerclan-main: OK" in out and "domeggook-a: OK" in out
    assert cli_main(["suppliers", "ping", "domeggook-bad", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "INVALID_AID" in err and secret not in err
    monkeypatch.setenv("OWNERCLAN_PASSWORD", "not-the-password-123")
    assert cli_main(["suppliers", "ping", "ownerclan-main", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "not-the-password-123" not in err
    assert cli_main(["suppliers", "ping", "nope", "--config", str(cfg)]) == 2
    assert cli_main(["suppliers", "ping", "excel-acme", "--config", str(cfg)]) == 2
    assert get_account("ownerclan-main", cfg).kind == "ownerclan"


def test_suppliers_resource_builds_remote_connectors_from_env_at_run_time(ownerclan, domeggook, tmp_path,
                                                                       monkeypatch):
    """OwnerClan and Domeggook connectors come from the account plus the environment, read when
    the connector is made (not when the resource or the code location is built)."""
    oc, dg_sb = ownerclan(count=12), domeggook(count=12)
    cfg = tmp_path / "suppliers.yaml"
    cfg.write_text("suppliers:\n  - {key: ownerclan-main, kind: ownerclan, page_size: 5, min_interval_s: 0}\n"
                   "  - {key: domeggook-a, kind: domeggook, min_interval_s: 0}\n", encoding="utf-8")
    res = SuppliersResource(config_path=str(cfg))
    monkeypatch.setenv("OWNERCLAN_USERNAME", DEFAULT_USERNAME)
    monkeypatch.setenv("OWNERCLAN_PASSWORD", DEFAULT_PASSWORD)
    monkeypatch.setenv("OWNERCLAN_AUTH_URL", oc.url + "/auth")
    monkeypatch.setenv("OWNERCLAN_API_URL", oc.url + "/v1/graphql")
    monkeypatch.setenv("DOMEGGOOK_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("DOMEGGOOK_BASE_URL", dg_sb.url + "/ssl/api/")
    r = res.connector(res.account("ownerclan-main")).fetch(SYNC_FULL, None)
    assert len(r.products) == 12 and r.stats["pages"] == 3
    assert res.connector(res.account("domeggook-a")).ping().startswith("Domeggook (supply)")


def test_webhook_secret_read_at_run_time_and_never_recorded(monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", "wh-from-env-xyz")
    res = {"webhook": WebhookResource()}

    @dg.asset
    def probe(webhook: WebhookResource) -> None:
        assert webhook.secret == "" and webhook.app() is not None

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([probe], resources=res, instance=instance)
        assert result.success
        text = json.dumps([str(e) for e in instance.all_logs(result.run_id)])
        text += json.dumps(instance.get_run_by_id(result.run_id).run_config, default=str)
        assert "wh-from-env-xyz" not in text


def test_secrets_never_in_errors_or_logs(ownerclan, domeggook, oc_connector, dg_connector, caplog):
    caplog.set_level(logging.DEBUG)
    oc, dg_sb = ownerclan(count=40), domeggook(count=40)
    password, key = "Pw-SECRET-4242", "KEY-SECRET-4242"
    errors = []
    for connector in (oc_connector(oc, password=password), dg_connector(dg_sb, api_key=key)):
        for call in (connector.ping, lambda c=connector: c.fetch(SYNC_FULL, None)):
            with pytest.raises(SupplierError) as e:
                call()
            errors.append(f"{e.value!s} {e.value!r}")
    # a good token, then a failure after it was issued: the token must not leak either
    good = oc_connector(oc, max_retries=0)
    full = good.fetch(SYNC_FULL, None)
    token = good._token
    oc.post("/__faults", {"http_502": 1, "retry_after": 0})
    with pytest.raises(SupplierError) as e:
        good.fetch(SYNC_INCREMENTAL, full.next_cursor)
    errors.append(str(e.value))
    blob = " ".join(errors) + caplog.text
    for s in (password, key, token, DEFAULT_PASSWORD):
        assert s not in blob


def test_webhook_inbox_connector(pg, pg_schema, database_url):
    events = [
        ("evt-1", "item.changed", "A1", {"product": {"name": "텀블러 500ml", "cost": 5000, "stock": 3}}),
        ("evt-2", "item.changed", "B2", {"product": {"name": "머그컵", "cost": 3000,
                                                     "variants": [{"sku": "B2-BK", "options": {"색상": "블랙"},
                                                                   "stock": 2}]}}),
        ("evt-3", "item.stock_changed", "A1", {"product": {"name": "텀블러 500ml", "cost": 5000, "stock": 0,
                                                           "status": "soldout"}}),
        ("evt-4", "item.deleted", "C3", {}),
        ("evt-5", "item.changed", "D4", {"price": 1}),  # no snapshot -> quarantined with a reason
        ("evt-6", "item.changed", "E5", {"product": {"name": "x", "cost": -5}}),
    ]
    for eid, etype, item, data in events:
        payload = {"id": eid, "type": etype, "item_id": item, "data": data}
        pg.execute("INSERT INTO webhook_inbox (supplier_key, event_id, event_type, supplier_item_id, payload,"
                   " signed_at) VALUES ('push-acme', %s, %s, %s, %s::jsonb, 0)",
                   (eid, etype, item, json.dumps(payload, ensure_ascii=False)))
    conn = WebhookInboxConnector("push-acme", database_url, schema=pg_schema)
    r = conn.fetch(SYNC_INCREMENTAL, None)
    got = {p.supplier_item_id: p for p in r.products}
    assert set(got) == {"A1", "B2"} and got["A1"].status == "soldout" and got["A1"].stock == 0
    assert got["B2"].variants[0].options == {"색상": "블랙"} and got["B2"].raw["id"] == "evt-2"
    assert r.deleted_ids == ["C3"]
    assert sorted(x.reason.split(":")[0] for x in r.rejects) == ["item E5", "item.changed for D4"]
    assert r.stats["events"] == 6
    again = conn.fetch(SYNC_INCREMENTAL, r.next_cursor)
    assert again.products == [] and again.next_cursor == r.next_cursor
    assert "6 events" in conn.ping()


def test_cli_joins_an_existing_suppliers_group():
    import argparse

    from dropship_app.suppliers_cli import register_cli

    parser = argparse.ArgumentParser(prog="dropship")
    sub = parser.add_subparsers(dest="command", required=True)
    ssub = sub.add_parser("suppliers").add_subparsers(dest="suppliers_cmd", required=True)
    ssub.add_parser("import-excel")
    register_cli(sub, {"suppliers": ssub})
    args = parser.parse_args(["suppliers", "ping", "ownerclan-main"])
    assert args.key == "ownerclan-main" and args.func.__name__ == "cmd_ping"
