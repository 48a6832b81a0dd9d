"""The order sandboxes mounted on the existing sandbox hosts (same base URLs, same credentials):
SmartStore, Coupang and ESM order endpoints beside their product endpoints, OwnerClan's order
operations beside its catalog on the same GraphQL path.

`start_order_stack()` returns the servers and the environment that points every connector at
them; the servers' apps carry `.orders` (the sandbox state) and `.faults` for tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dropship_sandbox import coupang, esm, ownerclan, smartstore
from dropship_core.serve import ServerGroup, ServerThread
from dropship_sandbox import coupang_orders, esm_orders, ownerclan_orders, smartstore_orders
from dropship_sandbox.overlay import Overlay, by_prefix, graphql_orders

OWNERCLAN_USER, OWNERCLAN_PASS = ownerclan.DEFAULT_USERNAME, ownerclan.DEFAULT_PASSWORD


@dataclass
class OrderStack(ServerGroup):
    orders: dict[str, Any] = field(default_factory=dict)   # sandbox order state per name
    faults: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)     # the product/catalog sandbox state
    env: dict[str, str] = field(default_factory=dict)


def _share(base_app):
    sb = base_app.state.sandbox

    def share(token: str, client_id: str, exp: float) -> None:
        with sb.lock:
            sb.tokens[token] = (client_id, exp)
    return share


def start_order_stack(*, ownerclan_items: int = 300, rate_limits: bool = True,
                      esm_query_interval_s: float = 5.0, ports: dict[str, int] | None = None
                      ) -> OrderStack:
    ports = ports or {}
    st = OrderStack()
    ss_base = smartstore.create_app(require_cdn_images=False,
                                    **({} if rate_limits else {"rate": None}))
    ss = smartstore_orders.create_app({smartstore.SANDBOX_CLIENT_ID: smartstore.SANDBOX_CLIENT_SECRET},
                                      rate=2.0 if rate_limits else None, share_token=_share(ss_base))
    cp_base = coupang.create_app(**({} if rate_limits else {"rate": None}))
    cp = coupang_orders.create_app(
        {coupang.SANDBOX_ACCESS_KEY: (coupang.SANDBOX_SECRET_KEY, coupang.SANDBOX_VENDOR_ID)},
        rate=10.0 if rate_limits else None)
    es_base = esm.create_app(**({} if rate_limits else {"rate": None}))
    es = esm_orders.create_app({esm.SANDBOX_MASTER_ID: (esm.SANDBOX_SECRET_KEY, esm.SANDBOX_SITE_IDS)},
                               query_interval_s=esm_query_interval_s)
    oc_base = ownerclan.create_app(count=ownerclan_items, **({} if rate_limits else {"rpm_limit": 0}))
    base_state = oc_base.state.sandbox
    oc = ownerclan_orders.create_app(base_state.item, jwt_key=lambda: base_state.jwt_key)
    apps = {
        "smartstore": (Overlay(ss_base, ss, by_prefix("/v1/pay-order/", "/v1/oauth2/token",
                                                      "/__orders")), ss, ss_base),
        "coupang": (Overlay(cp_base, cp, by_prefix("/v2/providers/openapi/", "/__orders")), cp,
                    cp_base),
        "esm": (Overlay(es_base, es, by_prefix("/shipping/", "/claim/", "/__orders")), es, es_base),
        "ownerclan": (Overlay(oc_base, oc, graphql_orders, needs_body=True), oc, oc_base),
    }
    try:
        for name, (app, orders_app, base_app) in apps.items():
            st.servers[name] = ServerThread(app, port=ports.get(name, 0)).start()
            st.orders[name] = orders_app.state.orders
            st.faults[name] = orders_app.state.faults
            st.base[name] = base_app.state.sandbox
    except Exception:
        st.stop()
        raise
    st.env = {
        "SMARTSTORE_BASE_URL": st.url("smartstore"),
        "SMARTSTORE_CLIENT_ID": smartstore.SANDBOX_CLIENT_ID,
        "SMARTSTORE_CLIENT_SECRET": smartstore.SANDBOX_CLIENT_SECRET,
        "COUPANG_BASE_URL": st.url("coupang"), "COUPANG_ACCESS_KEY": coupang.SANDBOX_ACCESS_KEY,
        "COUPANG_SECRET_KEY": coupang.SANDBOX_SECRET_KEY,
        "COUPANG_VENDOR_ID": coupang.SANDBOX_VENDOR_ID,
        "ESM_BASE_URL": st.url("esm"), "ESM_MASTER_ID": esm.SANDBOX_MASTER_ID,
        "ESM_SECRET_KEY": esm.SANDBOX_SECRET_KEY, "ESM_SITE_IDS": esm.SANDBOX_SITE_IDS,
        "ESM_ORDER_QUERY_INTERVAL_S": str(esm_query_interval_s),
        "OWNERCLAN_AUTH_URL": f"{st.url('ownerclan')}/auth",
        "OWNERCLAN_API_URL": f"{st.url('ownerclan')}/v1/graphql",
        "OWNERCLAN_USERNAME": OWNERCLAN_USER, "OWNERCLAN_PASSWORD": OWNERCLAN_PASS,
        "DROPSHIP_SELLER_PRESET": "sandbox",
    }
    if not rate_limits:
        st.env.update(SMARTSTORE_RATE_PER_S="1000", COUPANG_RATE_PER_S="1000",
                      ESM_RATE_PER_S="1000", DROPSHIP_OWNERCLAN_ORDER_INTERVAL_S="0")
    return st


def main(argv: list[str] | None = None) -> None:
    """Serve the sandboxes with their order endpoints until interrupted; print the env."""
    import argparse
    import time

    ap = argparse.ArgumentParser(description="order sandboxes on the sandbox hosts")
    ap.add_argument("--no-rate-limits", action="store_true")
    ap.add_argument("--esm-interval", type=float, default=5.0)
    args = ap.parse_args(argv)
    st = start_order_stack(rate_limits=not args.no_rate_limits,
                           esm_query_interval_s=args.esm_interval)
    for k, v in st.env.items():
        print(f"export {k}='{v}'")
    print("# seed paid orders: POST <market url>/__orders/seed {\"orders\": [...]}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        st.stop()


if __name__ == "__main__":
    main()
