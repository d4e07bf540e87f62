-- Order lines with parsed prices, product URLs and the reason a line cannot be shipped.
with lines as (
    select * from {{ ref(var('klaviyo__order_lines_model')) }}
),

parsed as (
    select
        lines.*,
        {{ klaviyo__parse_money('unit_price') }} as parsed_unit_price,
        {{ klaviyo__parse_money('line_total') }} as parsed_line_total
    from lines
),

final as (
    select
        order_id,
        line_number,
        sku,
        product_id,
        product_name,
        category,
        quantity,
        parsed_unit_price as item_price,
        coalesce(parsed_line_total, parsed_unit_price * quantity) as row_total,
        '{{ var("klaviyo__store_url") }}/products/' || lower(product_id) as product_url,
        '{{ var("klaviyo__store_url") }}/images/' || lower(sku) || '.jpg' as image_url,
        case
            when parsed_unit_price is null then 'unit_price "' || coalesce(unit_price, '') || '" is not a number'
            when quantity is null or quantity < 0 then 'quantity is missing or negative'
            when nullif(trim(sku), '') is null then 'sku is missing'
            when nullif(trim(product_name), '') is null then 'product_name is missing'
        end as problem
    from parsed
)

select * from final
