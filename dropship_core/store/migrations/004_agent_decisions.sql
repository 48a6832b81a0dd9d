-- Every decision the agents make (insights, price recommendations, inventory alerts, promotion
-- plans), with its approval state. Product-level decisions also get an event on the product.
CREATE TABLE IF NOT EXISTS agent_decisions (
    id          BIGSERIAL PRIMARY KEY,
    run_id      TEXT,
    market      TEXT        NOT NULL,
    agent       TEXT        NOT NULL,
    kind        TEXT        NOT NULL,
    product_id  BIGINT,
    status      TEXT        NOT NULL DEFAULT 'recorded',  -- recorded | pending_approval | approved | applied | rejected
    payload     JSONB       NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS agent_decisions_pending ON agent_decisions (market, status, product_id);
