-- config: materialized=view, group=analytics
-- description: One row per product in the store, with the supplier's cost and stock, its enrichment state and which fields a listing needs are missing.
with p as (
    select
        d.id, d.supplier_key, d.supplier_item_id, d.status, d.raw_data, d.ai_data,
        d.content_hash, d.ai_source_hash, d.created_at, d.updated_at,
        case when jsonb_typeof(d.raw_data->'variants') = 'array' then d.raw_data->'variants' else '[]'::jsonb end as variants
    from {{ source('source_data') }} d
),
typed as (
    select
        p.*,
        nullif(btrim(p.raw_data->>'name'), '') as name,
        case when (p.raw_data->>'cost') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (p.raw_data->>'cost')::numeric end as cost,
        case when (p.raw_data->>'consumer_price') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (p.raw_data->>'consumer_price')::numeric end as consumer_price,
        case when (p.raw_data->>'shipping_fee') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (p.raw_data->>'shipping_fee')::numeric end as shipping_fee,
        (select sum((v->>'stock')::numeric) from jsonb_array_elements(p.variants) v
          where jsonb_typeof(v->'stock') = 'number') as variant_stock,
        case when jsonb_typeof(p.raw_data->'stock') = 'number' then (p.raw_data->>'stock')::numeric end as product_stock
    from p
)
select
    id as product_id,
    supplier_key,
    supplier_item_id,
    status,
    name,
    cost,
    consumer_price,
    shipping_fee,
    -- variants carry the stock when they track it (CanonicalProduct.total_stock)
    coalesce(variant_stock, product_stock) as stock,
    (variant_stock is not null or product_stock is not null) as stock_tracked,
    jsonb_array_length(variants) as variant_count,
    case when jsonb_typeof(raw_data->'images') = 'array' then jsonb_array_length(raw_data->'images') else 0 end as image_count,
    nullif(btrim(raw_data->>'brand'), '') as brand,
    nullif(btrim(raw_data->>'category_path'), '') as raw_category_path,
    ai_data is not null as is_enriched,
    (ai_data is not null and ai_source_hash is distinct from content_hash) as enrichment_stale,
    case when (ai_data->>'quality_score') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' then (ai_data->>'quality_score')::numeric end as quality_score,
    case when jsonb_typeof(ai_data->'categories') = 'object'
         then (select count(*) from jsonb_object_keys(ai_data->'categories'))::int else 0 end as ai_category_count,
    name is null as missing_name,
    (cost is null or cost <= 0) as missing_cost,
    (case when jsonb_typeof(raw_data->'images') = 'array' then jsonb_array_length(raw_data->'images') else 0 end) = 0 as missing_images,
    (nullif(btrim(raw_data->>'category_path'), '') is null
        and coalesce(jsonb_typeof(ai_data->'categories') <> 'object' or ai_data->'categories' = '{}'::jsonb, true)) as missing_category,
    nullif(btrim(raw_data->>'brand'), '') is null as missing_brand,
    created_at,
    updated_at
from typed
