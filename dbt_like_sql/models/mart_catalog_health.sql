-- config: materialized=table, group=analytics
-- description: Catalog health per supplier: products by status, open quarantine records, missing listing fields, enrichment coverage and the last successful sync.
-- metric: products = coalesce(sum(products), 0)
-- metric: active = coalesce(sum(active), 0)
-- metric: sold_out = coalesce(sum(sold_out), 0)
-- metric: deleted = coalesce(sum(deleted), 0)
-- metric: quarantined_open = coalesce(sum(quarantined_open), 0)
-- metric: missing_fields = coalesce(sum(missing_name + missing_cost + missing_images + missing_category), 0)
with suppliers as (
    select supplier_key from {{ ref('stg_products') }}
    union select supplier_key from {{ ref('stg_quarantine') }}
    union select supplier_key from {{ source('supplier_state') }}
),
-- counted from every supplier (left join), so a supplier without products or quarantine counts 0
p as (
    select
        k.supplier_key,
        count(x.supplier_key) as products,
        count(*) filter (where x.status = 'active') as active,
        count(*) filter (where x.status = 'soldout') as sold_out,
        count(*) filter (where x.status = 'deleted') as deleted,
        count(*) filter (where x.status <> 'deleted' and x.missing_name) as missing_name,
        count(*) filter (where x.status <> 'deleted' and x.missing_cost) as missing_cost,
        count(*) filter (where x.status <> 'deleted' and x.missing_images) as missing_images,
        count(*) filter (where x.status <> 'deleted' and x.missing_category) as missing_category,
        count(*) filter (where x.status <> 'deleted' and x.missing_brand) as missing_brand,
        count(*) filter (where x.is_enriched) as enriched,
        count(*) filter (where x.enrichment_stale) as enrichment_stale,
        round(avg(x.quality_score), 3) as avg_quality_score,
        max(x.updated_at) as last_product_update
    from suppliers k
    left join {{ ref('stg_products') }} x on x.supplier_key = k.supplier_key
    group by k.supplier_key
),
q as (
    select k.supplier_key,
           count(*) filter (where x.is_open) as quarantined_open,
           count(x.supplier_key) as quarantined_total
    from suppliers k
    left join {{ ref('stg_quarantine') }} x on x.supplier_key = k.supplier_key
    group by k.supplier_key
),
s as (
    select supplier_key, last_success from {{ source('supplier_state') }}
)
select
    p.supplier_key,
    p.products, p.active, p.sold_out, p.deleted,
    q.quarantined_open, q.quarantined_total,
    p.missing_name, p.missing_cost, p.missing_images, p.missing_category, p.missing_brand,
    p.enriched, p.enrichment_stale,
    p.avg_quality_score,
    -- share of live products with every field a listing needs
    round(1.0 - (p.missing_name + p.missing_cost + p.missing_images + p.missing_category)::numeric
          / nullif(4 * (p.products - p.deleted), 0), 3) as completeness,
    s.last_success,
    p.last_product_update
from p
join q on q.supplier_key = p.supplier_key
left join s on s.supplier_key = p.supplier_key
