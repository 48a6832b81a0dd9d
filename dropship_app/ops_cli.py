"""`dropship sync ...` and `dropship status ID`: the seed's workflow API from the shell."""

from __future__ import annotations

import json


def _engine(args):
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    from dropship_app.workflows import OrchestrationEngine

    return OrchestrationEngine(graphql_url=args.graphql or None)


def _split(v: str | None) -> list[str] | None:
    return [x.strip() for x in v.split(",") if x.strip()] if v else None


def cmd_sync(args) -> int:
    from dropship_app.workflows import WorkflowError

    engine = _engine(args)
    params = {"suppliers": _split(args.suppliers), "markets": _split(args.markets)}
    if args.workflow == "product_sync":
        params["sync_mode"] = args.mode
    else:
        params["tasks"] = _split(args.tasks)
    try:
        wid = engine.execute_workflow(args.workflow, params)
    except WorkflowError as e:
        print(f"error: {e}")
        return 2
    st = engine.get_execution_status(wid)
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        print(f"workflow {wid}: {st['status']} ({st['steps_completed']}/{st['steps_total']} steps, "
              f"{len(st['runs'])} runs)")
    return 0 if st["status"] in ("SUCCESS", "QUEUED", "STARTED") else 1


def cmd_status(args) -> int:
    from dropship_app.workflows import WorkflowError

    try:
        st = _engine(args).get_execution_status(args.id)
    except WorkflowError as e:
        print(f"error: {e}")
        return 2
    if args.json:
        print(json.dumps(st, indent=2))
        return 0
    print(f"{st['id']}: {st['status']} — {st['steps_completed']}/{st['steps_total']} steps")
    for r in st["runs"]:
        print(f"  {r['run_id'][:8]}  {r['job']:<16} {str(r['partition']):<40} {r['status']:<8} "
              f"{r['steps_completed']}/{r['steps_total']}")
    return 0 if st["status"] != "FAILURE" else 1


def register_cli(sub, groups=None) -> None:
    register_ops(sub)
    p = sub.add_parser("sync", help="launch a workflow: product_sync (default) or market_management")
    p.add_argument("workflow", nargs="?", default="product_sync", choices=["product_sync", "market_management"])
    p.add_argument("--suppliers", help="comma-separated supplier keys (default: all)")
    p.add_argument("--markets", help="comma-separated markets (default: all)")
    p.add_argument("--mode", default="incremental", choices=["full", "incremental"], help="product_sync mode")
    p.add_argument("--tasks", help="market_management tasks: price_optimization,inventory_sync")
    p.add_argument("--graphql", help="launch through a running webserver, e.g. http://127.0.0.1:3000/graphql")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("status", help="status of a run or workflow: steps completed / total")
    p.add_argument("id")
    p.add_argument("--graphql")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)


def cmd_serve(args) -> int:
    """The webhook receiver and /metrics on one port."""
    import uvicorn

    from dropship_app.common import open_store as _store
    from dropship_app.serve_app import build_app
    from dropship_core.error_reporting import init_sentry

    init_sentry("webhook_server")
    app = build_app(_store())
    print(f"webhooks: POST http://{args.host}:{args.port}/webhooks/<supplier>   "
          "metrics: /metrics (Authorization: Bearer $DROPSHIP_METRICS_TOKEN)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_sandbox_serve(args) -> int:
    import time

    from dropship_app.common import open_store as _store
    from dropship_sandbox.stack import start_stack

    store = _store()
    stack = start_stack(store.database_url, fixed_ports=args.fixed_ports)
    print("# sandboxes running; export these to point the connectors at them:")
    for k, v in sorted(stack.env().items()):
        print(f"export {k}={v}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stack.stop()
    return 0


def register_ops(sub) -> None:
    ag = sub.add_parser("agents", help="the agents' price recommendations").add_subparsers(dest="agents_cmd",
                                                                                          required=True)
    from dropship_app.agents_cli import register as register_agents

    register_agents(ag)
    p = sub.add_parser("serve", help="the supplier webhook receiver and Prometheus /metrics")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8703)
    p.set_defaults(func=cmd_serve)
    sb = sub.add_parser("sandbox", help="local sandbox suppliers and marketplaces").add_subparsers(
        dest="sandbox_cmd", required=True)
    p = sb.add_parser("serve", help="run every sandbox and print the environment that points at them")
    p.add_argument("--fixed-ports", action="store_true", help="use the documented ports (8701.., 8711..)")
    p.set_defaults(func=cmd_sandbox_serve)
