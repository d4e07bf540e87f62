select cast(id as varchar) as customer_id, email_address as email, first as first_name, last as last_name,
    phone, cast(null as varchar) as address1, city, cast(null as varchar) as region, cast(null as varchar) as zip,
    country, cast(updated_at as timestamp) as updated_at
from {{ ref('shop_customers') }}
