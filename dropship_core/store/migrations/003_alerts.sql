-- Alerts raised by the run-failure sensor (and anything else that needs a person's attention).
CREATE TABLE IF NOT EXISTS alerts (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT        NOT NULL,
    run_id      TEXT,
    job_name    TEXT,
    partition   TEXT,
    message     TEXT        NOT NULL,
    details     JSONB       NOT NULL DEFAULT '{}'::jsonb,
    delivered   JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT alerts_run UNIQUE (kind, run_id)
);
