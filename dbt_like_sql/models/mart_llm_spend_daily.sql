-- config: materialized=view, group=analytics
-- description: LLM spend per UTC day, provider and model: enrichment calls, tokens and cost in USD.
-- metric: spend_usd_total = coalesce(sum(cost_usd), 0)
-- metric: spend_usd_last_7d = coalesce(sum(cost_usd) filter (where usage_day >= current_date - 7), 0)
-- metric: tokens_last_7d = coalesce(sum(total_tokens) filter (where usage_day >= current_date - 7), 0)
select
    usage_day,
    provider,
    model,
    count(*) as calls,
    count(*) filter (where cached) as cached_calls,
    sum(input_tokens) as input_tokens,
    sum(output_tokens) as output_tokens,
    sum(total_tokens) as total_tokens,
    sum(cost_usd) as cost_usd
from {{ ref('fct_llm_usage') }}
group by usage_day, provider, model
