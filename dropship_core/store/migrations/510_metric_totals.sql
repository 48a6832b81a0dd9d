-- Prometheus totals flushed by every process that does work (Dagster runs, the CLI, the webhook
-- receiver): one row per metric sample and label set, `value` the sum of every flushed delta (or
-- the highest value, for kind 'max': last-success timestamps). `dropship serve` reads them back
-- for /metrics. Labels are bounded by design (no product ids, no supplier keys), so the table
-- stays small.
CREATE TABLE IF NOT EXISTS metric_totals (
    name        TEXT             NOT NULL,
    labels      TEXT             NOT NULL,   -- canonical JSON object, sorted keys
    kind        TEXT             NOT NULL CHECK (kind IN ('add', 'max')),
    value       DOUBLE PRECISION NOT NULL,
    updated_at  TIMESTAMPTZ      NOT NULL DEFAULT now(),
    PRIMARY KEY (name, labels)
);
