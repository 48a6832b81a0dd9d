-- Vectors of different embedders never share an index: each memory records which embedder made
-- it (e.g. 'ngram-hash-256', 'openai-text-embedding-3-small-256') and searches stay inside one.
ALTER TABLE semantic_memories ADD COLUMN IF NOT EXISTS index_name TEXT NOT NULL DEFAULT 'ngram-hash-256';
CREATE INDEX IF NOT EXISTS semantic_memories_index_name ON semantic_memories (index_name, agent_name, memory_type);
