-- Orders from the three systems, each with its own order numbers, statuses and amount formats.
-- Amounts stay text, as each system exports them: the package reads them by its money rule.
with webshop as (
    select * from {{ ref('webshop_bestellungen') }}
),

pos as (
    select * from {{ ref('pos_sales') }}
),

erp as (
    select * from {{ ref('erp_rechnungen') }}
),

webshop_orders as (
    select
        'web-' || cast(bestell_nr as varchar) as order_id,
        kunden_nr as customer_id,
        cast(null as varchar) as shopify_customer_id,
        cast(null as varchar) as account_id,
        gast_email as checkout_email,
        cast(bestellt_am as timestamp) as ordered_at,
        case status
            when 'abgeschlossen' then 'completed'
            when 'storniert' then 'cancelled'
            when 'erstattet' then 'refunded'
        end as status,
        waehrung as currency,
        summe as total,
        gutschein as discount_code,
        rabatt as discount_amount,
        cast(storniert_am as timestamp) as cancelled_at,
        cast(erstattet_am as timestamp) as refunded_at
    from webshop
),

pos_orders as (
    select
        'pos-' || cast(sale_id as varchar) as order_id,
        cast(null as varchar) as customer_id,
        cast(shopify_customer_id as varchar) as shopify_customer_id,
        cast(null as varchar) as account_id,
        receipt_email as checkout_email,
        cast(sold_at as timestamp) as ordered_at,
        status,
        currency,
        amount as total,
        cast(null as varchar) as discount_code,
        cast(null as varchar) as discount_amount,
        cast(null as timestamp) as cancelled_at,
        cast(refunded_at as timestamp) as refunded_at
    from pos
),

erp_orders as (
    select
        'erp-' || rechnung_nr as order_id,
        cast(null as varchar) as customer_id,
        cast(null as varchar) as shopify_customer_id,
        cast(debitor_nr as varchar) as account_id,
        cast(null as varchar) as checkout_email,
        cast(rechnungsdatum as timestamp) as ordered_at,
        case status when 'bezahlt' then 'completed' when 'storniert' then 'cancelled' end as status,
        waehrung as currency,
        betrag as total,
        cast(null as varchar) as discount_code,
        cast(null as varchar) as discount_amount,
        cast(storno_datum as timestamp) as cancelled_at,
        cast(null as timestamp) as refunded_at
    from erp
),

final as (
    select * from webshop_orders
    union all
    select * from pos_orders
    union all
    select * from erp_orders
)

select * from final
