-- config: materialized=view, group=analytics
-- description: Earned margin per placed, not cancelled order line: revenue minus market fees minus what the supplier charged.
select
    order_line_id, market, supplier_key, product_id, product_name, order_day, quantity,
    revenue, fees, supplier_cost,
    revenue - fees - coalesce(supplier_cost, 0) as earned_margin
from {{ ref('stg_order_lines') }}
where placed and not cancelled
