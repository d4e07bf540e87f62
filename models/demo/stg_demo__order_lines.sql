with source as (
    select * from {{ ref('demo_order_lines') }}
),

final as (
    select
        order_id,
        cast(line_number as integer) as line_number,
        sku,
        product_id,
        product_name,
        category,
        cast(quantity as integer) as quantity,
        unit_price,
        line_total
    from source
)

select * from final
