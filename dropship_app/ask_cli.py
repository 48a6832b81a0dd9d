"""The `ask` subcommand: `dropship ask "..." [--context ID] [--agent NAME] [--json]`.

The `dropship` CLI calls `register_cli(subparsers, rows_provider=...)`; `rows_provider(args)` returns
the store rows to answer from (source_data rows as dicts). Memory and the LLM come from the
environment (see docs/llm.md); without DATABASE_URL the conversation lives only for this call.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable

from dropship_core.ai.ask import AGENTS, answer
from dropship_core.ai.llm import client_from_env
from dropship_core.ai.memory import MemoryBackends, build_memory, memory_from_env

RowsProvider = Callable[[argparse.Namespace], list[dict[str, Any]]]


def default_memory(env: dict[str, str] | None = None) -> MemoryBackends:
    e = os.environ if env is None else env
    if not e.get("DATABASE_URL") and e.get("MEMORY_BACKEND", "postgres") == "postgres":
        print("note: DATABASE_URL is not set; this conversation is not kept", file=sys.stderr)
        return build_memory("memory", "memory")
    return memory_from_env(dict(e))


def _supplier_names() -> dict[str, str]:
    """Display names from suppliers.yaml (DROPSHIP_SUPPLIERS), when it can be read."""
    try:
        from dropship_core.suppliers.registry import load_accounts

        return {a.key: getattr(a, "name", "") or "" for a in load_accounts(os.environ.get("DROPSHIP_SUPPLIERS")
                                                                            or "suppliers.yaml")}
    except Exception:  # no file, or not readable here: keys still match
        return {}


def _evidence() -> dict[str, dict[Any, dict[str, Any]]] | None:
    """market_prices per market from the store (DATABASE_URL), when there is one to read."""
    if not os.environ.get("DATABASE_URL"):
        return None
    try:
        from dropship_core.evidence.store import EvidenceStore
        from dropship_core.markets.names import MARKETS

        ev = EvidenceStore(os.environ["DATABASE_URL"])
        return {m: ev.market_prices(m) for m in MARKETS}
    except Exception:  # no store, or one without migration 410: answer without market evidence
        return None


def register_cli(subparsers: argparse._SubParsersAction, rows_provider: RowsProvider | None = None,
                 memory_provider: Callable[[], MemoryBackends] | None = None,
                 client_provider: Callable[[], Any] | None = None) -> argparse.ArgumentParser:
    p = subparsers.add_parser("ask", help="ask a question about the catalog (answered from the store and memory)")
    p.add_argument("question")
    p.add_argument("--context", default="cli", help="conversation id; reuse it for follow-up questions")
    p.add_argument("--agent", choices=AGENTS, default=None, help="answer as this agent")
    p.add_argument("--json", action="store_true", help="print the answer and its facts as JSON")
    p.set_defaults(func=lambda args: run_ask(args, rows_provider, memory_provider, client_provider))
    return p


def run_ask(args: argparse.Namespace, rows_provider: RowsProvider | None = None,
            memory_provider: Callable[[], MemoryBackends] | None = None,
            client_provider: Callable[[], Any] | None = None, out=None) -> int:
    out = out or sys.stdout
    rows = rows_provider(args) if rows_provider else []
    memory = memory_provider() if memory_provider else default_memory()
    client = client_provider() if client_provider else (
        client_from_env() if os.environ.get("LLM_PROVIDER", "offline") != "offline" else None)
    res = answer(args.question, rows, memory, args.context, args.agent, client, supplier_names=_supplier_names(),
                 evidence=_evidence() if rows_provider is not None else None)
    if args.json:
        json.dump({"answer": res.text, "intent": res.intent, "context": res.context_id, "agent": res.agent,
                   "provider": res.provider, "facts": res.facts}, out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    else:
        out.write(res.text + "\n")
    return 0


def main(argv: list[str] | None = None, rows_provider: RowsProvider | None = None) -> int:
    """Stand-alone entry for trying the subcommand before it is wired into `dropship`."""
    parser = argparse.ArgumentParser(prog="dropship")
    sub = parser.add_subparsers(dest="command", required=True)
    register_cli(sub, rows_provider)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
