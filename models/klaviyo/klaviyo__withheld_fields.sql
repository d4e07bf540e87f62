-- Every field the klaviyo models leave out of a row they still ship, with the reason: the row is
-- sent without it, and the field is reported, never dropped silently. One row per (model, key,
-- field): `model` is the klaviyo model the row is in and `key` its key there, so klaviyo-runner
-- reports each in the plan, summary and run results of the sync that ships that model (it finds
-- this model in the manifest by its meta `klaviyo_withheld_fields: true`). docs/value-rules.md
-- gives the rules behind each reason.
with phones as (
    select * from {{ ref('int_klaviyo__phones') }}
    where phone_withheld_reason is not null
),

profiles as (
    select person_id from {{ ref('klaviyo__profiles') }}
),

orders as (
    select * from {{ ref('int_klaviyo__orders') }}
    where discount_problem is not null
),

placed as (
    select event_id from {{ ref('klaviyo__placed_order_events') }}
),

-- klaviyo__profiles: a phone the phone rule cannot read, or one more people share than
-- klaviyo__max_people_per_phone allows (Klaviyo would merge them by it).
phone_rows as (
    select
        'klaviyo__profiles' as model,
        phones.person_id as key,
        'phone_number' as field,
        'person' as entity,
        phones.person_id as entity_key,
        case
            when phones.phone_problem is not null then 'phone_' || phones.phone_problem
            else phones.phone_withheld_reason
        end as reason_code,
        phones.phone_withheld_detail as reason
    from phones
    inner join profiles on profiles.person_id = phones.person_id
),

-- klaviyo__placed_order_events: a discount amount the money rule cannot read.
discount_rows as (
    select
        'klaviyo__placed_order_events' as model,
        orders.order_id as key,
        'properties.DiscountValue' as field,
        'order' as entity,
        orders.order_id as entity_key,
        'discount_' || orders.discount_problem as reason_code,
        'discount_amount "' || cast(orders.discount_amount as {{ dbt.type_string() }}) || '" cannot be read ('
        || orders.discount_problem || ', docs/value-rules.md); the order is sent without DiscountValue' as reason
    from orders
    inner join placed on placed.event_id = orders.order_id
),

final as (
    select * from phone_rows
    union all
    select * from discount_rows
)

select * from final
