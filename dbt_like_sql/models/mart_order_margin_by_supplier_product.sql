-- config: materialized=table, group=analytics
-- description: Margin actually earned per supplier and product (placed, not cancelled lines), and units sold in the last 7 days: the sales rate the agents read.
-- metric: earned_margin_krw = coalesce(sum(earned_margin), 0)
select
    supplier_key,
    product_id,
    min(product_name) as product_name,
    count(*) as order_lines,
    sum(quantity) as units,
    sum(quantity) filter (where order_day >= current_date - 7) as units_7d,
    sum(revenue) as revenue,
    sum(fees) as fees,
    sum(supplier_cost) as supplier_cost,
    sum(earned_margin) as earned_margin,
    round(sum(earned_margin) / nullif(sum(revenue), 0), 4) as earned_margin_rate
from {{ ref('fct_order_margin') }}
group by supplier_key, product_id
