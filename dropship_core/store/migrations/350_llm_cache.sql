-- LLM enrichment cache: one validated answer per (product content, prompt version, model), so an
-- unchanged product is never sent to a paid model twice. Tokens and cost are kept to report
-- what the cache saved.
CREATE TABLE IF NOT EXISTS llm_cache (
    content_hash   TEXT          NOT NULL,
    prompt_version TEXT          NOT NULL,
    model          TEXT          NOT NULL,
    provider       TEXT          NOT NULL,
    result         JSONB         NOT NULL,
    input_tokens   INTEGER       NOT NULL DEFAULT 0,
    output_tokens  INTEGER       NOT NULL DEFAULT 0,
    cost_usd       NUMERIC(14,8) NOT NULL DEFAULT 0,
    hits           BIGINT        NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ   NOT NULL DEFAULT now(),
    last_hit_at    TIMESTAMPTZ,
    PRIMARY KEY (content_hash, prompt_version, model)
);

-- pruning old prompt versions / models
CREATE INDEX IF NOT EXISTS llm_cache_version_model ON llm_cache (prompt_version, model);
