"""The event-sourced product store: the only way into `source_data`.

`source_data` is the current state, a projection of `source_data_events`. Every write path
appends the events that explain it in the same transaction, so the projection can always be
rebuilt (`rebuild`) and compared with the live table.

`Store` is one facade over the parts, each in its own module by concern:

- `ingest`:     supplier catalogs in, quarantine, supplier sync state
- `enrichment`: stale AI data out, new AI data in
- `listings`:   per-market listing entries, what market_listings checks and market_sync pushes
- `queries`:    read-only views (products, events, stats, partition checks, summaries)
- `agents`:     the conductor's listing rows and decisions, run-failure alerts
- `metrics`:    Prometheus totals flushed by runs, store-derived gauges, ingest measured
- `base`:       the connection, the schema check and `migrate()`

Hot paths (`ingest`, `set_ai_data`, `set_market_entries`) compare content hashes first, COPY
only new or changed rows into a temporary staging table, then run one set-based statement that
upserts and writes events together. Unchanged input writes nothing.

Constructing a Store touches no database; `migrate()` (or `dropship db migrate`) applies the
schema, and a store whose database lacks a migration says so at its first connection.
"""

from __future__ import annotations

from dropship_core.store.agents import AgentsMixin
from dropship_core.store.base import IngestResult, RunInfo, SchemaNotMigrated, StoreBase
from dropship_core.store.enrichment import EnrichmentMixin
from dropship_core.store.ingest import IngestMixin
from dropship_core.store.listings import ListingsMixin
from dropship_core.store.metrics import MetricsMixin
from dropship_core.store.queries import QueriesMixin

__all__ = ["IngestResult", "RunInfo", "SchemaNotMigrated", "Store"]


class Store(MetricsMixin, IngestMixin, EnrichmentMixin, ListingsMixin, QueriesMixin, AgentsMixin, StoreBase):
    """Postgres holding source_data, its events, quarantine, agent decisions and alerts."""
