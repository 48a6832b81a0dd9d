-- The writing transaction of each inbox row, so readers can follow commit order: an id is taken
-- before its transaction commits, so reading `id > cursor` can pass over an event whose
-- transaction commits after a higher id. Readers keep the snapshot horizon (every transaction
-- below it has finished) plus the ids read above it (dropship_core.suppliers.inbox_cursor).

ALTER TABLE webhook_inbox ADD COLUMN IF NOT EXISTS tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS webhook_inbox_tx ON webhook_inbox (tx, id);
