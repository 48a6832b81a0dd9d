-- The seed queries at catalog scale: each is answered by one ordered index range scan that stops
-- after LIMIT rows, instead of filtering a scan of the primary key or sorting every match.

-- store.active_in_market(market, limit): published on that market and active, by id
CREATE INDEX IF NOT EXISTS source_data_smartstore_live ON source_data (id)
    WHERE (market_data -> 'smartstore' ->> 'status') = 'published' AND status = 'active';
CREATE INDEX IF NOT EXISTS source_data_coupang_live ON source_data (id)
    WHERE (market_data -> 'coupang' ->> 'status') = 'published' AND status = 'active';
CREATE INDEX IF NOT EXISTS source_data_gmarket_live ON source_data (id)
    WHERE (market_data -> 'gmarket' ->> 'status') = 'published' AND status = 'active';

-- store.with_ai_score_above(x, limit): best score first, then id (replaces the score-only index)
CREATE INDEX IF NOT EXISTS source_data_ai_score_rank ON source_data
    ((((ai_data ->> 'quality_score')::numeric)) DESC, id)
    WHERE ((ai_data ->> 'quality_score')::numeric) IS NOT NULL;
DROP INDEX IF EXISTS source_data_ai_score;
