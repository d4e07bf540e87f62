-- The shop's CRM, one row per customer version. Its EU office writes updated_at day first
-- (DD.MM.YYYY, klaviyo__date_orders.customers: dmy); the text stays text for the package's
-- timestamp rule (docs/value-rules.md) to order a customer's versions.
select cast(id as varchar) as customer_id, email_address as email, first as first_name, last as last_name,
    phone, cast(null as varchar) as address1, city, cast(null as varchar) as region, cast(null as varchar) as zip,
    country, cast(updated_at as varchar) as updated_at
from {{ ref('shop_customers') }}
