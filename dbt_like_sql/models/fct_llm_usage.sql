-- config: materialized=incremental, partition_by=day, time_column=enriched_at, group=analytics
-- description: One row per enrichment call, with tokens and cost in USD when the enriched event carries them (payload usage), else zero. Built one UTC day per partition.
with ev as (
    select
        event_id, product_id, supplier_key, created_at, event_day, payload,
        case when jsonb_typeof(payload->'usage') = 'object' then payload->'usage' else payload end as u
    from {{ ref('stg_events') }}
    where event_type = 'enriched'
      and created_at >= {{ window_start }} and created_at < {{ window_end }}
)
select
    event_id,
    product_id,
    supplier_key,
    coalesce(u->>'provider', payload->>'provider', payload->'set'->'ai_data'->>'provider', 'unknown') as provider,
    coalesce(u->>'model', payload->>'model', payload->'set'->'ai_data'->>'model', 'unknown') as model,
    case when (u->>'input_tokens') ~ '^[0-9]+$' then (u->>'input_tokens')::bigint else 0 end as input_tokens,
    case when (u->>'output_tokens') ~ '^[0-9]+$' then (u->>'output_tokens')::bigint else 0 end as output_tokens,
    case when (u->>'total_tokens') ~ '^[0-9]+$' then (u->>'total_tokens')::bigint
         else coalesce(case when (u->>'input_tokens') ~ '^[0-9]+$' then (u->>'input_tokens')::bigint end, 0)
            + coalesce(case when (u->>'output_tokens') ~ '^[0-9]+$' then (u->>'output_tokens')::bigint end, 0) end as total_tokens,
    coalesce(case when (u->>'cost_usd') ~ '^\s*[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?\s*$' then (u->>'cost_usd')::numeric end, 0) as cost_usd,
    coalesce((u->>'cached')::text in ('true', '1'), false) as cached,
    event_day as usage_day,
    created_at as enriched_at
from ev
