-- Per order, the parts of Klaviyo's order payload built from its lines: Items (one object per
-- line, in line order), ItemNames, Categories and ItemCount. Placed, Fulfilled, Cancelled and
-- Refunded Order events all carry this same payload:
-- https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration
with lines as (
    select * from {{ ref('int_klaviyo__order_lines') }}
),

order_items as (
    select
        lines.order_id,
        {{ klaviyo__order_items('lines') }} as items,
        {{ klaviyo__json_array_agg('lines.product_name', 'lines.line_number') }} as item_names,
        count(*) as item_count
    from lines
    group by lines.order_id
),

order_categories as (
    select order_id, {{ klaviyo__json_array_agg('category', 'category') }} as categories
    from (select distinct order_id, category from lines) as distinct_categories
    group by order_id
),

final as (
    select
        order_items.order_id,
        order_items.items,
        order_items.item_names,
        order_categories.categories,
        order_items.item_count
    from order_items
    left join order_categories on order_categories.order_id = order_items.order_id
)

select * from final
