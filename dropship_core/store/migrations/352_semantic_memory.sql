-- Semantic memory: what agents and conversations remembered, with a local embedding.
-- `embedding` (float8[]) works on any Postgres (exact scan); where the pgvector extension is
-- available (the embedded pgserver Postgres ships it), migration 353 adds an indexed
-- `embedding_v vector(256)` column that searches use instead.
CREATE TABLE IF NOT EXISTS semantic_memories (
    id          TEXT        PRIMARY KEY,
    agent_name  TEXT,
    context_id  TEXT,
    memory_type TEXT        NOT NULL DEFAULT 'interaction',
    content     TEXT        NOT NULL,
    metadata    JSONB       NOT NULL DEFAULT '{}'::jsonb,
    embedding   DOUBLE PRECISION[] NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS semantic_memories_agent ON semantic_memories (agent_name, memory_type);
CREATE INDEX IF NOT EXISTS semantic_memories_context ON semantic_memories (context_id);
