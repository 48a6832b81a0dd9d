-- config: materialized=table, group=analytics
-- description: Orders per market: lines collected, placed, shipped, cancelled and unmatched; revenue, fees, supplier cost and the margin actually earned; fulfilment lag (payment to dispatch) and cancellation rate.
-- metric: order_lines = coalesce(sum(order_lines), 0)
-- metric: revenue_krw = coalesce(sum(revenue), 0)
-- metric: earned_margin_krw = coalesce(sum(earned_margin), 0)
-- metric: cancellation_rate = sum(cancelled) / nullif(sum(order_lines - unmatched), 0)
with m as (
    select market, sum(revenue) as revenue, sum(fees) as fees, sum(supplier_cost) as supplier_cost,
           sum(earned_margin) as earned_margin
    from {{ ref('fct_order_margin') }} group by market
)
select
    s.market,
    count(*) as order_lines,
    count(distinct s.market_order_id) as orders,
    count(*) filter (where s.placed) as placed,
    count(*) filter (where s.shipped) as shipped,
    count(*) filter (where s.cancelled) as cancelled,
    count(*) filter (where s.unmatched) as unmatched,
    coalesce(max(m.revenue), 0) as revenue,
    coalesce(max(m.fees), 0) as fees,
    coalesce(max(m.supplier_cost), 0) as supplier_cost,
    coalesce(max(m.earned_margin), 0) as earned_margin,
    round(max(m.earned_margin) / nullif(max(m.revenue), 0), 4) as earned_margin_rate,
    round(avg(s.fulfilment_lag_hours)::numeric, 1) as avg_fulfilment_lag_hours,
    round((percentile_cont(0.9) within group (order by s.fulfilment_lag_hours))::numeric, 1) as p90_fulfilment_lag_hours,
    round(count(*) filter (where s.cancelled)::numeric
          / nullif(count(*) filter (where not s.unmatched), 0), 4) as cancellation_rate
from {{ ref('stg_order_lines') }} s
left join m on m.market = s.market
group by s.market
