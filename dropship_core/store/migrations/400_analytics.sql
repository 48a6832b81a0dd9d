-- Analytics: the daily incremental models read one UTC day of events at a time.
CREATE INDEX IF NOT EXISTS source_data_events_created ON source_data_events (created_at);
