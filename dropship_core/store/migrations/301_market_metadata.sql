-- Market metadata as the market's own API returned it (or the shipped snapshot): one row per
-- market (source, version, extras such as Coupang's automatic-category agreement) and one row
-- per category with its rules (notice types and fields, purchase / recommended options,
-- certifications). Listings record the version they were built against.

CREATE TABLE IF NOT EXISTS market_metadata (
    market      TEXT        PRIMARY KEY,
    source      TEXT        NOT NULL,
    version     TEXT        NOT NULL,
    extra       JSONB       NOT NULL DEFAULT '{}'::jsonb,
    categories  INTEGER     NOT NULL DEFAULT 0,
    fetched_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS market_category_rules (
    market      TEXT        NOT NULL,
    category_id TEXT        NOT NULL,
    path        TEXT        NOT NULL,
    is_leaf     BOOLEAN     NOT NULL DEFAULT TRUE,
    rules       JSONB       NOT NULL,
    detailed    BOOLEAN     NOT NULL DEFAULT FALSE,   -- rules read from the category's own API
    fetched_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (market, category_id)
);
