-- config: materialized=table, group=analytics
-- description: Catalog health per supplier: products by status, open quarantine records, missing listing fields, enrichment coverage and the last successful sync.
-- metric: products = coalesce(sum(products), 0)
-- metric: active = coalesce(sum(active), 0)
-- metric: sold_out = coalesce(sum(sold_out), 0)
-- metric: deleted = coalesce(sum(deleted), 0)
-- metric: quarantined_open = coalesce(sum(quarantined_open), 0)
-- metric: missing_fields = coalesce(sum(missing_name + missing_cost + missing_images + missing_category), 0)
with p as (
    select
        supplier_key,
        count(*) as products,
        count(*) filter (where status = 'active') as active,
        count(*) filter (where status = 'soldout') as sold_out,
        count(*) filter (where status = 'deleted') as deleted,
        count(*) filter (where status <> 'deleted' and missing_name) as missing_name,
        count(*) filter (where status <> 'deleted' and missing_cost) as missing_cost,
        count(*) filter (where status <> 'deleted' and missing_images) as missing_images,
        count(*) filter (where status <> 'deleted' and missing_category) as missing_category,
        count(*) filter (where status <> 'deleted' and missing_brand) as missing_brand,
        count(*) filter (where is_enriched) as enriched,
        count(*) filter (where enrichment_stale) as enrichment_stale,
        round(avg(quality_score), 3) as avg_quality_score,
        max(updated_at) as last_product_update
    from {{ ref('stg_products') }}
    group by supplier_key
),
q as (
    select supplier_key,
           count(*) filter (where is_open) as quarantined_open,
           count(*) as quarantined_total
    from {{ ref('stg_quarantine') }}
    group by supplier_key
),
s as (
    select supplier_key, last_success from {{ source('supplier_state') }}
),
suppliers as (
    select supplier_key from p union select supplier_key from q union select supplier_key from s
)
select
    k.supplier_key,
    coalesce(p.products, 0) as products,
    coalesce(p.active, 0) as active,
    coalesce(p.sold_out, 0) as sold_out,
    coalesce(p.deleted, 0) as deleted,
    coalesce(q.quarantined_open, 0) as quarantined_open,
    coalesce(q.quarantined_total, 0) as quarantined_total,
    coalesce(p.missing_name, 0) as missing_name,
    coalesce(p.missing_cost, 0) as missing_cost,
    coalesce(p.missing_images, 0) as missing_images,
    coalesce(p.missing_category, 0) as missing_category,
    coalesce(p.missing_brand, 0) as missing_brand,
    coalesce(p.enriched, 0) as enriched,
    coalesce(p.enrichment_stale, 0) as enrichment_stale,
    p.avg_quality_score,
    -- share of live products with every field a listing needs
    round(1.0 - (coalesce(p.missing_name, 0) + coalesce(p.missing_cost, 0) + coalesce(p.missing_images, 0) + coalesce(p.missing_category, 0))::numeric
          / nullif(4 * (coalesce(p.products, 0) - coalesce(p.deleted, 0)), 0), 3) as completeness,
    s.last_success,
    p.last_product_update
from suppliers k
left join p on p.supplier_key = k.supplier_key
left join q on q.supplier_key = k.supplier_key
left join s on s.supplier_key = k.supplier_key
