-- Conversation memory (the default backend): the messages of each conversation context, in order.
CREATE TABLE IF NOT EXISTS conversation_messages (
    id          BIGSERIAL   PRIMARY KEY,
    context_id  TEXT        NOT NULL,
    role        TEXT        NOT NULL,
    content     TEXT        NOT NULL,
    metadata    JSONB       NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conversation_messages_context ON conversation_messages (context_id, id);

-- Summaries of long conversations (MemorySnapshot), one current row per context.
CREATE TABLE IF NOT EXISTS conversation_snapshots (
    context_id    TEXT        PRIMARY KEY,
    summary       TEXT        NOT NULL,
    message_count INTEGER     NOT NULL,
    key_facts     JSONB       NOT NULL DEFAULT '[]'::jsonb,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
