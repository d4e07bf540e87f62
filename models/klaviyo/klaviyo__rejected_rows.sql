-- Every row the klaviyo models leave out, with the reason: nothing is dropped silently. One row
-- per (model, key, reason): `model` is the klaviyo model the row would have fed and `key` its key
-- there, so klaviyo-runner reports each row in the plan and summary of the sync that ships that
-- model (it finds this model in the manifest by its meta `klaviyo_rejected_rows: true`).
-- `entity` / `entity_key` name the input row behind it (a person, an order, an order line).
with persons as (
    select * from {{ ref('int_klaviyo__persons') }}
),

orders as (
    select * from {{ ref('int_klaviyo__orders') }}
),

lines as (
    select * from {{ ref('int_klaviyo__order_lines') }}
),

changes as (
    select * from {{ ref('int_klaviyo__order_status_changes') }}
),

web_events as (
    select * from {{ ref('int_klaviyo__web_events') }}
),

checkouts as (
    select * from {{ ref('int_klaviyo__checkouts') }}
),

profiles as (
    select * from {{ ref('klaviyo__profiles') }}
),

suppressions as (
    select * from {{ ref('klaviyo__suppressions') }}
    where is_suppressed_problem is not null
),

unresolved as (
    select
        person_id,
        unresolved_reason,
        'placed by ' || person_id || ', who has no Klaviyo profile: ' || unresolved_detail as placed_by
    from persons
    where not is_resolved
),

-- klaviyo__profiles: people without one usable email.
profile_rows as (
    select
        'klaviyo__profiles' as model, person_id as key, 'person' as entity, person_id as entity_key,
        unresolved_reason as reason_code, unresolved_detail as reason
    from persons
    where not is_resolved
),

-- klaviyo__placed_order_events: orders that cannot be shipped, orders of people without a
-- profile, and the extra copies of an order the export listed more than once.
placed_rows as (
    select
        'klaviyo__placed_order_events' as model, order_id as key, 'order' as entity, order_id as entity_key,
        problem_code as reason_code, problem as reason
    from orders
    where problem is not null
    union all
    select 'klaviyo__placed_order_events', orders.order_id, 'order', orders.order_id, 'person_unresolved', unresolved.placed_by
    from orders
    inner join unresolved on unresolved.person_id = orders.person_id
    where orders.problem is null
    union all
    select
        'klaviyo__placed_order_events', order_id, 'order', order_id, 'duplicate_order',
        'order_id appears ' || cast(copies as {{ dbt.type_string() }}) || ' times in the orders input; one copy was kept (the one changed last)'
    from orders
    where copies > 1
),

-- klaviyo__ordered_product_events: lines that cannot be shipped, lines of orders that cannot (or
-- of people without a profile), lines of no known order, and extra copies of a line.
line_rows as (
    select
        'klaviyo__ordered_product_events' as model,
        lines.order_id || '-' || cast(lines.line_number as {{ dbt.type_string() }}) as key,
        'order_line' as entity,
        lines.order_id || '-' || cast(lines.line_number as {{ dbt.type_string() }}) as entity_key,
        case
            when lines.problem is not null then lines.problem_code
            when orders.order_id is null then 'no_order'
            when orders.problem is not null then 'order_not_shippable'
            else 'person_unresolved'
        end as reason_code,
        case
            when lines.problem is not null then lines.problem
            when orders.order_id is null then 'no order ' || lines.order_id || ' in the orders input'
            when orders.problem is not null then 'order ' || orders.order_id || ' cannot be shipped: ' || orders.problem
            else unresolved.placed_by
        end as reason
    from lines
    left join orders on orders.order_id = lines.order_id
    left join unresolved on unresolved.person_id = orders.person_id
    where lines.problem is not null
        or orders.order_id is null
        or orders.problem is not null
        or unresolved.person_id is not null
    union all
    select
        'klaviyo__ordered_product_events',
        order_id || '-' || cast(line_number as {{ dbt.type_string() }}),
        'order_line',
        order_id || '-' || cast(line_number as {{ dbt.type_string() }}),
        'duplicate_line',
        'line appears ' || cast(copies as {{ dbt.type_string() }}) || ' times in the order lines input; one copy was kept'
    from lines
    where copies > 1
),

-- klaviyo__fulfilled_order_events, klaviyo__cancelled_order_events, klaviyo__refunded_order_events.
change_rows as (
    select
        'klaviyo__' || changes.change || '_order_events' as model,
        changes.event_id as key,
        'order' as entity,
        changes.order_id as entity_key,
        coalesce(changes.problem_code, 'person_unresolved') as reason_code,
        coalesce(changes.problem, unresolved.placed_by) as reason
    from changes
    left join orders on orders.order_id = changes.order_id
    left join unresolved on unresolved.person_id = orders.person_id
    where changes.problem is not null or unresolved.person_id is not null
),

-- klaviyo__started_checkout_events: checkouts without an identifier, with an invalid email, or
-- with lines that cannot be sent.
checkout_rows as (
    select
        'klaviyo__started_checkout_events' as model, event_id as key, 'checkout' as entity, checkout_id as entity_key,
        problem_code as reason_code, problem as reason
    from checkouts
    where problem_code is not null
),

-- klaviyo__viewed_product_events, klaviyo__added_to_cart_events: web events that cannot be sent,
-- and extra copies of a web event.
web_event_rows as (
    select
        case when event_type = 'added_to_cart' then 'klaviyo__added_to_cart_events' else 'klaviyo__viewed_product_events' end as model,
        event_id as key,
        'web_event' as entity,
        event_id as entity_key,
        problem_code as reason_code,
        problem as reason
    from web_events
    where problem_code is not null and event_type in ('viewed_product', 'added_to_cart')
    union all
    select
        case when event_type = 'added_to_cart' then 'klaviyo__added_to_cart_events' else 'klaviyo__viewed_product_events' end,
        event_id,
        'web_event',
        event_id,
        'duplicate_web_event',
        'event_id appears ' || cast(copies as {{ dbt.type_string() }}) || ' times in the web events input; one copy was kept'
    from web_events
    where copies > 1 and event_type in ('viewed_product', 'added_to_cart')
),

-- klaviyo__winback_list_members: members of the list's segments kept out because their email's
-- is_suppressed cannot be read (klaviyo__suppressions counts it as suppressed).
winback_rows as (
    select
        'klaviyo__winback_list_members' as model,
        profiles.person_id as key,
        'person' as entity,
        profiles.person_id as entity_key,
        'is_suppressed_' || suppressions.is_suppressed_problem as reason_code,
        'is_suppressed "' || suppressions.is_suppressed_text || '" of ' || profiles.email
        || ' in the suppressions input cannot be read (' || suppressions.is_suppressed_problem
        || ', docs/value-rules.md); the email is taken as suppressed' as reason
    from profiles
    inner join suppressions on suppressions.email = profiles.email
    where profiles.rfm_segment in ('at_risk', 'hibernating')
),

final as (
    select * from profile_rows
    union all
    select * from placed_rows
    union all
    select * from line_rows
    union all
    select * from change_rows
    union all
    select * from checkout_rows
    union all
    select * from web_event_rows
    union all
    select * from winback_rows
)

select * from final
