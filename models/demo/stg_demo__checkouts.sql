-- The demo web shop's checkouts in the package's checkouts input shape: one row per checkout line.
with source as (
    select * from {{ ref('demo_checkouts') }}
),

final as (
    select
        checkout_id,
        cast(customer_id as varchar) as customer_id,
        email,
        cast(started_at as timestamp) as started_at,
        currency,
        checkout_url,
        cast(line_number as integer) as line_number,
        sku,
        product_id,
        product_name,
        category,
        cast(quantity as integer) as quantity,
        unit_price
    from source
)

select * from final
