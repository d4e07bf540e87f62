{#
  The body of klaviyo__fulfilled_order_events, klaviyo__cancelled_order_events and
  klaviyo__refunded_order_events: one event per order that changed so, for the person its Placed
  Order went to, with the Placed Order's payload plus Reason, as Klaviyo's guide describes these
  events (https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration).
  `change` is fulfilled, cancelled or refunded (a row of int_klaviyo__order_status_changes).
#}
{% macro klaviyo__order_change_events(change) -%}
  {%- if change not in ['fulfilled', 'cancelled', 'refunded'] -%}
    {{ exceptions.raise_compiler_error("klaviyo__order_change_events: change must be fulfilled, cancelled or refunded, got " ~ change) }}
  {%- endif -%}
with changes as (
    select * from {{ ref('int_klaviyo__order_status_changes') }}
    where change = '{{ change }}' and problem is null
),

placed as (
    select * from {{ ref('klaviyo__placed_order_events') }}
),

orders as (
    select * from {{ ref('int_klaviyo__orders') }}
),

order_items as (
    select * from {{ ref('int_klaviyo__order_items') }}
),

final as (
    select
        changes.event_id,
        placed.email,
        placed.external_id,
        changes.changed_at as {{ change }}_at,
        placed.value,
        placed.value_currency,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['OrderId', 'orders.order_id'],
            ['Items', 'order_items.items'],
            ['ItemNames', 'order_items.item_names'],
            ['Categories', 'order_items.categories'],
            ['ItemCount', 'order_items.item_count'],
            ['DiscountCode', 'orders.discount_code'],
            ['DiscountValue', 'cast(orders.discount_value as double)'],
            ['Reason', 'changes.reason'],
        ])) }} as properties
    from changes
    inner join placed on placed.event_id = changes.order_id
    inner join orders on orders.order_id = changes.order_id
    inner join order_items on order_items.order_id = changes.order_id
)

select * from final
{%- endmacro %}
