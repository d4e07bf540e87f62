-- Order lines from the three systems, keyed like stg_shop2__orders; prices stay text.
with webshop as (
    select * from {{ ref('webshop_positionen') }}
),

pos as (
    select * from {{ ref('pos_sale_lines') }}
),

erp as (
    select * from {{ ref('erp_rechnungspositionen') }}
),

final as (
    select
        'web-' || cast(bestell_nr as varchar) as order_id,
        cast(pos as integer) as line_number,
        artikel_nr as sku,
        produkt_id as product_id,
        bezeichnung as product_name,
        kategorie as category,
        cast(menge as integer) as quantity,
        einzelpreis as unit_price,
        gesamtpreis as line_total
    from webshop
    union all
    select
        'pos-' || cast(sale_id as varchar),
        cast(line_no as integer),
        sku,
        product_id,
        title,
        product_type,
        cast(qty as integer),
        price,
        line_amount
    from pos
    union all
    select
        'erp-' || rechnung_nr,
        cast(position as integer),
        artikel,
        produkt_id,
        text,
        warengruppe,
        cast(menge as integer),
        preis,
        betrag
    from erp
)

select * from final
