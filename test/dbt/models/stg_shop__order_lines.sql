-- Lines of both stores; the EU store's orders are numbered from 2000 and write a decimal comma.
-- The EU store's export carries each product's own page (product_url), which the package takes as
-- it is; the US store's has none, so the package builds it from the product id.
select cast(order_number as varchar) as order_id, line as line_number, sku, sku as product_id, product as product_name,
    category, qty as quantity, cast(price as varchar) as unit_price, cast(null as varchar) as line_total,
    case when order_number >= 2000 then 'comma' else 'point' end as decimal_mark,
    case when order_number >= 2000 then 'https://eu.consumer.example.com/p/' || sku || '?lang=de' end as product_url
from {{ ref('shop_order_lines') }}
