-- The demo CRM's customers, one row per customer version: a customer who changed email has two.
with source as (
    select * from {{ ref('demo_customers') }}
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        email,
        first_name,
        last_name,
        phone,
        address1,
        city,
        region,
        cast(zip as varchar) as zip,
        country,
        cast(updated_at as timestamp) as updated_at
    from source
)

select * from final
