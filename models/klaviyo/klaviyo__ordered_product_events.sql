-- One Ordered Product event per line of a shippable order; event_id is "<order id>-<line number>",
-- stable across runs, so a retry can never double a line.
with placed as (
    select * from {{ ref('klaviyo__placed_order_events') }}
),

lines as (
    select * from {{ ref('int_klaviyo__order_lines') }}
),

final as (
    select
        placed.event_id || '-' || cast(lines.line_number as varchar) as event_id,
        placed.email,
        placed.external_id,
        placed.ordered_at,
        lines.row_total as value,
        placed.value_currency,
        {{ klaviyo__json_text(klaviyo__json_object([
            ['OrderId', 'lines.order_id'],
            ['ProductID', 'lines.product_id'],
            ['SKU', 'lines.sku'],
            ['ProductName', 'lines.product_name'],
            ['Quantity', 'lines.quantity'],
            ['ItemPrice', 'cast(lines.item_price as double)'],
            ['RowTotal', 'cast(lines.row_total as double)'],
            ['ProductURL', 'lines.product_url'],
            ['ImageURL', 'lines.image_url'],
            ['Categories', klaviyo__json_array_of('lines.category')],
        ])) }} as properties
    from placed
    inner join lines on lines.order_id = placed.event_id
)

select * from final
