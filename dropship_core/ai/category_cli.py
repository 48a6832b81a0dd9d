"""`dropship enrich classify | map | review`: category decisions from the command line.

    dropship enrich classify [--market smartstore|coupang] [--json] [--top K] < names.txt
    dropship enrich map --category LEAF_ID (--product-id N | --name NAME --supplier KEY)
                        [--supplier-category PATH] [--tokens a,b] [--market smartstore]
    dropship enrich review [--market smartstore] [--limit N] [--json]

classify: the offline ranker, plus Coupang's own predictor for `--market coupang` when
COUPANG_ACCESS_KEY / COUPANG_SECRET_KEY / COUPANG_VENDOR_ID are set, plus the categories of the
closest Naver Shopping search items when NAVER_SEARCH_CLIENT_ID / _SECRET are set (answers cached
in Postgres per normalised name when DATABASE_URL is set), plus the LLM choice when LLM_PROVIDER
is set. Each JSON line keeps
`id`, `path`, `confidence` (and `candidates` with --top K > 1) and adds `sources` and `held`.

map: a seller's correction. It becomes a rule keyed by supplier, supplier category and the
product name's key words (the product noun and its nearest modifier, or --tokens) that decides
the category of similar products of that supplier before any other source. Needs DATABASE_URL.

review: enriched products whose category needs a look: held first, then disagreeing sources,
then the least confident.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO


def add_commands(sub) -> None:
    m = sub.add_parser("map", help="confirm or correct a product's category (becomes a seller rule)")
    m.add_argument("--market", choices=["smartstore", "coupang"], default="smartstore")
    m.add_argument("--category", required=True, metavar="LEAF_ID", help="the right leaf category id")
    m.add_argument("--product-id", type=int, help="a stored product (source_data id)")
    m.add_argument("--name", help="the product name (when no --product-id)")
    m.add_argument("--supplier", help="supplier key (when no --product-id)")
    m.add_argument("--supplier-category", default=None, help="the supplier's own category path")
    m.add_argument("--tokens", help="comma-separated words the rule needs (default: from the name)")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=map_command)
    r = sub.add_parser("review", help="products whose category needs a look, most urgent first")
    r.add_argument("--market", choices=["smartstore", "coupang"], default="smartstore")
    r.add_argument("--limit", type=int, default=50)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=review_command)


def _store():
    from dropship_core.ai.category_store import CategoryStore

    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL is not set: seller rules and reviews live in Postgres")
    return CategoryStore.from_url(url)


def build_decider(market: str, top: int = 10, store=None):
    """The decider the CLI uses: offline ranker, Coupang's predictor, Naver search votes and the
    LLM when configured."""
    from dropship_core.ai.predictors import CachedPredictor, CategoryDecider
    from dropship_core.ai.ranker import default_ranker

    predictors = []
    from dropship_core.markets.coupang_predict import CoupangCategoryPredictor

    pred = CoupangCategoryPredictor.from_env()
    if pred is not None:
        pred = CachedPredictor(pred, store, "coupang") if store else pred
        if market == "coupang":
            predictors.append(pred)
        else:  # Coupang's answer, carried over to this market's tree
            from dropship_core.ai.predictors import CrossTreePredictor

            predictors.append(CrossTreePredictor(pred, default_ranker("coupang").path_of,
                                                 default_ranker(market)))
    naver = _naver_predictor(market, store)
    if naver is not None:
        predictors.append(naver)
    chooser = None
    if os.environ.get("LLM_PROVIDER") in ("openai", "anthropic"):
        from dropship_core.ai.llm_category import LlmCategoryChooser

        chooser = LlmCategoryChooser.from_env(market)
    return CategoryDecider(default_ranker(market), predictors, store=store, chooser=chooser,
                           top=max(10, top))


def _naver_predictor(market: str, store=None):
    """Naver Shopping search votes when NAVER_SEARCH_CLIENT_ID/_SECRET are set: its daily budget
    and response cache in Postgres when DATABASE_URL is set, answers cached per normalised name;
    for Coupang, carried over from the SmartStore tree."""
    from dropship_core.ai.predictors import CachedPredictor, CrossTreePredictor
    from dropship_core.ai.ranker import default_ranker
    from dropship_core.evidence.naver_category import NaverSearchPredictor
    from dropship_core.evidence.naver_search import SOURCE, NaverShopSearch

    kw = {}
    if os.environ.get("DATABASE_URL"):
        from dropship_core.evidence.store import EvidenceStore

        ev = EvidenceStore(os.environ["DATABASE_URL"])
        kw = {"budget": ev.budget(SOURCE), "cache": ev.cache()}
    search = NaverShopSearch.from_env(**kw)
    if search is None:
        return None
    pred = NaverSearchPredictor(search, default_ranker("smartstore"))
    pred = CachedPredictor(pred, store, "smartstore") if store else pred
    if market == "smartstore":
        return pred
    return CrossTreePredictor(pred, default_ranker("smartstore").path_of, default_ranker(market))


def classify(args: argparse.Namespace, stdin: IO[str], stdout: IO[str]) -> int:
    store = None
    if os.environ.get("DATABASE_URL") and (os.environ.get("COUPANG_ACCESS_KEY")
                                           or os.environ.get("NAVER_SEARCH_CLIENT_ID")):
        store = _store()
    decider = build_decider(args.market, max(1, args.top), store)
    for line in stdin:
        name = line.strip()
        if not name:
            continue
        d = decider.decide(name)
        if args.json:
            doc = {"name": name, "market": args.market, "id": d.category_id, "path": d.path,
                   "confidence": d.confidence, "sources": d.sources, "held": d.held}
            if d.held:
                doc["held_reason"] = d.held_reason
            if args.top > 1:
                doc["candidates"] = d.candidates[:args.top]
            stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        else:
            stdout.write(f"{d.category_id}\t{d.path}\t{d.confidence:.3f}\t{name}\n")
            for c in d.candidates[1:args.top]:
                stdout.write(f"  {c['id']}\t{c['path']}\t{c['confidence']:.3f}\n")
    return 0


def map_command(args: argparse.Namespace, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    from dropship_core.ai.predictors import rule_tokens
    from dropship_core.ai.ranker import default_ranker

    stdout = stdout or sys.stdout
    path = default_ranker(args.market).path_of(args.category)
    if path is None:
        sys.stderr.write(f"{args.category} is not a {args.market} leaf category\n")
        return 2
    store = _store()
    name, supplier, sup_cat = args.name, args.supplier, args.supplier_category
    if args.product_id is not None:
        prod = store.product_for_mapping(args.product_id)
        if prod is None:
            sys.stderr.write(f"no stored product {args.product_id}\n")
            return 2
        name, supplier = prod["name"], prod["supplier_key"]
        sup_cat = sup_cat if sup_cat is not None else prod["supplier_category"]
    if not (name and supplier):
        sys.stderr.write("give --product-id, or --name and --supplier\n")
        return 2
    tokens = [t.strip() for t in args.tokens.split(",") if t.strip()] if args.tokens else rule_tokens(name)
    if not tokens:
        sys.stderr.write(f"no key words found in {name!r}; give --tokens\n")
        return 2
    rule_id = store.add_rule(market=args.market, supplier_key=supplier, supplier_category=sup_cat or "",
                             tokens=tokens, category_id=args.category, category_path=path,
                             source_product_id=args.product_id)
    if args.product_id is not None:
        store.record_decision(args.product_id, args.market, {
            "id": args.category, "path": path, "confidence": 1.0, "held": False,
            "sources": [{"source": "seller", "id": args.category, "rule_id": rule_id}]},
            supplier_key=supplier, name=name)
    again = store.redecide_similar(supplier, sup_cat or "", tokens)
    doc = {"rule_id": rule_id, "market": args.market, "supplier": supplier,
           "supplier_category": sup_cat or "", "tokens": sorted(set(tokens)), "id": args.category,
           "path": path, "redecide": again}
    stdout.write((json.dumps(doc, ensure_ascii=False) if args.json else
                  f"rule {rule_id}: {supplier} [{sup_cat or '*'}] {'+'.join(doc['tokens'])} → {path}; "
                  f"{len(again)} stored product(s) will be decided again on the next enrichment run") + "\n")
    return 0


def review_command(args: argparse.Namespace, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    stdout = stdout or sys.stdout
    rows = _store().review_queue(args.market, args.limit)
    for r in rows:
        if args.json:
            stdout.write(json.dumps({k: r[k] for k in ("product_id", "supplier_key", "name", "category_id",
                                                       "category_path", "confidence", "held", "held_reason",
                                                       "answers", "sources")},
                                    ensure_ascii=False, default=str) + "\n")
        else:
            flag = "HELD" if r["held"] else "    "
            stdout.write(f"{r['product_id']}\t{flag}\t{r['confidence'] or 0:.2f}\t{r['answers']} answers\t"
                         f"{r['category_path']}\t{r['name']}\n")
    if not rows and not args.json:
        stdout.write("nothing to review\n")
    return 0
