-- config: materialized=view, group=analytics
-- description: Why listings do not go live, per marketplace and reason: reasons a listing is blocked before sending (blocked_reasons) and marketplace rejections (publish_failed events in the last 30 days).
-- metric: blocked_listings = coalesce(sum(listings) filter (where stage = 'blocked'), 0)
-- metric: publish_failures_30d = coalesce(sum(occurrences) filter (where stage = 'publish_failed'), 0)
with blocked as (
    select l.market, 'blocked' as stage, left(r.reason, 200) as reason, l.product_id, l.updated_at as seen_at
    from {{ ref('stg_listings') }} l
    cross join lateral jsonb_array_elements_text(l.blocked_reasons) as r(reason)
    where l.listing_status = 'blocked' or l.listable is false
),
failed as (
    select
        coalesce(market, 'unknown') as market,
        'publish_failed' as stage,
        left(coalesce(
            payload->>'reason',
            payload->'error'->>'message',
            case when jsonb_typeof(payload->'error') = 'string' then payload->>'error' end,
            payload->>'last_error',
            payload->>'message',
            'unknown'), 200) as reason,
        product_id,
        created_at as seen_at
    from {{ ref('stg_events') }}
    where event_type = 'publish_failed' and created_at >= now() - interval '30 days'
)
select
    market,
    stage,
    reason,
    count(*) as occurrences,
    count(distinct product_id) as listings,
    max(seen_at) as last_seen
from (select * from blocked union all select * from failed) x
group by market, stage, reason
