-- pgvector for semantic memory, only where the extension can be enabled: a Postgres without it
-- (e.g. Debian's), or a role that may not create it, keeps working with the exact-scan float8[]
-- column from migration 352 instead of failing the migration.
-- The extension goes into `public` (not the first schema on the search_path): a per-test schema
-- dropped with CASCADE must not take the database-wide extension with it. The type and operator
-- class are schema-qualified for the same reason.
DO $$
DECLARE
    ext_schema TEXT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        RAISE NOTICE 'pgvector is not available: semantic memory uses exact scans';
        RETURN;
    END IF;
    BEGIN
        CREATE EXTENSION IF NOT EXISTS vector SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pgvector could not be enabled (%): semantic memory uses exact scans', SQLERRM;
        RETURN;
    END;
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'vector';
    EXECUTE format('ALTER TABLE semantic_memories ADD COLUMN IF NOT EXISTS embedding_v %I.vector(256)', ext_schema);
    EXECUTE format('CREATE INDEX IF NOT EXISTS semantic_memories_hnsw ON semantic_memories'
                   ' USING hnsw (embedding_v %I.vector_cosine_ops)', ext_schema);
END
$$;
