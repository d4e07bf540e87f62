-- Order lines with parsed prices, product URLs and the reason a line cannot be shipped; one row
-- per (order_id, line_number). An export that lists a line twice keeps one copy (the first by
-- sku, product_id, quantity and prices, so a rebuild keeps the same one) and says how many it had.
with source_lines as (
    select * from {{ ref(var('klaviyo__order_lines_model')) }}
),

ranked as (
    select
        source_lines.*,
        count(*) over (partition by order_id, line_number) as copies,
        row_number() over (
            partition by order_id, line_number
            order by sku, product_id, quantity, unit_price, line_total
        ) as copy_rank
    from source_lines
),

parsed as (
    select
        ranked.*,
        {{ klaviyo__parse_money('unit_price', klaviyo__input_decimal('order_lines')) }} as parsed_unit_price,
        {{ klaviyo__parse_money('line_total', klaviyo__input_decimal('order_lines')) }} as parsed_line_total
    from ranked
    where copy_rank = 1
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
        copies,
        case
            when parsed_unit_price is null then 'unit_price "' || coalesce(cast(unit_price as {{ dbt.type_string() }}), '') || '" is not a number'
            when quantity is null or quantity < 0 then 'quantity is missing or negative'
            when nullif(trim(sku), '') is null then 'sku is missing'
            when nullif(trim(product_name), '') is null then 'product_name is missing'
        end as problem
    from parsed
)

select * from final
