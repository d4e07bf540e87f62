-- The EU store's tracked product views and adds to cart in the package's web events input shape.
-- Its tracker writes ISO times with an offset, Unix seconds, or DD/MM/YYYY with no declared day
-- order (so a date that reads as two days is refused), prices with a decimal comma
-- (klaviyo__number_locales.web_events: comma) and quantities as text. Its tee's image link is its
-- CDN's own (image_url), taken as it is; the other links are built (macros/klaviyo__url.sql).
select event as event_id, kind as event_type, cast(occurred as varchar) as occurred_at,
    cast(customer as varchar) as customer_id, cast(null as varchar) as email, cart as cart_id,
    sku, sku as product_id, product as product_name, category,
    cast(price as varchar) as price, cast(qty as varchar) as quantity, 'EUR' as currency,
    case when sku = 'TEE-1' then 'https://cdn.consumer.example.com/tee-1.jpg?v=2' end as image_url
from {{ ref('shop_web_events_eu') }}
