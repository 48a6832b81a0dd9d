"""All local sandboxes at once: suppliers (OwnerClan, Domeggook), the webhook receiver and, when
present, the marketplaces. `dropship sandbox serve` and `make demo` use this.

`Stack.env()` is the environment that points the connectors at the sandboxes, with the sandboxes'
own credentials. Those are test credentials of the local servers, not secrets of anyone's account.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from dropship_core.serve import ServerGroup, ServerThread

DEFAULT_PORTS = {"ownerclan": 8701, "domeggook": 8702, "webhook": 8703,
                 "smartstore": 8711, "coupang": 8712, "esm": 8713, "naver_search": 8714}

OWNERCLAN_USER, OWNERCLAN_PASS = "sandbox-seller", "sandbox-pass"
DOMEGGOOK_KEY = "sandbox-domeggook-key"
WEBHOOK_SECRET = "sandbox-webhook-secret"


def _port(preferred: int, fixed: bool) -> int:
    if fixed:
        return preferred
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return 0  # ServerThread picks a free one


@dataclass
class Stack(ServerGroup):
    extra_env: dict[str, str] = field(default_factory=dict)
    rate_limits: bool = True

    def env(self) -> dict[str, str]:
        env = dict(self.extra_env)
        if "ownerclan" in self.servers:
            u = self.servers["ownerclan"].url
            env.update(OWNERCLAN_AUTH_URL=f"{u}/auth", OWNERCLAN_API_URL=f"{u}/v1/graphql",
                       OWNERCLAN_USERNAME=OWNERCLAN_USER, OWNERCLAN_PASSWORD=OWNERCLAN_PASS)
        if "domeggook" in self.servers:
            env.update(DOMEGGOOK_BASE_URL=f"{self.servers['domeggook'].url}/ssl/api/",
                       DOMEGGOOK_API_KEY=DOMEGGOOK_KEY)
        if "webhook" in self.servers:
            env.update(WEBHOOK_SECRET=WEBHOOK_SECRET, DROPSHIP_WEBHOOK_URL=self.servers["webhook"].url)
        return env


def start_stack(database_url: str, *, ownerclan_items: int = 2000, domeggook_items: int = 150,
                fixed_ports: bool = False, markets: bool = True, rate_limits: bool = True,
                markets_rate_limits: bool | None = None) -> Stack:
    """Start every sandbox; with fixed_ports the documented ports are required."""
    from dropship_sandbox import domeggook, ownerclan
    from dropship_core.webhook import create_app as webhook_app

    stack = Stack(rate_limits=rate_limits if markets_rate_limits is None else markets_rate_limits)
    apps = {
        "ownerclan": ownerclan.create_app(count=ownerclan_items, **({} if rate_limits else {"rpm_limit": 0})),
        "domeggook": domeggook.create_app(count=domeggook_items, **({} if rate_limits else {"rpm_limit": 0})),
        # a local sandbox: any well-formed key (`dropship serve` accepts only suppliers.yaml webhook accounts)
        "webhook": webhook_app(database_url, WEBHOOK_SECRET, suppliers=None),
    }
    try:
        for name, app in apps.items():
            stack.servers[name] = ServerThread(app, port=_port(DEFAULT_PORTS[name], fixed_ports)).start()
        if markets:
            _start_markets(stack, fixed_ports)
            _start_market_search(stack, fixed_ports)
    except Exception:
        stack.stop()
        raise
    return stack


def _start_market_search(stack: Stack, fixed_ports: bool) -> None:
    """The Naver Shopping search sandbox (market evidence); its market is empty until seeded."""
    from dropship_sandbox.naver_search import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, NaverSearchSandbox

    sb = NaverSearchSandbox(per_second=10 if stack.rate_limits else 0)
    srv = ServerThread(sb.app, port=_port(DEFAULT_PORTS["naver_search"], fixed_ports)).start()
    stack.servers["naver_search"] = srv
    stack.extra_env.update(NAVER_SEARCH_URL=srv.url, NAVER_SEARCH_CLIENT_ID=SANDBOX_CLIENT_ID,
                           NAVER_SEARCH_CLIENT_SECRET=SANDBOX_CLIENT_SECRET)


def _start_markets(stack: Stack, fixed_ports: bool) -> None:
    """The three marketplace sandboxes (SmartStore, Coupang, ESM) with their public test credentials."""
    from dropship_sandbox.market_common import start_market_sandboxes

    base = DEFAULT_PORTS["smartstore"] if fixed_ports or _port(DEFAULT_PORTS["smartstore"], False) else 0
    servers, env = start_market_sandboxes(base, rate_limits=stack.rate_limits)
    if not stack.rate_limits:
        # the local sandboxes enforce no limit here, so the connectors need not pace either
        env.update(SMARTSTORE_RATE_PER_S="500", COUPANG_RATE_PER_S="500", ESM_RATE_PER_S="500")
    names = ("smartstore", "coupang", "esm")
    stack.servers.update(dict(zip(names, servers if isinstance(servers, (list, tuple)) else servers.values())))
    stack.extra_env.update(env)
