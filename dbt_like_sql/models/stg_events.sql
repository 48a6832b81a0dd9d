-- config: materialized=view, group=analytics
-- description: The product event log with the marketplace each event concerns (from its payload, or the market dimension of its partition key) and its UTC day.
select
    e.id as event_id,
    e.product_id,
    e.supplier_key,
    e.supplier_item_id,
    e.event_type,
    e.payload,
    coalesce(
        e.payload->>'market',
        e.payload->'set'->>'market',
        case when split_part(coalesce(e.partition_key, ''), '|', 1) in ('smartstore', 'coupang', 'gmarket')
             then split_part(e.partition_key, '|', 1) end,
        case when split_part(coalesce(e.partition_key, ''), '|', 2) in ('smartstore', 'coupang', 'gmarket')
             then split_part(e.partition_key, '|', 2) end
    ) as market,
    e.run_id,
    e.asset_key,
    e.partition_key,
    e.created_at,
    (e.created_at at time zone 'UTC')::date as event_day
from {{ source('source_data_events') }} e
