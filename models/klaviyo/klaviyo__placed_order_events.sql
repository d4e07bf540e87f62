-- One Placed Order event per order that can be shipped, whatever happened to it later (Klaviyo's
-- ecommerce convention: Placed Order when placed, then Fulfilled, Cancelled or Refunded Order;
-- https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration).
-- event_id is the order id, so the event's unique_id never changes between runs.
with orders as (
    select * from {{ ref('int_klaviyo__orders') }}
    where problem is null
),

persons as (
    select * from {{ ref('int_klaviyo__persons') }}
    where is_resolved
),

order_items as (
    select * from {{ ref('int_klaviyo__order_items') }}
),

final as (
    select
        orders.order_id as event_id,
        persons.email,
        persons.person_id as external_id,
        orders.ordered_at,
        orders.order_total as value,
        orders.currency as value_currency,
        orders.status as order_status,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['OrderId', 'orders.order_id'],
            ['Items', 'order_items.items'],
            ['ItemNames', 'order_items.item_names'],
            ['Categories', 'order_items.categories'],
            ['ItemCount', 'order_items.item_count'],
            ['DiscountCode', 'orders.discount_code'],
            ['DiscountValue', 'cast(orders.discount_value as double)'],
        ])) }} as properties
    from orders
    inner join persons on persons.person_id = orders.person_id
    inner join order_items on order_items.order_id = orders.order_id
)

select * from final
