-- pgvector for semantic memory, only where the extension is installable: a Postgres without it
-- (e.g. Debian's) keeps working with the exact-scan float8[] column from migration 352.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        CREATE EXTENSION IF NOT EXISTS vector;
        ALTER TABLE semantic_memories ADD COLUMN IF NOT EXISTS embedding_v vector(256);
        CREATE INDEX IF NOT EXISTS semantic_memories_hnsw
            ON semantic_memories USING hnsw (embedding_v vector_cosine_ops);
    ELSE
        RAISE NOTICE 'pgvector is not available: semantic memory uses exact scans';
    END IF;
END
$$;
