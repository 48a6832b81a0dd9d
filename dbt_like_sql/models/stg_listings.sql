-- config: materialized=view, group=analytics
-- description: One row per product and marketplace (from market_data via jsonb_each): listing status, price, stock, category, why it is blocked and whether the marketplace holds the latest listing.
with l as (
    select
        d.id as product_id, d.supplier_key, d.supplier_item_id, d.status as product_status,
        d.raw_data, d.ai_data, d.updated_at,
        m.key as market, m.value as md,
        case when jsonb_typeof(m.value->'listing') = 'object' then m.value->'listing' else '{}'::jsonb end as listing
    from {{ source('source_data') }} d
    cross join lateral jsonb_each(case when jsonb_typeof(d.market_data) = 'object' then d.market_data else '{}'::jsonb end) m
    where jsonb_typeof(m.value) = 'object'
)
select
    product_id,
    supplier_key,
    supplier_item_id,
    market,
    product_status,
    coalesce(md->>'status', 'pending') as listing_status,
    case when jsonb_typeof(md->'listable') = 'boolean' then (md->>'listable')::boolean end as listable,
    coalesce(listing->>'state', product_status) as listing_state,
    case when (listing->>'price') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (listing->>'price')::numeric end as price,
    case when (listing->>'consumer_price') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (listing->>'consumer_price')::numeric end as consumer_price,
    case when jsonb_typeof(listing->'stock') = 'number' then (listing->>'stock')::numeric end as stock,
    case when (raw_data->>'cost') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (raw_data->>'cost')::numeric end as cost,
    coalesce(nullif(ai_data->'categories'->market->>'id', ''), nullif(listing->>'category_id', '')) as category_id,
    -- the AI's category for this market first: it is what the listing was built from
    coalesce(nullif(ai_data->'categories'->market->>'path', ''), nullif(listing->>'category_path', ''),
             nullif(raw_data->>'category_path', ''), '(uncategorised)') as category_path,
    case when jsonb_typeof(md->'blocked_reasons') = 'array' then md->'blocked_reasons' else '[]'::jsonb end as blocked_reasons,
    case when jsonb_typeof(md->'last_error') = 'string' then md->>'last_error'
         when jsonb_typeof(md->'last_error') = 'object' then coalesce(md->'last_error'->>'message', (md->'last_error')::text) end as last_error,
    md->>'listing_hash' as listing_hash,
    md->>'published_hash' as published_hash,
    (md->>'published_hash' is not null and md->>'published_hash' = md->>'listing_hash') as in_sync,
    updated_at
from l
