-- Category decisions and what feeds them: seller corrections that become rules, answers of the
-- markets' own predictors cached per normalised name, and the decision recorded per product and
-- market with its sources, calibrated confidence and whether the listing is held for review.
CREATE TABLE IF NOT EXISTS category_rules (
    rule_id           BIGSERIAL   PRIMARY KEY,
    market            TEXT        NOT NULL,
    supplier_key      TEXT        NOT NULL,
    supplier_category TEXT        NOT NULL DEFAULT '',
    tokens            TEXT[]      NOT NULL,
    category_id       TEXT        NOT NULL,
    category_path     TEXT        NOT NULL,
    source_product_id BIGINT,
    note              TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (market, supplier_key, supplier_category, tokens)
);
CREATE INDEX IF NOT EXISTS category_rules_lookup ON category_rules (market, supplier_key, supplier_category);

CREATE TABLE IF NOT EXISTS category_predictions (
    predictor  TEXT        NOT NULL,
    market     TEXT        NOT NULL,
    name_key   TEXT        NOT NULL,
    result     JSONB       NOT NULL,
    hits       BIGINT      NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (predictor, market, name_key)
);

CREATE TABLE IF NOT EXISTS category_decisions (
    product_id    BIGINT      NOT NULL,
    market        TEXT        NOT NULL,
    supplier_key  TEXT        NOT NULL DEFAULT '',
    name          TEXT        NOT NULL,
    category_id   TEXT,
    category_path TEXT,
    confidence    REAL        NOT NULL,
    sources       JSONB       NOT NULL,
    held          BOOLEAN     NOT NULL,
    held_reason   TEXT,
    decided_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, market)
);
CREATE INDEX IF NOT EXISTS category_decisions_review ON category_decisions (market, held, confidence);
