-- The shop's two order exports. Its US store writes amounts with a decimal point and ISO dates;
-- its EU store writes amounts with a decimal comma (so each says so in decimal_mark) and dates
-- as DD.MM.YYYY (klaviyo__date_orders.orders: dmy), with the time it last changed an order, which
-- it may list twice. Dates stay text: the package reads them by its timestamp rule
-- (docs/value-rules.md).
select cast(order_number as varchar) as order_id, cast(customer as varchar) as customer_id,
    cast(null as varchar) as shopify_customer_id, cast(null as varchar) as account_id, cast(null as varchar) as checkout_email,
    cast(placed_at as varchar) as ordered_at, state as status, currency, cast(grand_total as varchar) as total,
    cast(null as varchar) as discount_code, '0' as discount_amount, 'point' as decimal_mark,
    cast(null as varchar) as cancelled_at, cast(null as varchar) as updated_at
from {{ ref('shop_orders') }}
union all
select cast(order_number as varchar), cast(customer as varchar),
    cast(null as varchar), cast(null as varchar), cast(null as varchar),
    cast(placed_at as varchar), state, currency, cast(grand_total as varchar),
    cast(null as varchar), '0', 'comma', cast(cancelled as varchar), cast(updated as varchar)
from {{ ref('shop_orders_eu') }}
