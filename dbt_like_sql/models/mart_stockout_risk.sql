-- config: materialized=view, group=analytics
-- description: Stock-out risk per live product with tracked stock: current stock, units sold down over the last 14 days (from stock_changed events), days of cover, and a risk level (out, high, medium, low).
-- metric: out_of_stock = count(*) filter (where risk = 'out')
-- metric: high_risk = count(*) filter (where risk = 'high')
-- metric: medium_risk = count(*) filter (where risk = 'medium')
with depletion as (
    select
        product_id,
        sum(greatest((payload->'diff'->'stock'->>0)::numeric - (payload->'diff'->'stock'->>1)::numeric, 0)) as units_down_14d
    from {{ ref('stg_events') }}
    where event_type = 'stock_changed'
      and created_at >= now() - interval '14 days'
      and jsonb_typeof(payload->'diff'->'stock') = 'array'
      and jsonb_typeof(payload->'diff'->'stock'->0) = 'number'
      and jsonb_typeof(payload->'diff'->'stock'->1) = 'number'
    group by product_id
),
p as (
    select
        s.product_id, s.supplier_key, s.supplier_item_id, s.name, s.status, s.stock,
        coalesce(d.units_down_14d, 0) as units_down_14d,
        round(coalesce(d.units_down_14d, 0) / 14.0, 2) as daily_depletion
    from {{ ref('stg_products') }} s
    left join depletion d on d.product_id = s.product_id
    where s.status in ('active', 'soldout') and (s.stock_tracked or s.status = 'soldout')
)
select
    product_id,
    supplier_key,
    supplier_item_id,
    name,
    status,
    stock,
    units_down_14d,
    daily_depletion,
    case when daily_depletion > 0 then round(stock / daily_depletion, 1) end as days_of_cover,
    case
        when status = 'soldout' or coalesce(stock, 0) <= 0 then 'out'
        when stock <= 3 or (daily_depletion > 0 and stock / daily_depletion <= 3) then 'high'
        when stock <= 10 or (daily_depletion > 0 and stock / daily_depletion <= 7) then 'medium'
        else 'low'
    end as risk
from p
