-- config: materialized=view, group=analytics
-- description: How far each marketplace lags each supplier: hours since the supplier's last successful sync, hours since the last push to the marketplace, and listings whose latest version the marketplace does not hold yet.
-- metric: max_supplier_sync_age_hours = max(supplier_sync_age_hours)
-- metric: max_out_of_sync_hours = max(oldest_out_of_sync_hours)
-- metric: out_of_sync_listings = coalesce(sum(out_of_sync_listings), 0)
with l as (
    select
        supplier_key, market,
        count(*) as listings,
        count(*) filter (where listing_status = 'published') as published,
        count(*) filter (where coalesce(listable, true) and not in_sync and listing_status not in ('blocked', 'stopped')) as out_of_sync_listings,
        min(updated_at) filter (where coalesce(listable, true) and not in_sync and listing_status not in ('blocked', 'stopped')) as oldest_out_of_sync
    from {{ ref('stg_listings') }}
    group by supplier_key, market
),
pushes as (
    select supplier_key, market,
           max(created_at) as last_push_at,
           max(created_at) filter (where event_type = 'published') as last_published_at,
           count(*) filter (where event_type = 'publish_failed' and created_at >= now() - interval '1 day') as failures_24h
    from {{ ref('stg_events') }}
    where market is not null
      and event_type in ('published', 'publish_failed', 'synced', 'stopped', 'price_synced', 'stock_synced')
    group by supplier_key, market
),
s as (
    select supplier_key, last_success from {{ source('supplier_state') }}
)
select
    l.supplier_key,
    l.market,
    l.listings,
    l.published,
    l.out_of_sync_listings,
    s.last_success as supplier_last_success,
    round((extract(epoch from now() - s.last_success) / 3600.0)::numeric, 2) as supplier_sync_age_hours,
    p.last_push_at,
    round((extract(epoch from now() - p.last_push_at) / 3600.0)::numeric, 2) as market_push_age_hours,
    coalesce(p.failures_24h, 0) as publish_failures_24h,
    round((extract(epoch from now() - l.oldest_out_of_sync) / 3600.0)::numeric, 2) as oldest_out_of_sync_hours
from l
left join pushes p on p.supplier_key = l.supplier_key and p.market = l.market
left join s on s.supplier_key = l.supplier_key
