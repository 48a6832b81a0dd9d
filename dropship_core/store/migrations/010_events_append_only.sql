-- source_data_events is the history every projection is replayed from: append-only, enforced.
-- UPDATE, DELETE and TRUNCATE are refused unless the transaction says it rewrites history on
-- purpose (`SET LOCAL dropship.events_rewrite = 'on'`): the migration runner, `store rebuild`
-- and `suppliers remove --purge` do, nothing else.

CREATE OR REPLACE FUNCTION source_data_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('dropship.events_rewrite', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION 'source_data_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'history is rewritten only by migrations, store rebuild and suppliers remove --purge';
END;
$$;

DROP TRIGGER IF EXISTS source_data_events_no_rewrite ON source_data_events;
CREATE TRIGGER source_data_events_no_rewrite
    BEFORE UPDATE OR DELETE ON source_data_events
    FOR EACH ROW EXECUTE FUNCTION source_data_events_append_only();

DROP TRIGGER IF EXISTS source_data_events_no_truncate ON source_data_events;
CREATE TRIGGER source_data_events_no_truncate
    BEFORE TRUNCATE ON source_data_events
    FOR EACH STATEMENT EXECUTE FUNCTION source_data_events_append_only();
