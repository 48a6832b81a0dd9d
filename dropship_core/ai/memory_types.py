"""The shapes memory works with: messages, snapshots, conversation and workflow contexts, hits."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Message:
    role: str  # user | assistant | system | agent
    content: str
    created_at: float = field(default_factory=time.time)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MemorySnapshot:
    """A summary of a long history, so prompts carry the gist instead of every message."""

    context_id: str
    summary: str
    message_count: int
    key_facts: list[str] = field(default_factory=list)
    first_at: float | None = None
    last_at: float | None = None


@dataclass
class ConversationContext:
    context_id: str
    agent_name: str | None = None
    messages: list[Message] = field(default_factory=list)
    snapshot: MemorySnapshot | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def transcript(self, limit: int | None = None) -> str:
        msgs = self.messages[-limit:] if limit else self.messages
        return "\n".join(f"{m.role}: {m.content}" for m in msgs)


@dataclass
class WorkflowContext:
    """State shared by the agents of one conductor run: inputs, each agent's output, and every
    decision (for the event log), plus the approval mode for price changes."""

    workflow_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    run_id: str | None = None
    approval_mode: str = "manual"  # auto | manual
    data: dict[str, Any] = field(default_factory=dict)
    agent_outputs: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)

    def add_decision(self, agent: str, kind: str, **payload: Any) -> dict[str, Any]:
        d = {"agent": agent, "kind": kind, "workflow_id": self.workflow_id, "run_id": self.run_id, **payload}
        self.decisions.append(d)
        return d


@dataclass
class MemoryHit:
    id: str
    content: str
    score: float
    agent_name: str | None = None
    context_id: str | None = None
    memory_type: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RelatedContext:
    context_id: str
    score: float
    snippet: str

