select cast(order_number as varchar) as order_id, cast(customer as varchar) as customer_id,
    cast(null as varchar) as shopify_customer_id, cast(null as varchar) as account_id, cast(null as varchar) as checkout_email,
    cast(placed_at as timestamp) as ordered_at, state as status, currency, cast(grand_total as varchar) as total,
    cast(null as varchar) as discount_code, '0' as discount_amount
from {{ ref('shop_orders') }}
