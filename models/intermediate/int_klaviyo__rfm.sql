-- Recency, frequency and monetary scores (quintiles, 5 best), a named segment and a predicted LTV
-- per person, over the orders that earned revenue: counts_toward_rfm in int_klaviyo__orders
-- (a completed status, neither cancelled nor refunded, and shippable, so never dated in the future).
--
-- Recency is measured up to klaviyo__as_of(): the run's time, or var klaviyo__rfm_as_of when a
-- project pins it. Never the latest order in the data, which one mistyped year would push decades
-- ahead, scoring every real customer as lost.
--
-- Predicted LTV (documented, deliberately simple): the person's average order value times the
-- orders they are expected to place over the next klaviyo__ltv_horizon_days, which is their
-- historical order rate per day times the horizon, discounted by the chance they are still active,
-- exp(-days since last order / 365).
with orders as (
    select * from {{ ref('int_klaviyo__orders') }}
    where counts_toward_rfm and problem is null
),

as_of as (
    select {{ klaviyo__as_of() }} as as_of
),

per_person as (
    select
        orders.person_id,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at,
        count(*) as order_count,
        sum(orders.order_total) as lifetime_revenue,
        -- An order within the future tolerance is as recent as it gets, never negative days.
        greatest({{ dbt.datediff('max(orders.ordered_at)', 'max(as_of.as_of)', 'day') }}, 0) as recency_days,
        greatest({{ dbt.datediff('min(orders.ordered_at)', 'max(as_of.as_of)', 'day') }}, 30) as tenure_days
    from orders
    cross join as_of
    group by orders.person_id
),

scored as (
    select
        per_person.*,
        {{ klaviyo__rfm_quintile('recency_days', higher_is_better=false) }} as recency_score,
        {{ klaviyo__rfm_quintile('order_count') }} as frequency_score,
        {{ klaviyo__rfm_quintile('lifetime_revenue') }} as monetary_score
    from per_person
),

final as (
    select
        person_id,
        first_order_at,
        last_order_at,
        order_count,
        cast(lifetime_revenue as decimal(18, 2)) as lifetime_revenue,
        recency_days,
        recency_score,
        frequency_score,
        monetary_score,
        cast(recency_score as varchar) || cast(frequency_score as varchar) || cast(monetary_score as varchar) as rfm_score,
        {{ klaviyo__rfm_segment('recency_score', 'frequency_score', 'monetary_score') }} as rfm_segment,
        cast(round(
            (lifetime_revenue / order_count)
            * (order_count * 1.0 / tenure_days) * {{ var('klaviyo__ltv_horizon_days') }}
            * exp(-recency_days / 365.0),
        2) as decimal(18, 2)) as predicted_ltv
    from scored
)

select * from final
