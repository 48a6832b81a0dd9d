-- Orders: one row per market order line, keyed by (market, market line id); every state change
-- is a row in order_events with the run, asset and partition that caused it.
-- Market ids are TEXT (Coupang's shipmentBoxId has 18 digits; never a float).
-- Buyer data lives only in `pii` / `customs`: AES-GCM ciphertext "v1.<key id>.<base64>".

CREATE TABLE IF NOT EXISTS order_lines (
    id                 BIGSERIAL PRIMARY KEY,
    market             TEXT        NOT NULL,
    market_line_id     TEXT        NOT NULL,   -- productOrderId | shipmentBoxId-vendorItemId | OrderNo
    market_order_id    TEXT,
    shipment_box_id    TEXT,
    market_status      TEXT,
    status             TEXT        NOT NULL,
    -- what the buyer bought, as the market said it
    product_name       TEXT,
    quantity           INTEGER     NOT NULL DEFAULT 1,
    unit_price         BIGINT,
    total_price        BIGINT,
    match_keys         JSONB       NOT NULL DEFAULT '{}'::jsonb,
    market_extra       JSONB       NOT NULL DEFAULT '{}'::jsonb,
    -- which of our listings it is (NULL when unmatched: see unmatched_reason)
    product_id         BIGINT,
    supplier_key       TEXT,
    supplier_item_id   TEXT,
    option_sku         TEXT,
    option_attrs       JSONB,
    unmatched_reason   TEXT,
    listed_cost        BIGINT,     -- supplier cost per unit when listed
    listed_price       BIGINT,
    commission_rate    NUMERIC(6, 4),
    -- the supplier side
    supplier_order_ref TEXT,       -- OwnerClan order key, or "po:<file>" for a purchase-order sheet
    supplier_amount    BIGINT,     -- what the supplier charged (items + shipping)
    hold_reason        TEXT,
    hold_detail        JSONB,
    carrier            TEXT,       -- our carrier name (CJGLS, HANJIN, HYUNDAI, KGB, EPOST, ...)
    tracking_number    TEXT,
    last_error         JSONB,
    receiver_mismatch  BOOLEAN     NOT NULL DEFAULT false,
    -- buyer data, encrypted; pii_hash is a keyed hash to notice an address change
    pii                TEXT,
    pii_hash           TEXT,
    customs            TEXT,
    pii_redacted_at    TIMESTAMPTZ,
    content_hash       TEXT        NOT NULL,
    paid_at            TIMESTAMPTZ,
    collected_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    placed_at          TIMESTAMPTZ,
    confirmed_at       TIMESTAMPTZ,
    shipped_at         TIMESTAMPTZ,
    delivered_at       TIMESTAMPTZ,
    cancelled_at       TIMESTAMPTZ,
    dispatch_deadline  TIMESTAMPTZ,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT order_lines_market_line UNIQUE (market, market_line_id),
    CONSTRAINT order_lines_status CHECK (status IN (
        'new', 'unmatched', 'placing', 'held', 'placed', 'confirmed', 'dispatching', 'shipped',
        'delivered', 'cancelling', 'cancelled'))
);
CREATE INDEX IF NOT EXISTS order_lines_status_idx ON order_lines (market, status);
CREATE INDEX IF NOT EXISTS order_lines_supplier_idx ON order_lines (supplier_key, status);

CREATE TABLE IF NOT EXISTS order_events (
    id             BIGSERIAL PRIMARY KEY,
    order_line_id  BIGINT      NOT NULL REFERENCES order_lines (id) ON DELETE CASCADE,
    market         TEXT        NOT NULL,
    market_line_id TEXT        NOT NULL,
    event_type     TEXT        NOT NULL,
    from_status    TEXT,
    to_status      TEXT,
    payload        JSONB       NOT NULL DEFAULT '{}'::jsonb,   -- never buyer data
    run_id         TEXT,
    asset_key      TEXT,
    partition_key  TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS order_events_line_idx ON order_events (order_line_id, id);

-- Per market: the collection checkpoint (SmartStore (moreFrom, moreSequence), Coupang/ESM window).
CREATE TABLE IF NOT EXISTS order_checkpoints (
    market     TEXT PRIMARY KEY,
    cursor     JSONB       NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
