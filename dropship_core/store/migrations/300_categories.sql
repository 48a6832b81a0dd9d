-- Marketplace category trees (reference data), refreshable from each marketplace's category API.
-- Ids are the key: names and paths change over time, ids stay.

CREATE TABLE IF NOT EXISTS market_categories (
    market                TEXT        NOT NULL,
    category_id           TEXT        NOT NULL,
    full_path             TEXT        NOT NULL,
    depth                 INTEGER     NOT NULL,
    name                  TEXT        NOT NULL,
    is_leaf               BOOLEAN     NOT NULL DEFAULT TRUE,
    parent_id             TEXT,
    -- purchase-option types the category requires (Coupang), e.g. {색상, "수량 [기본단위: 개]"}
    required_option_types TEXT[]      NOT NULL DEFAULT '{}',
    refreshed_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (market, category_id)
);

CREATE INDEX IF NOT EXISTS market_categories_leaf_idx
    ON market_categories (market) WHERE is_leaf;
