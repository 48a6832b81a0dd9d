-- config: materialized=view, group=analytics
-- description: One row per market order line: what was sold, what the market keeps (commission at the line's recorded rate, else the market's default), what the supplier charged, and the margin actually earned; fulfilment lag from payment to dispatch. Buyer data is never selected.
select
    l.id as order_line_id,
    l.market,
    l.market_order_id,
    l.status,
    l.supplier_key,
    l.product_id,
    l.product_name,
    l.quantity,
    l.unmatched_reason is not null as unmatched,
    l.status = 'cancelled' as cancelled,
    l.placed_at is not null as placed,
    l.status in ('shipped', 'delivered') as shipped,
    coalesce(l.total_price, 0) as revenue,
    round(coalesce(l.total_price, 0) * coalesce(l.commission_rate,
          case l.market when 'smartstore' then 0.0636 when 'coupang' then 0.108
                        when 'gmarket' then 0.12 else 0.1 end), 0) as fees,
    coalesce(l.supplier_amount, l.listed_cost * l.quantity) as supplier_cost,
    l.paid_at,
    l.placed_at,
    l.shipped_at,
    l.cancelled_at,
    extract(epoch from (l.shipped_at - coalesce(l.paid_at, l.collected_at))) / 3600.0 as fulfilment_lag_hours,
    date_trunc('day', coalesce(l.paid_at, l.collected_at))::date as order_day
from {{ source('order_lines') }} l
