-- The raw landing: what each supplier fetch returned, as fetched, before it is ingested into
-- source_data. Append-only per supplier partition, one landing per fetch with the run that made
-- it; `source_products` reads it from here (steps share nothing but the database), and old
-- landings are pruned by retention.
CREATE TABLE IF NOT EXISTS supplier_landing (
    id               BIGSERIAL   PRIMARY KEY,
    supplier_key     TEXT        NOT NULL,
    run_id           TEXT,
    sync_mode        TEXT,
    -- true when `products` is the supplier's whole catalog (missing ids are delisted)
    complete         BOOLEAN     NOT NULL DEFAULT false,
    -- true when the fetch found nothing new to read (same workbook bytes, a claimed drop file)
    unchanged        BOOLEAN     NOT NULL DEFAULT false,
    next_cursor      TEXT,
    deleted_ids      JSONB       NOT NULL DEFAULT '[]'::jsonb,
    stats            JSONB       NOT NULL DEFAULT '{}'::jsonb,
    products         INTEGER     NOT NULL DEFAULT 0,
    rejects          INTEGER     NOT NULL DEFAULT 0,
    landed_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    ingested_at      TIMESTAMPTZ,
    ingested_run_id  TEXT
);
CREATE INDEX IF NOT EXISTS supplier_landing_key ON supplier_landing (supplier_key, id DESC);
CREATE INDEX IF NOT EXISTS supplier_landing_run ON supplier_landing (run_id);

-- One row per fetched record: kind 'p' a canonical product, 'r' a rejected record with its reason.
CREATE TABLE IF NOT EXISTS supplier_landing_rows (
    landing_id  BIGINT   NOT NULL REFERENCES supplier_landing (id) ON DELETE CASCADE,
    seq         INTEGER  NOT NULL,
    kind        CHAR(1)  NOT NULL CHECK (kind IN ('p', 'r')),
    item        JSONB    NOT NULL,
    PRIMARY KEY (landing_id, seq)
);
