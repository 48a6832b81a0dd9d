-- config: materialized=table, group=analytics
-- description: Price changes per UTC day and scope (a marketplace, or `supplier` for cost changes): how many, up or down, and the average change.
-- metric: changes_last_7d = coalesce(sum(changes) filter (where change_day >= current_date - 7), 0)
-- metric: increases_last_7d = coalesce(sum(increases) filter (where change_day >= current_date - 7), 0)
-- metric: decreases_last_7d = coalesce(sum(decreases) filter (where change_day >= current_date - 7), 0)
select
    change_day,
    scope,
    field,
    count(*) as changes,
    count(distinct product_id) as products,
    count(*) filter (where delta > 0) as increases,
    count(*) filter (where delta < 0) as decreases,
    round(avg(pct_change), 2) as avg_pct_change,
    max(abs(pct_change)) as max_abs_pct_change
from {{ ref('fct_price_changes') }}
group by change_day, scope, field
