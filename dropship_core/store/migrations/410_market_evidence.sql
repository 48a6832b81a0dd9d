-- Market evidence for the agents: the search API's daily call budget, its response cache, and per
-- listed product the comparable market prices found (market_prices asset).
CREATE TABLE IF NOT EXISTS search_call_budget (
    source  TEXT NOT NULL,
    app_id  TEXT NOT NULL,          -- a hash of the client id, not the id itself
    day     DATE NOT NULL,          -- the provider's day (KST for Naver)
    calls   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, app_id, day)
);

CREATE TABLE IF NOT EXISTS search_cache (
    source     TEXT NOT NULL,
    query_key  TEXT NOT NULL,       -- normalised query | display | sort
    response   JSONB NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source, query_key)
);

CREATE TABLE IF NOT EXISTS market_prices (
    product_id    BIGINT NOT NULL,
    market        TEXT   NOT NULL,
    supplier_key  TEXT   NOT NULL,
    source        TEXT   NOT NULL,
    query         TEXT   NOT NULL,
    own_price     INTEGER,
    matched       INTEGER NOT NULL DEFAULT 0,
    lowest_price  INTEGER,          -- NULL: no comparable item found
    median_price  INTEGER,
    band_low      INTEGER,
    band_high     INTEGER,
    seller_count  INTEGER NOT NULL DEFAULT 0,
    evidence      JSONB NOT NULL DEFAULT '{}'::jsonb,   -- accepted items, refusal reasons
    observed_at   TIMESTAMPTZ NOT NULL,                 -- when the search answer was fetched
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    run_id        TEXT,
    PRIMARY KEY (product_id, market)
);
CREATE INDEX IF NOT EXISTS market_prices_partition ON market_prices (market, supplier_key);

-- What the agents last decided from, per market: a second run over the same inputs writes nothing.
CREATE TABLE IF NOT EXISTS agent_inputs (
    market      TEXT PRIMARY KEY,
    digest      TEXT NOT NULL,
    run_id      TEXT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The daily brief per market (written by the LLM when one is configured).
CREATE TABLE IF NOT EXISTS agent_briefs (
    market      TEXT NOT NULL,
    day         DATE NOT NULL,
    provider    TEXT NOT NULL,
    model       TEXT,
    text        TEXT NOT NULL,
    facts       JSONB NOT NULL,
    run_id      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (market, day)
);
