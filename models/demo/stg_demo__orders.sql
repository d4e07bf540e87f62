-- The demo OMS's orders. Amounts stay text here, as the export has them; int_klaviyo__orders parses.
-- The export lists one order twice, as OMS exports do; the package keeps one copy and reports it.
with source as (
    select * from {{ ref('demo_orders') }}
),

final as (
    select
        order_id,
        cast(customer_id as varchar) as customer_id,
        cast(shopify_customer_id as varchar) as shopify_customer_id,
        cast(account_id as varchar) as account_id,
        checkout_email,
        cast(ordered_at as timestamp) as ordered_at,
        status,
        currency,
        total,
        discount_code,
        discount_amount,
        cast(fulfilled_at as timestamp) as fulfilled_at,
        cast(cancelled_at as timestamp) as cancelled_at,
        cast(refunded_at as timestamp) as refunded_at
    from source
)

select * from final
