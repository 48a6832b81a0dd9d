"""LLM choice of a leaf category among the pooled candidates (`CategoryChooser`).

With LLM_PROVIDER=openai|anthropic the decider (predictors.py) asks the model when its sources
disagree or the best candidate is weak. The model answers with structured output (`SCHEMA`:
the chosen `category_id`, or "none", and a short reason) through `LLMClient.complete_json`, so
the run's spend cap and cost ledger apply; answers are cached in `llm_cache` (migration 350)
per (name + candidate ids, prompt version, model), so the same question is never paid twice.

When the candidates span several top-level branches, the model walks the tree instead: it picks
a top-level branch, then a child, level by level down to a leaf, each step among at most
`MAX_OPTIONS` children ranked by the offline scores (one cached call per level).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

PROMPT_VERSION = "category-choice-v1"
MAX_OPTIONS = 30
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["category_id", "reason"],
    "properties": {"category_id": {"type": "string"}, "reason": {"type": "string"}},
}
SYSTEM = ("You file Korean marketplace products into the marketplace's category tree. Answer with the id "
          "of the one option the product belongs to (the product itself, not what it works with or is "
          "used for), or \"none\" if no option fits.")


class LlmCategoryChooser:
    def __init__(self, client, cache=None, ranker=None, walk: bool = True):
        self.client, self.cache, self.ranker, self.walk = client, cache, ranker, walk
        self.calls = 0

    @classmethod
    def from_env(cls, market: str) -> "LlmCategoryChooser":
        import os

        from dropship_core.ai.llm import client_from_env
        from dropship_core.ai.ranker import default_ranker

        cache = None
        if os.environ.get("DATABASE_URL"):
            from dropship_core.ai.llm_cache import LLMCache

            cache = LLMCache(os.environ["DATABASE_URL"])
        return cls(client_from_env(), cache, default_ranker(market))

    # ------------------------------------------------------------------ one question
    def ask(self, name: str, options: Sequence[dict]) -> str | None:
        """The option id the model picks for `name` (cached), or None."""
        ids = [str(o["id"]) for o in options]
        key = hashlib.sha256(json.dumps([name, ids], ensure_ascii=False).encode()).hexdigest()
        if self.cache is not None:
            hit = self.cache.get_many([key], PROMPT_VERSION, self.client.model).get(key)
            if hit is not None:
                got = hit.result.get("category_id")
                return got if got in ids else None
        lines = "\n".join(f"- {o['id']}: {o['path']}" for o in options)
        user = f"Product name: {name}\n\nOptions (id: category path):\n{lines}\n\nWhich option?"

        def check(obj: dict) -> str | None:
            cid = obj.get("category_id")
            return None if cid in ids or cid == "none" else f"category_id must be one of {ids} or \"none\""

        self.calls += 1
        res = self.client.complete_json(SYSTEM, user, SCHEMA, schema_name="category_choice",
                                        check=check, context={"name": name, "options": options})
        if not res.ok:
            return None
        if self.cache is not None:
            self.cache.put(key, PROMPT_VERSION, self.client.model, self.client.provider, res.data,
                           res.input_tokens, res.output_tokens, res.cost_usd)
        cid = res.data.get("category_id")
        return cid if cid in ids else None

    # ------------------------------------------------------------------ CategoryChooser
    def choose(self, name: str, candidates: Sequence[dict]) -> str | None:
        tops = {(c.get("path") or "").split(">")[0] for c in candidates[:3]}
        if self.walk and self.ranker is not None and len(tops) > 1:
            return self.walk_tree(name)
        return self.ask(name, candidates)

    def walk_tree(self, name: str) -> str | None:
        """Pick level by level: top-level branch, child, ... down to a leaf."""
        scores = self.ranker.scores(name)
        best: dict[str, float] = {}
        for i, p in enumerate(self.ranker.paths):
            parts = p.split(">")
            for d in range(1, len(parts) + 1):
                node = ">".join(parts[:d])
                if scores[i] > best.get(node, float("-inf")):
                    best[node] = float(scores[i])
        leaf_id = {p: cid for p, cid in zip(self.ranker.paths, self.ranker.ids)}
        prefix = ""
        while prefix not in leaf_id:
            children = sorted({k for k in best if k.startswith(prefix) and k != prefix.rstrip(">")
                               and k.count(">") == prefix.count(">")},
                              key=lambda k: -best[k])[:MAX_OPTIONS]
            if not children:
                return None
            options = [{"id": str(j), "path": c} for j, c in enumerate(children)]
            picked = self.ask(name, options)
            if picked is None:
                return None
            node = children[int(picked)]
            if node in leaf_id:
                return leaf_id[node]
            prefix = node + ">"
        return leaf_id.get(prefix)
