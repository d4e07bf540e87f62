-- The other two systems' people: Shopify POS customers in the US stores (a loyalty card may name
-- the webshop account) and ERP debtors of the wholesale business (which may name it too).
with pos_customers as (
    select * from {{ ref('pos_customers') }}
),

erp_debitoren as (
    select * from {{ ref('erp_debitoren') }}
),

final as (
    select
        'shopify' as source,
        cast(shopify_customer_id as varchar) as source_id,
        loyalty_customer_ref as customer_id,
        email
    from pos_customers
    union all
    select
        'erp' as source,
        cast(debitor_nr as varchar) as source_id,
        webshop_kunden_nr as customer_id,
        rechnungs_email as email
    from erp_debitoren
)

select * from final
