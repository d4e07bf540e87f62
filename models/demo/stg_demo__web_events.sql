-- The demo web shop's tracked product views and adds to cart in the package's web events input shape.
with source as (
    select * from {{ ref('demo_web_events') }}
),

final as (
    select
        event_id,
        event_type,
        cast(occurred_at as timestamp) as occurred_at,
        cast(customer_id as varchar) as customer_id,
        email,
        cart_id,
        sku,
        product_id,
        product_name,
        category,
        price,
        quantity,
        currency
    from source
)

select * from final
