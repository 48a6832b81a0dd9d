-- config: materialized=incremental, partition_by=day, time_column=changed_at, group=analytics
-- description: One row per price change: supplier cost changes (price_changed events) and listing price changes (a price pair in any event's diff). Built one UTC day per partition.
with ev as (
    select
        event_id, product_id, supplier_key, event_type, market, created_at, event_day, payload,
        case
            when jsonb_typeof(payload->'diff'->'price') = 'array' then 'price'
            when jsonb_typeof(payload->'diff'->'cost') = 'array' then 'cost'
            when payload ? 'new_price' then 'price'
        end as field
    from {{ ref('stg_events') }}
    where created_at >= {{ window_start }} and created_at < {{ window_end }}
      and (event_type = 'price_changed'
           or jsonb_typeof(payload->'diff'->'price') = 'array'
           or jsonb_typeof(payload->'diff'->'cost') = 'array')
),
pairs as (
    select
        ev.*,
        coalesce(payload->'diff'->field->>0, payload->>'old_price') as old_text,
        coalesce(payload->'diff'->field->>1, payload->>'new_price') as new_text
    from ev
    where field is not null
)
select
    event_id,
    product_id,
    supplier_key,
    coalesce(market, 'supplier') as scope,
    event_type,
    field,
    old_text::numeric as old_value,
    new_text::numeric as new_value,
    new_text::numeric - old_text::numeric as delta,
    round(100.0 * (new_text::numeric - old_text::numeric) / nullif(old_text::numeric, 0), 2) as pct_change,
    event_day as change_day,
    created_at as changed_at
from pairs
where old_text ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' and new_text ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$'
