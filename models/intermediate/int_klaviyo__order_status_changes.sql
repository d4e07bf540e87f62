-- What happened to each shippable order after it was placed, one row per (order, change):
-- fulfilled (where the input has fulfilled_at), cancelled (a cancelled status or cancelled_at) and
-- refunded (a refunded status or refunded_at). Each becomes the Klaviyo event of that name:
-- https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
-- Every order is listed, so the change events of an order that cannot be shipped are reported
-- too; `problem` says why a change cannot be sent (the order's problem, or a missing, unreadable
-- or future time: Klaviyo needs the time it happened).
with orders as (
    select * from {{ ref('int_klaviyo__orders') }}
),

changes as (
    select
        order_id, 'fulfilled' as change, fulfilled_at as changed_at, cast(null as {{ dbt.type_string() }}) as reason,
        problem_code as order_problem_code, problem as order_problem,
        fulfilled_at_problem as time_problem, fulfilled_at_text as time_text
    from orders
    where fulfilled_at is not null or fulfilled_at_problem is not null
    union all
    select
        order_id, 'cancelled', cancelled_at, cancel_reason, problem_code, problem,
        cancelled_at_problem, cancelled_at_text
    from orders
    where is_cancelled
    union all
    select
        order_id, 'refunded', refunded_at, refund_reason, problem_code, problem,
        refunded_at_problem, refunded_at_text
    from orders
    where is_refunded
),

final as (
    select
        changes.order_id,
        changes.change,
        -- Deterministic, and distinct from the Placed Order's unique_id (the order id).
        changes.order_id || ':' || changes.change as event_id,
        changes.changed_at,
        changes.reason,
        case
            when changes.order_problem is not null then changes.order_problem_code
            when changes.time_problem is not null then changes.change || '_at_' || changes.time_problem
            when changes.changed_at is null then 'no_change_time'
            when changes.changed_at > {{ klaviyo__future_cutoff() }} then 'future_change'
        end as problem_code,
        case
            when changes.order_problem is not null then 'the order cannot be shipped: ' || changes.order_problem
            when changes.time_problem is not null
                then changes.change || '_at "' || changes.time_text || '" cannot be read as a time ('
                || changes.time_problem || ', docs/value-rules.md)'
            when changes.changed_at is null
                then 'the order is ' || changes.change || ' but ' || changes.change || '_at is empty; Klaviyo needs the time it happened'
            when changes.changed_at > {{ klaviyo__future_cutoff() }}
                then changes.change || '_at ' || cast(changes.changed_at as {{ dbt.type_string() }}) || ' is in the future; a typo in the date?'
        end as problem
    from changes
)

select * from final
