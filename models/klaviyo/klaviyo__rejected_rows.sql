-- Every source row the klaviyo models leave out, with the reason: nothing is dropped silently.
with persons as (
    select * from {{ ref('int_klaviyo__persons') }}
),

orders as (
    select * from {{ ref('int_klaviyo__orders') }}
),

lines as (
    select * from {{ ref('int_klaviyo__order_lines') }}
),

final as (
    select 'person' as entity, person_id as entity_key, unresolved_reason as reason_code, unresolved_detail as reason
    from persons
    where not is_resolved
    union all
    select 'order', order_id, 'order_not_shippable', problem
    from orders
    where problem is not null
    union all
    select 'order_line', order_id || '-' || cast(line_number as varchar), 'line_not_shippable', problem
    from lines
    where problem is not null
)

select * from final
