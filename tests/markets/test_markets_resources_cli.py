"""The Dagster resources (EnvVar credentials) drive a real sync in an asset; the CLI pings."""

from __future__ import annotations

import dagster as dg
import pytest

from dropship_app import markets_cli as cli
from dropship_app.cli import main as dropship_main
from dropship_core.markets.settings import SellerSettings
from dropship_core.markets.sync import sync_listing
from dropship_sandbox import coupang as sb_coupang
from dropship_sandbox import esm as sb_esm
from dropship_sandbox import smartstore as sb_smartstore
from dropship_resources.markets import (MarketplacesResource, SellerSettingsResource,
                                        marketplaces_from_env)
from markets_testkit import MemoryRecorder, make_entry, make_listing


@pytest.fixture
def sandbox_env(sandboxes, monkeypatch):
    env = {
        "SMARTSTORE_BASE_URL": sandboxes.url("smartstore"),
        "SMARTSTORE_CLIENT_ID": sb_smartstore.SANDBOX_CLIENT_ID,
        "SMARTSTORE_CLIENT_SECRET": sb_smartstore.SANDBOX_CLIENT_SECRET,
        "COUPANG_BASE_URL": sandboxes.url("coupang"),
        "COUPANG_ACCESS_KEY": sb_coupang.SANDBOX_ACCESS_KEY,
        "COUPANG_SECRET_KEY": sb_coupang.SANDBOX_SECRET_KEY,
        "COUPANG_VENDOR_ID": sb_coupang.SANDBOX_VENDOR_ID,
        "ESM_BASE_URL": sandboxes.url("gmarket"),
        "ESM_MASTER_ID": sb_esm.SANDBOX_MASTER_ID,
        "ESM_SECRET_KEY": sb_esm.SANDBOX_SECRET_KEY,
        "ESM_SITE_IDS": sb_esm.SANDBOX_SITE_IDS,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def test_resources_publish_from_an_asset(sandbox_env, sandboxes, tmp_path):
    settings = tmp_path / "seller.yaml"
    settings.write_text("coupang_vendor_id: A00000001\ncoupang_return_center_code: '1000000001'\n"
                        "coupang_return_zip_code: '06164'\ncoupang_return_address: 서울\n"
                        "coupang_return_address_detail: 1층\ncoupang_vendor_user_id: wing\n"
                        "coupang_outbound_shipping_place_code: '74010'\n"
                        "esm_dispatch_policy_no: 100001\nesm_place_no: 111\n"
                        "esm_return_place_no: 222\nnaver_upload_images: false\n"
                        "naver_shipping_address_id: 100001\nnaver_return_address_id: 100002\n")
    resource = marketplaces_from_env(SellerSettingsResource(settings_file=str(settings),
                                                            as_phone="02-123-4567"))
    listings = {m: make_listing(options=m != "gmarket", market=m) for m in ("smartstore", "coupang",
                                                                  "gmarket")}

    @dg.asset
    def market_sync_probe(marketplaces: MarketplacesResource) -> dg.MaterializeResult:
        published = {}
        for market, listing in listings.items():
            entry = make_entry(listing)
            with marketplaces.client(market) as client:
                assert client.seller.as_phone == "02-123-4567"
                out = sync_listing(client, market, entry, MemoryRecorder(entry))
            published[market] = out.ok and out.action == "create"
        return dg.MaterializeResult(metadata={m: ok for m, ok in published.items()})

    defs = dg.Definitions(assets=[market_sync_probe], resources={"marketplaces": resource})
    assert defs.get_assets_def("market_sync_probe")
    result = dg.materialize([market_sync_probe], resources={"marketplaces": resource})
    assert result.success
    meta = result.asset_materializations_for_node("market_sync_probe")[0].metadata
    assert {k: v.value for k, v in meta.items()} == {"smartstore": True, "coupang": True,
                                                     "gmarket": True}
    for market, listing in listings.items():
        assert sandboxes.copies(market, listing["seller_code"]) == 1


def test_seller_presets_for_the_sandboxes(sandbox_env, sandboxes, monkeypatch):
    monkeypatch.setenv("DROPSHIP_SELLER_PRESET", "sandbox")
    listing = make_listing(options=False, market="gmarket")

    @dg.asset
    def esm_probe(marketplaces: MarketplacesResource) -> None:
        entry = make_entry(listing)
        with marketplaces.client("esm") as client:
            assert client.seller.esm_dispatch_policy_no == 100001
            out = sync_listing(client, "gmarket", entry, MemoryRecorder(entry))
        assert out.ok and out.action == "create", out

    assert dg.materialize([esm_probe], resources={"marketplaces": marketplaces_from_env()}).success
    assert sandboxes.copies("gmarket", listing["seller_code"]) == 1
    from dropship_core.markets.factory import seller_from_env

    assert seller_from_env().coupang_vendor_id == "A00000001"
    monkeypatch.setenv("DROPSHIP_SELLER_PRESET", "nope")
    with pytest.raises(ValueError):
        seller_from_env()


def test_seller_settings_resource_overrides_file(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("delivery_company: HANJIN\nesm_sites: [Gmkt, Iac]\n")
    s = SellerSettingsResource(settings_file=str(f), as_phone="010-1").get_settings()
    assert (s.delivery_company, s.as_phone, s.esm_sites) == ("HANJIN", "010-1", ("Gmkt", "Iac"))
    s = SellerSettingsResource(preset="sandbox", settings_file=str(f)).get_settings()
    assert (s.delivery_company, s.esm_place_no) == ("HANJIN", 111)
    with pytest.raises(ValueError):
        SellerSettings.from_dict({"no_such_setting": 1})


@pytest.mark.parametrize("market", ["smartstore", "naver", "coupang", "gmarket", "esm"])
def test_cli_ping_ok(sandbox_env, market, capsys):
    assert dropship_main(["markets", "ping", market]) == 0
    assert ": ok" in capsys.readouterr().out


def test_cli_ping_fails_with_the_marketplace_error(sandbox_env, monkeypatch, capsys):
    monkeypatch.setenv("COUPANG_SECRET_KEY", "not-the-key")
    assert dropship_main(["markets", "ping", "coupang"]) == 1
    err = capsys.readouterr().err
    assert "Invalid signature." in err and "not-the-key" not in err


def test_cli_ping_missing_env(monkeypatch, capsys):
    for k in ("ESM_MASTER_ID", "ESM_SECRET_KEY", "ESM_SITE_IDS"):
        monkeypatch.delenv(k, raising=False)
    assert dropship_main(["markets", "ping", "esm"]) == 2
    assert "ESM_MASTER_ID" in capsys.readouterr().err


def test_register_cli_adds_to_an_existing_parser():
    import argparse

    parser = argparse.ArgumentParser(prog="dropship")
    sub = parser.add_subparsers(dest="command")
    cli.register_cli(sub)
    args = parser.parse_args(["markets", "ping", "coupang"])
    assert args.func is cli.cmd_ping and args.market == "coupang"


def test_definitions_load_without_env_and_read_it_at_run_time(sandboxes, monkeypatch):
    for k in ("SMARTSTORE_BASE_URL", "SMARTSTORE_CLIENT_ID", "SMARTSTORE_CLIENT_SECRET"):
        monkeypatch.delenv(k, raising=False)
    resource = marketplaces_from_env()           # as at import of the definitions

    @dg.asset
    def naver_ping(marketplaces: MarketplacesResource) -> dg.MaterializeResult:
        with marketplaces.client("naver") as client:
            return dg.MaterializeResult(metadata={"base_url": client.http.base_url,
                                                  "ok": client.ping()["ok"]})

    defs = dg.Definitions(assets=[naver_ping], resources={"marketplaces": resource})
    assert defs.get_assets_def("naver_ping")
    # the sandbox "starts" after the definitions were built
    monkeypatch.setenv("SMARTSTORE_BASE_URL", sandboxes.url("smartstore"))
    monkeypatch.setenv("SMARTSTORE_CLIENT_ID", sb_smartstore.SANDBOX_CLIENT_ID)
    monkeypatch.setenv("SMARTSTORE_CLIENT_SECRET", sb_smartstore.SANDBOX_CLIENT_SECRET)
    result = dg.materialize([naver_ping], resources={"marketplaces": resource})
    meta = result.asset_materializations_for_node("naver_ping")[0].metadata
    assert meta["base_url"].value == sandboxes.url("smartstore") and meta["ok"].value is True


def test_unconfigured_market_fails_only_when_used(monkeypatch):
    for k in ("ESM_MASTER_ID", "ESM_SECRET_KEY", "ESM_SITE_IDS"):
        monkeypatch.delenv(k, raising=False)
    resource = marketplaces_from_env()

    @dg.asset
    def esm_unconfigured(marketplaces: MarketplacesResource) -> dg.MaterializeResult:
        with pytest.raises(ValueError, match="gmarket is not configured: set ESM_MASTER_ID"):
            marketplaces.client("gmarket")
        return dg.MaterializeResult(metadata={"checked": True})

    assert dg.materialize([esm_unconfigured], resources={"marketplaces": resource}).success
