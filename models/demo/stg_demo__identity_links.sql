-- Identifiers from other systems (Shopify customers, ERP accounts) with whatever they know of the
-- CRM customer: a customer_id, an email, or neither.
with shopify as (
    select * from {{ ref('demo_shopify_customers') }}
),

erp as (
    select * from {{ ref('demo_erp_accounts') }}
),

final as (
    select 'shopify' as source, cast(shopify_customer_id as varchar) as source_id,
        cast(customer_id as varchar) as customer_id, email
    from shopify
    union all
    select 'erp' as source, cast(account_id as varchar) as source_id,
        cast(customer_id as varchar) as customer_id, email
    from erp
)

select * from final
