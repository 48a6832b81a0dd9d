-- Indexes for the queries the store API and the analytics models run.
-- The JSONB indexes are partial: a product only enters them once it has ai_data or a listing,
-- so the bulk insert of new products maintains just the two btrees it needs.

-- events of one product, in order (lineage of every value; the rebuild scans by id)
CREATE INDEX IF NOT EXISTS source_data_events_product ON source_data_events (product_id, id);
CREATE INDEX IF NOT EXISTS source_data_events_run ON source_data_events (run_id);
-- time windows (analytics, sync lag) use the created_at index of migration 400

-- containment queries on market_data / ai_data (market_data @> '{"smartstore": {"status": "published"}}')
CREATE INDEX IF NOT EXISTS source_data_market_gin ON source_data USING GIN (market_data jsonb_path_ops)
    WHERE market_data <> '{}'::jsonb;
CREATE INDEX IF NOT EXISTS source_data_ai_gin ON source_data USING GIN (ai_data jsonb_path_ops)
    WHERE ai_data IS NOT NULL;

-- status lookups per market, e.g. store.active_in_market('smartstore')
CREATE INDEX IF NOT EXISTS source_data_smartstore_status ON source_data ((market_data->'smartstore'->>'status'))
    WHERE (market_data->'smartstore'->>'status') IS NOT NULL;
CREATE INDEX IF NOT EXISTS source_data_coupang_status ON source_data ((market_data->'coupang'->>'status'))
    WHERE (market_data->'coupang'->>'status') IS NOT NULL;
CREATE INDEX IF NOT EXISTS source_data_gmarket_status ON source_data ((market_data->'gmarket'->>'status'))
    WHERE (market_data->'gmarket'->>'status') IS NOT NULL;

-- store.with_ai_score_above(x)
CREATE INDEX IF NOT EXISTS source_data_ai_score ON source_data (((ai_data->>'quality_score')::numeric))
    WHERE ((ai_data->>'quality_score')::numeric) IS NOT NULL;

-- per-supplier scans use the unique (supplier_key, supplier_item_id) index
CREATE INDEX IF NOT EXISTS quarantine_supplier ON quarantine (supplier_key, last_seen);
