-- Supplier push events (item changed, stock changed, item deleted), as accepted by the webhook
-- receiver. A redelivered event (same supplier, same event id) lands once. The inbox sensor reads
-- rows by id (its cursor) and requests a sync of the affected supplier partitions.

CREATE TABLE IF NOT EXISTS webhook_inbox (
    id               BIGSERIAL PRIMARY KEY,
    supplier_key     TEXT        NOT NULL,
    event_id         TEXT        NOT NULL,
    event_type       TEXT        NOT NULL,
    supplier_item_id TEXT,
    payload          JSONB       NOT NULL,
    -- the signed X-Dropship-Timestamp (unix seconds) the sender put on the delivery
    signed_at        BIGINT      NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at     TIMESTAMPTZ,
    CONSTRAINT webhook_inbox_event UNIQUE (supplier_key, event_id)
);

CREATE INDEX IF NOT EXISTS webhook_inbox_supplier_id ON webhook_inbox (supplier_key, id);
