select cast(order_number as varchar) as order_id, line as line_number, sku, sku as product_id, product as product_name,
    category, qty as quantity, cast(price as varchar) as unit_price, cast(null as varchar) as line_total
from {{ ref('shop_order_lines') }}
