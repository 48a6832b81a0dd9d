-- The product store: current state (a projection), the append-only event log, and quarantine.

CREATE TABLE IF NOT EXISTS source_data (
    id               BIGSERIAL PRIMARY KEY,
    supplier_key     TEXT        NOT NULL,
    supplier_item_id TEXT        NOT NULL,
    raw_data         JSONB       NOT NULL,
    ai_data          JSONB,
    market_data      JSONB       NOT NULL DEFAULT '{}'::jsonb,
    content_hash     TEXT        NOT NULL,
    -- hash of the raw_data the current ai_data was computed from; NULL until enriched
    ai_source_hash   TEXT,
    status           TEXT        NOT NULL DEFAULT 'active',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT source_data_supplier_item UNIQUE (supplier_key, supplier_item_id),
    CONSTRAINT source_data_status CHECK (status IN ('active', 'soldout', 'deleted'))
);

CREATE TABLE IF NOT EXISTS source_data_events (
    id               BIGSERIAL PRIMARY KEY,
    product_id       BIGINT      NOT NULL,
    supplier_key     TEXT        NOT NULL,
    supplier_item_id TEXT        NOT NULL,
    event_type       TEXT        NOT NULL,
    -- `set`: the new values of the small columns; `diff`: what changed, for people
    payload          JSONB       NOT NULL,
    -- the whole new raw_data when the event changed it (ingested, changed, delisted); with `set`
    -- this is enough to replay the projection
    snapshot         JSONB,
    run_id           TEXT,
    asset_key        TEXT,
    partition_key    TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS quarantine (
    id            BIGSERIAL PRIMARY KEY,
    supplier_key  TEXT        NOT NULL,
    source        TEXT        NOT NULL DEFAULT '',
    reason        TEXT        NOT NULL,
    raw           JSONB       NOT NULL,
    -- the same bad record seen again updates last_seen instead of adding a row
    record_hash   TEXT        NOT NULL,
    run_id        TEXT,
    asset_key     TEXT,
    partition_key TEXT,
    first_seen    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen     TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at   TIMESTAMPTZ,
    CONSTRAINT quarantine_record UNIQUE (supplier_key, record_hash)
);

-- Per supplier partition: the last successful sync cursor and the last ingested file hash.
CREATE TABLE IF NOT EXISTS supplier_state (
    supplier_key  TEXT PRIMARY KEY,
    cursor        TEXT,
    source_digest TEXT,
    last_success  TIMESTAMPTZ,
    last_run_id   TEXT,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb
);
