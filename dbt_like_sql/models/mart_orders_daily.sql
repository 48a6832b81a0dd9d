-- config: materialized=table, group=analytics
-- description: Order lines, revenue and earned margin per market and day (UTC).
-- metric: order_lines = coalesce(sum(order_lines), 0)
-- metric: earned_margin_krw = coalesce(sum(earned_margin), 0)
select
    s.order_day, s.market,
    count(*) as order_lines,
    count(*) filter (where s.cancelled) as cancelled,
    sum(s.revenue) filter (where s.placed and not s.cancelled) as revenue,
    sum(s.revenue - s.fees - coalesce(s.supplier_cost, 0)) filter (where s.placed and not s.cancelled) as earned_margin
from {{ ref('stg_order_lines') }} s
group by s.order_day, s.market
