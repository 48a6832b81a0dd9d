-- config: materialized=view, group=analytics
-- description: Supplier records held back by validation, open until resolved.
select
    q.id as quarantine_id,
    q.supplier_key,
    q.source,
    left(q.reason, 200) as reason,
    q.resolved_at is null as is_open,
    q.first_seen,
    q.last_seen,
    q.resolved_at
from {{ source('quarantine') }} q
