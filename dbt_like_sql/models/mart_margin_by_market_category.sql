-- config: materialized=table, group=analytics
-- description: Gross margin (listing price minus supplier cost, before marketplace fees and shipping) per marketplace and category, over listings that are not deleted and have both a price and a cost.
-- metric: listings = coalesce(sum(listings), 0)
-- metric: revenue_at_list_price_krw = coalesce(sum(total_price), 0)
-- metric: gross_margin_krw = coalesce(sum(total_margin), 0)
-- metric: margin_rate = sum(total_margin) / nullif(sum(total_price), 0)
-- metric: negative_margin_listings = coalesce(sum(negative_margin_listings), 0)
select
    market,
    category_path,
    count(*) as listings,
    count(*) filter (where listing_status = 'published') as published,
    round(avg(price), 0) as avg_price,
    round(avg(cost), 0) as avg_cost,
    round(avg(price - cost), 0) as avg_margin,
    sum(price) as total_price,
    sum(price - cost) as total_margin,
    round(sum(price - cost) / nullif(sum(price), 0), 4) as margin_rate,
    count(*) filter (where price - cost < 0) as negative_margin_listings
from {{ ref('stg_listings') }}
where price is not null and cost is not null and price > 0
  and listing_state <> 'deleted' and product_status <> 'deleted'
group by market, category_path
