-- The EU store's checkouts in the package's checkouts input shape. Its export writes start times
-- day first (klaviyo__date_orders.checkouts: dmy) or as Unix seconds, prices with a decimal comma
-- (klaviyo__number_locales.checkouts: comma) and quantities as text: all stay text for the
-- package's rules (docs/value-rules.md).
select checkout as checkout_id, cast(customer as varchar) as customer_id, typed_email as email,
    cast(started as varchar) as started_at, currency,
    'https://consumer.example.com/checkout/' || checkout as checkout_url,
    line as line_number, sku, sku as product_id, product as product_name, category,
    cast(qty as varchar) as quantity, cast(price as varchar) as unit_price
from {{ ref('shop_checkouts_eu') }}
