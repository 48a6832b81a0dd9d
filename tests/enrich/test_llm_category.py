"""The LLM category choice through the real OpenAI and Anthropic SDKs against local servers that
speak their wire formats: structured output, the Postgres cache, the tree walk, the spend cap."""

from __future__ import annotations

import pytest

from dropship_core.ai.category_store import CategoryStore
from dropship_core.ai.llm import LLMClient, SpendCap
from dropship_core.ai.llm_cache import LLMCache
from dropship_core.ai.llm_category import LlmCategoryChooser
from dropship_core.ai.predictors import CategoryDecider
from dropship_core.ai.ranker import default_ranker
from llm.fake_servers import FakeLLM, Step

from dropship_core.serve import ServerThread


@pytest.fixture(scope="module")
def fake():
    f = FakeLLM(default=lambda body: pytest.fail("unscripted LLM request"))
    with ServerThread(f.app) as srv:
        yield f, srv.url


@pytest.fixture()
def cache(db_url):
    CategoryStore.from_url(db_url)  # applies every migration, llm_cache included
    c = LLMCache(db_url)
    yield c
    c.close()


def llm(provider, url, **kw):
    return LLMClient(provider, api_key="test-key", base_url=url + ("/v1" if provider == "openai" else ""),
                     retry_attempts=1, sdk_max_retries=0, **kw)


def test_openai_picks_among_candidates_and_the_answer_is_cached(fake, cache):
    f, url = fake
    f.requests.clear()
    ranker = default_ranker("smartstore")
    name = "로지텍 무선 키보드 K380 블루투스"
    offline = ranker.top_k(name, 10)
    same_branch = [p for p in offline if p.path.split(">")[0] == offline[0].path.split(">")[0]]
    pick = same_branch[1].category_id
    f.script(Step("valid", data={"category_id": pick, "reason": "seller wording"}))
    chooser = LlmCategoryChooser(llm("openai", url), cache, ranker, walk=False)
    decider = CategoryDecider(ranker, chooser=chooser, threshold=0.999)
    d = decider.decide(name)
    assert d.category_id == pick and d.sources[-1] == {
        "source": "llm", "id": pick, "path": ranker.path_of(pick), "score": 1.0}
    body = f.requests[-1]["body"]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert pick in body["messages"][-1]["content"]
    n = f.count()
    assert decider.decide(name).category_id == pick and f.count() == n  # cache hit, no request


def test_anthropic_walks_the_tree_level_by_level(fake, cache):
    f, url = fake
    f.requests.clear()
    ranker = default_ranker("smartstore")
    chooser = LlmCategoryChooser(llm("anthropic", url), cache, ranker)
    # always the first (best-scored) child: the walk ends at a leaf, one call per level
    f.default = lambda body: Step("valid", data={"category_id": "0", "reason": "first"})
    try:
        leaf = chooser.walk_tree("원목 캣타워 대형")
    finally:
        f.default = lambda body: pytest.fail("unscripted LLM request")
    path = ranker.path_of(leaf)
    assert path and f.count("/v1/messages") == path.count(">") + 1
    tools = f.requests[0]["body"]["tools"]
    assert f.requests[0]["body"]["tool_choice"]["name"] == tools[0]["name"]


def test_a_wrong_id_is_repaired_or_ignored_and_the_spend_cap_stops_new_calls(fake, cache):
    f, url = fake
    ranker = default_ranker("smartstore")
    f.script(Step("valid", data={"category_id": "not-a-candidate", "reason": "?"}),
             Step("valid", data={"category_id": "still-wrong", "reason": "?"}))
    chooser = LlmCategoryChooser(llm("openai", url, spend_cap=SpendCap(1e-9, "USD")), cache, ranker, walk=False)
    decider = CategoryDecider(ranker, chooser=chooser, threshold=0.999)
    d = decider.decide("스탠리 퀜처 텀블러 887ml 신상")
    assert d.category_id == ranker.top_k("스탠리 퀜처 텀블러 887ml 신상", 1)[0].category_id
    assert d.sources[-1]["source"] == "llm" and d.sources[-1]["id"] is None
    n = f.count()
    d2 = decider.decide("하기스 팬티형 기저귀 5단계 4팩 새상품")  # cap reached: no request
    assert f.count() == n and d2.category_id and d2.held
